package plugin_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/sbpd/sbpd/plugin"
)

// TestRedact: every secret of 4 bytes or more is replaced by the one
// marker, wherever it is; shorter ones and empty ones are left alone.
func TestRedact(t *testing.T) {
	secrets := []string{"tok-secret-1", "", "abc", "p%40ss"}
	cases := map[string]string{
		"token tok-secret-1 refused":     "token *** refused",
		"twice tok-secret-1tok-secret-1": "twice ******",
		"abc stays: too short":           "abc stays: too short",
		"url ?p=p%40ss":                  "url ?p=***",
		"nothing secret":                 "nothing secret",
	}
	for in, want := range cases {
		if got := plugin.Redact(in, secrets...); got != want {
			t.Errorf("Redact(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestRedactURL: the user and password of a URL, and of anything that may
// hold them, every value of its query and its fragment are replaced by the
// marker; the names of the query's values and an @ in the path are kept.
func TestRedactURL(t *testing.T) {
	cases := map[string]string{
		"":                                "",
		"https://accounting.example/hook": "https://accounting.example/hook",
		"https://acct:p4ssw0rd@acc.example:8443/h?x=1": "https://***@acc.example:8443/h?x=***",
		"http://user@h/p":                  "http://***@h/p",
		"http://u:p@h":                     "http://***@h",
		"http://h/path/@me":                "http://h/path/@me", // an @ in the path is not a user
		"http://a:b@c@h/x":                 "http://***@h/x",
		"https://u:p/ss@h/":                "https://***@h/", // not a valid URL: hide up to the last @
		"u:pass@h/hook":                    "***@h/hook",
		"https://u:p%40ss@h/?next=a@b#x@y": "https://***@h/?next=***#***",
		"mailto:someone@example.com":       "***@example.com",
		// The query's values are secrets too: a token is often given there.
		"http://127.0.0.1:1/hook?token=QUERYSECRET123": "http://127.0.0.1:1/hook?token=***",
		"https://h/hook?a=1&b=&QUERYSECRET&c=x=y":      "https://h/hook?a=***&b=&***&c=***",
		"https://h/hook?":                                "https://h/hook?",
		"https://h/hook#frag-secret":                     "https://h/hook#***",
		"https://h/hook?k=v#f":                           "https://h/hook?k=***#***",
		"http://h/%zz?token=QUERYSECRET123":              "http://h/%zz?token=***", // does not parse
		"https://u:p@h/?token=QUERYSECRET123":            "https://***@h/?token=***",
		"https://h/a?token=QUERY%20SECRET;x=1&t2=%41%42": "https://h/a?token=***&t2=***",
	}
	for in, want := range cases {
		if got := plugin.RedactURL(in); got != want {
			t.Errorf("RedactURL(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestURLSecretParts: the parts RedactURL hides, as written; none in a URL
// that has nothing to hide.
func TestURLSecretParts(t *testing.T) {
	cases := map[string][]string{
		"https://u:p@h/":                    {"u:p"},
		"https://h/a@b":                     nil,
		"https://h/hook":                    nil,
		"https://h/hook?":                   nil,
		"https://h/hook?token=Q1&b=&flag#f": {"Q1", "flag", "f"},
		"https://***@h/?token=***":          {"***", "***"},
	}
	for in, want := range cases {
		if got := plugin.URLSecretParts(in); !slices.Equal(got, want) {
			t.Errorf("URLSecretParts(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestURLSecrets: what Redact must cut out of a text that may quote the
// URL: the password (also query-escaped) or a user given as a token, and
// each value of the query and the fragment as written and unescaped.
func TestURLSecrets(t *testing.T) {
	cases := map[string][]string{
		"https://u:p@ss@acc.example/h":        {"p@ss", "p%40ss"},
		"https://tok123@acc.example/h":        {"tok123"},
		"https://acc.example/h":               nil,
		"http://h/hook?token=QUERY%2FSECRET1": {"QUERY%2FSECRET1", "QUERY/SECRET1"},
		"http://h/hook?token=Q+S&x=1#frag":    {"Q+S", "Q S", "frag"},
		// A value is cut from texts when its name says it is secret or it
		// is long enough to be a token; a short plain one (store=0153,
		// format=json) would cut a check id or a word out of every message.
		"http://h/hook?store=0153&format=json&sig=ab12&k=0123456789abcdefXYZ": {"ab12", "0123456789abcdefXYZ"},
		"http://h/hook?api_key=x1&Session=s2&pwd=p3&auth=a4":                  {"x1", "s2", "p3", "a4"},
		"http://h/hook?bare1": {"bare1"}, // no name: kept secret
	}
	for in, want := range cases {
		if got := plugin.URLSecrets(in); !slices.Equal(got, want) {
			t.Errorf("URLSecrets(%q) = %q, want %q", in, got, want)
		}
	}
	text := "POST http://h/hook?token=QUERY%2FSECRET1: echoed QUERY/SECRET1"
	if got := plugin.Redact(text, plugin.URLSecrets("http://h/hook?token=QUERY%2FSECRET1")...); strings.Contains(got, "SECRET") {
		t.Errorf("Redact with URLSecrets left %q", got)
	}
}

package plugin_test

import (
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
// hold them, are replaced by the marker; an @ elsewhere is kept.
func TestRedactURL(t *testing.T) {
	cases := map[string]string{
		"":                                "",
		"https://accounting.example/hook": "https://accounting.example/hook",
		"https://acct:p4ssw0rd@acc.example:8443/h?x=1": "https://***@acc.example:8443/h?x=1",
		"http://user@h/p":                  "http://***@h/p",
		"http://u:p@h":                     "http://***@h",
		"http://h/path/@me":                "http://h/path/@me", // an @ in the path is not a user
		"http://a:b@c@h/x":                 "http://***@h/x",
		"https://u:p/ss@h/":                "https://***@h/", // not a valid URL: hide up to the last @
		"u:pass@h/hook":                    "***@h/hook",
		"https://u:p%40ss@h/?next=a@b#x@y": "https://***@h/?next=a@b#x@y",
		"mailto:someone@example.com":       "***@example.com",
	}
	for in, want := range cases {
		if got := plugin.RedactURL(in); got != want {
			t.Errorf("RedactURL(%q) = %q, want %q", in, got, want)
		}
	}
	if u, ok := plugin.URLUserinfo("https://u:p@h/"); !ok || u != "u:p" {
		t.Errorf("URLUserinfo: %q %v", u, ok)
	}
	if _, ok := plugin.URLUserinfo("https://h/a@b"); ok {
		t.Error("URLUserinfo found a user in a path")
	}
}

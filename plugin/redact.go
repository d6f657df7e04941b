package plugin

import (
	"net/url"
	"slices"
	"strings"
)

// Redacted stands for a secret wherever sbpd would otherwise show one: in
// a message, a log line, a page, an export, a URL's user and password.
const Redacted = "***"

// SecretSet and SecretNotSet are all that is shown of a secret setting:
// whether it is set.
const (
	SecretSet    = Redacted + " (set)"
	SecretNotSet = "(not set)"
)

// MaskSecret shows a secret's value as SecretSet or SecretNotSet.
func MaskSecret(value string) string {
	if value == "" || value == SecretNotSet {
		return SecretNotSet
	}
	return SecretSet
}

// minSecret is the shortest secret Redact cuts out: shorter ones would cut
// ordinary words out of the text (every real secret is far longer).
const minSecret = 4

// Redact returns text with every one of secrets replaced by Redacted:
// sbpd's one redactor, for doctor, the settings, notify, the back office
// and its web pages. Secrets shorter than 4 bytes are left alone.
func Redact(text string, secrets ...string) string {
	for _, s := range secrets {
		if len(s) >= minSecret {
			text = strings.ReplaceAll(text, s, Redacted)
		}
	}
	return text
}

// RedactURL hides the secret parts of a URL: its user and password, every
// value of its query and its fragment. https://user:pass@host/p?token=t#f
// becomes https://***@host/p?token=***#***; the names of the query's
// values stay, a query element without = is hidden whole (?*** ), an empty
// value stays empty. A URL without secret parts comes back unchanged. A
// value that does not parse as a URL (an invalid setting, about to be
// shown in an error) is hidden up to its last @, so that nothing that may
// be a password shows, and its query and fragment as above.
func RedactURL(raw string) string {
	var b strings.Builder
	at := 0
	for _, sp := range urlSecretSpans(raw) {
		b.WriteString(raw[at:sp[0]])
		b.WriteString(Redacted)
		at = sp[1]
	}
	b.WriteString(raw[at:])
	return b.String()
}

// URLSecretParts are the parts of the URL raw that RedactURL hides, as
// written: its user[:password], each non-empty value of its query (a
// whole element without =) and its fragment. A URL with none has nothing
// secret; one with Redacted among them is as RedactURL shows it.
func URLSecretParts(raw string) []string {
	var out []string
	for _, sp := range urlSecretSpans(raw) {
		out = append(out, raw[sp[0]:sp[1]])
	}
	return out
}

// URLSecrets are what Redact must cut out of a text that may quote the
// URL raw or a part of it: its password (also query-escaped) or, without
// one, its user (a token given as the user); its fragment; and each value
// of its query that may be a credential (secretQuery), as written and
// unescaped. Each comes once. (RedactURL still masks every query value
// where the URL itself is shown.)
func URLSecrets(raw string) []string {
	var out []string
	add := func(s string) {
		if s != "" && !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	spans := urlSecretSpans(raw)
	if _, _, ok := userinfoSpan(raw); ok {
		if u, err := url.Parse(raw); err != nil || u.User == nil {
			add(raw[spans[0][0]:spans[0][1]]) // does not parse: all of it
		} else if p, ok := u.User.Password(); ok {
			add(p)
			add(url.QueryEscape(p))
		} else {
			add(u.User.Username())
		}
		spans = spans[1:]
	}
	for _, sp := range spans {
		v := raw[sp[0]:sp[1]]
		named := sp[0] > 0 && raw[sp[0]-1] == '=' // else the fragment, or a query element without a name: kept secret
		if named && !secretQuery(queryName(raw, sp[0]), v) {
			continue
		}
		add(v)
		if sp[0] > 0 && raw[sp[0]-1] == '#' {
			if pv, err := url.PathUnescape(v); err == nil {
				add(pv)
			}
		} else if qv, err := url.QueryUnescape(v); err == nil {
			add(qv)
		}
	}
	return out
}

// secretQuery reports whether a query value may be a credential: its name
// says so (token, key, secret, sig, auth, pass, pwd, session, code), or it
// is long enough to be one (16 characters). A short plain value (store=0153,
// format=json) is not cut out of texts, where it would cut a check id or
// a word out of every message.
func secretQuery(name, value string) bool {
	name = strings.ToLower(name)
	for _, w := range []string{"token", "key", "secret", "sig", "auth", "pass", "pwd", "session", "code"} {
		if strings.Contains(name, w) {
			return true
		}
	}
	return len(value) >= 16
}

// queryName is the name of the query value that starts at i in raw, just
// after its '='.
func queryName(raw string, i int) string {
	j := strings.LastIndexAny(raw[:i-1], "?&;") + 1
	return raw[j : i-1]
}

// urlSecretSpans are the spans [i, j) of raw that RedactURL hides, in
// order: the user[:password] (userinfoSpan), each value of the query and
// the fragment.
func urlSecretSpans(raw string) [][2]int {
	var spans [][2]int
	start := 0
	if k := strings.Index(raw, "://"); k >= 0 {
		start = k + 3
	}
	if i, j, ok := userinfoSpan(raw); ok {
		spans = append(spans, [2]int{i, j})
		start = j
	}
	q := strings.IndexAny(raw[start:], "?#")
	if q < 0 {
		return spans
	}
	q += start
	if raw[q] == '?' {
		end := len(raw)
		if f := strings.IndexByte(raw[q:], '#'); f >= 0 {
			end = q + f
		}
		for i := q + 1; i < end; {
			j := strings.IndexByte(raw[i:end], '&')
			if j < 0 {
				j = end
			} else {
				j += i
			}
			v := i
			if eq := strings.IndexByte(raw[i:j], '='); eq >= 0 {
				v = i + eq + 1
			}
			if v < j {
				spans = append(spans, [2]int{v, j})
			}
			i = j + 1
		}
		q = end
	}
	if q < len(raw) && q+1 < len(raw) { // raw[q] is '#'
		spans = append(spans, [2]int{q + 1, len(raw)})
	}
	return spans
}

// userinfoSpan finds the user[:password] of the URL s: s[i:j], before the
// "@" at s[j]. For an absolute URL that parses it is the userinfo Go's
// url.Parse finds (the authority ends at the first /, ? or #); for anything
// else with an @ in it, it is all that precedes the last @ (after the
// scheme's "://", if there is one).
func userinfoSpan(s string) (i, j int, ok bool) {
	if !strings.Contains(s, "@") {
		return 0, 0, false
	}
	if k := strings.Index(s, "://"); k >= 0 {
		i = k + 3
	} else if strings.HasPrefix(s, "//") {
		i = 2
	}
	if u, err := url.Parse(s); err == nil && u.Host != "" && i > 0 {
		if u.User == nil {
			return 0, 0, false // an @ in the path, query or fragment
		}
		end := len(s)
		if k := strings.IndexAny(s[i:], "/?#"); k >= 0 {
			end = i + k
		}
		if j := strings.LastIndex(s[i:end], "@"); j >= 0 {
			return i, i + j, true
		}
	}
	j = strings.LastIndex(s, "@")
	if j < i {
		i = 0
	}
	return i, j, true
}

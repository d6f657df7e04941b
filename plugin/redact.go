package plugin

import (
	"net/url"
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

// RedactURL hides the user and password of a URL: https://user:pass@host/p
// becomes https://***@host/p. A URL without them comes back unchanged. A
// value that does not parse as a URL (an invalid setting, about to be shown
// in an error) is hidden up to its last @, so that nothing that may be a
// password shows.
func RedactURL(raw string) string {
	i, j, ok := userinfoSpan(raw)
	if !ok {
		return raw
	}
	return raw[:i] + Redacted + raw[j:]
}

// URLUserinfo is the user[:password] part of the URL raw as RedactURL
// finds it, and whether there is one.
func URLUserinfo(raw string) (string, bool) {
	i, j, ok := userinfoSpan(raw)
	return raw[i:j], ok
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

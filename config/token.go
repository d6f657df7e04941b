package config

import (
	"fmt"
	"unicode/utf8"
)

// StrongTokenLen is the length from which an api.token is not warned
// about: 32 characters, what `openssl rand -hex 16` makes. The right token
// passes even from a source blocked for wrong ones, so that nobody can
// lock the till out; a guesser keeps a yes or no per try, and only a token
// nobody can guess stops one. Shorter tokens (down to MinSecretLen) still
// work: a warning, not a refusal.
const StrongTokenLen = 32

// MakeToken says how to make a token nobody can guess; every doc says the same.
const MakeToken = "`openssl rand -hex 16` (or `head -c 16 /dev/urandom | xxd -p`)"

// minTokenChars is the fewest distinct characters a random token of
// StrongTokenLen has but by a freak (32 hex digits use 7 or fewer with a
// chance of about 1 in 25 million).
const minTokenChars = 8

// weakToken says why token is easy to guess, "" when it is not (or not
// set): shorter than StrongTokenLen, or plainly not random (few distinct
// characters, or a shorter string repeated).
func weakToken(token string) string {
	switch n := utf8.RuneCountInString(token); {
	case token == "":
		return ""
	case n < StrongTokenLen:
		return fmt.Sprintf("shorter than %d characters (%d)", StrongTokenLen, n)
	case distinct(token) < minTokenChars:
		return "plainly not random (few distinct characters)"
	case repeats(token):
		return "plainly not random (a shorter string repeated)"
	}
	return ""
}

// distinct is how many different characters s has.
func distinct(s string) int {
	seen := map[rune]bool{}
	for _, r := range s {
		seen[r] = true
	}
	return len(seen)
}

// repeats reports whether s is a shorter string written again and again
// (abcabcabc…, 0123456789abcdef0123456789abcdef): whether its shortest
// period is at most half its length. The period is len(s) minus its
// longest proper prefix that is also a suffix (Knuth–Morris–Pratt), found
// in one pass: a long token costs no more than its length.
func repeats(s string) bool {
	if len(s) < 2 {
		return false
	}
	border := make([]int, len(s)) // border[i]: the longest proper prefix of s[:i+1] that is also its suffix
	for i, k := 1, 0; i < len(s); i++ {
		for k > 0 && s[i] != s[k] {
			k = border[k-1]
		}
		if s[i] == s[k] {
			k++
		}
		border[i] = k
	}
	return len(s)-border[len(s)-1] <= len(s)/2
}

// warnWeakToken warns about an api.token that can be guessed (weakToken),
// saying how to make one that cannot.
func (c *Config) warnWeakToken() {
	why := weakToken(c.APIToken)
	if why == "" || c.bad["api.token"] {
		return
	}
	c.warnings = append(c.warnings, fmt.Sprintf("api.token = %s (%s): %s: the right token passes even from an address blocked for wrong ones, so a guesser may keep trying; "+
		"make one nobody can guess with %s and set it where this one is (sbpd settings set api.token - for the till settings) and in the till software",
		c.shownValue("api.token"), c.Source("api.token"), why, MakeToken))
}

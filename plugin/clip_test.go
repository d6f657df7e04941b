package plugin

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestClip(t *testing.T) {
	a100 := strings.Repeat("A", MaxEchoed)
	for _, tc := range []struct{ name, in, want string }{
		{"empty", "", ""},
		{"a payment id", "01M820MGFGDF089WEAV8QX6XMP", "01M820MGFGDF089WEAV8QX6XMP"},
		{"exactly the bound", a100, a100},
		{"one over", a100 + "B", a100 + "…"},
		{"30 000 bytes", strings.Repeat("A", 30000), a100 + "…"},
		// A two-byte letter across the bound is not cut in half.
		{"cyrillic across the bound", strings.Repeat("A", MaxEchoed-1) + "ЖЖ", strings.Repeat("A", MaxEchoed-1) + "…"},
		{"cyrillic", strings.Repeat("Ж", 60), strings.Repeat("Ж", MaxEchoed/2) + "…"},
		// Bytes that are no UTF-8 at all are cut where the bound is.
		{"not UTF-8", strings.Repeat("\x80", 200), strings.Repeat("\x80", MaxEchoed) + "…"},
	} {
		got := Clip(tc.in)
		if got != tc.want {
			t.Errorf("%s: Clip = %q, want %q", tc.name, got, tc.want)
		}
		if len(got) > MaxEchoed+len("…") {
			t.Errorf("%s: %d bytes", tc.name, len(got))
		}
		if utf8.ValidString(tc.in) && !utf8.ValidString(got) {
			t.Errorf("%s: cut inside a character: %q", tc.name, got)
		}
	}
}

// TestFilterError_ClipsValues: a search parameter of any length is quoted
// back as a short prefix (its length is what is wrong with it).
func TestFilterError_ClipsValues(t *testing.T) {
	long := strings.Repeat("A", 30000)
	for _, e := range []*FilterError{
		{Param: "q", Value: long, Rule: "use at most 256 characters"},
		{Param: "from", Value: long, Other: "to", OtherValue: long, Rule: "empty"},
	} {
		msg := e.Error()
		if len(msg) > 2*MaxEchoed+200 || !strings.Contains(msg, `AAA…"`) {
			t.Errorf("%d bytes: %.300s", len(msg), msg)
		}
	}
	if _, err := ParseFilter(map[string][]string{"q": {long}}, nil); err == nil || len(err.Error()) > MaxEchoed+200 {
		t.Errorf("ParseFilter(q of 30 000 characters): %d bytes", len(err.Error()))
	}
}

// TestClipTo: another bound, cut between characters, never inside one;
// bytes that are not UTF-8 are cut at the bound.
func TestClipTo(t *testing.T) {
	for _, c := range []struct {
		s    string
		max  int
		want string
	}{
		{"abc", 3, "abc"},
		{"abcd", 3, "abc…"},
		{"aжж", 2, "a…"}, // the bound falls inside ж
		{"жжж", 1, "…"},  // nothing whole fits: nothing of it
		{"a\xff\xfe\xfd", 2, "a\xff…"},
	} {
		if got := ClipTo(c.s, c.max); got != c.want {
			t.Errorf("ClipTo(%q, %d) = %q, want %q", c.s, c.max, got, c.want)
		}
	}
}

package printer_test

import (
	"bytes"
	"testing"

	"golang.org/x/text/encoding/charmap"

	"github.com/sbpd/sbpd/printer"
)

func TestEncodeCP866(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"259,90 ₽", "259,90 руб."},
		{"Чек № 153", "Чек N 153"},
		{"«Пятёрочка»", `"Пятёрочка"`},
		{"„кавычки“ ‘и’", `"кавычки" 'и'`},
		{"a — b – c − d ‑ e", "a - b - c - d - e"},
		{"1\u00a0000\u202f000", "1 000 000"},
		{"Ёж ёж", "Ёж ёж"},
		{"и\u0306од", "йод"}, // decomposed й is composed first
		{"Café Müller", "Cafe Muller"},
		{"Іван і", "Iван i"},
		{"Ждите…", "Ждите..."},
		{"5 × 2 €", "5 x 2 EUR"},
		{"\x1b@\x1dV\x00\x10\x04\x01", "?@?V????"}, // no command can be smuggled in
		{"a\tb\nc", "a b?c"},
		{"QR 😀 中", "QR ? ?"},
		{"bad \xff utf-8", "bad ? utf-8"},
	} {
		got := printer.EncodeCP866(tc.in)
		for _, c := range got {
			if c < 0x20 || c == 0x7F {
				t.Errorf("%q: control byte %#02x in % x", tc.in, c, got)
			}
		}
		dec, err := charmap.CodePage866.NewDecoder().Bytes(got)
		if err != nil {
			t.Fatal(err)
		}
		if string(dec) != tc.want {
			t.Errorf("EncodeCP866(%q) reads %q, want %q", tc.in, dec, tc.want)
		}
	}
	// Byte values the printer's PC866 table must see.
	for in, want := range map[string][]byte{
		"А":    {0x80},
		"я":    {0xEF},
		"Ё":    {0xF0},
		"ё":    {0xF1},
		"руб.": {0xE0, 0xE3, 0xA1, '.'},
		"₽":    {0xE0, 0xE3, 0xA1, '.'},
	} {
		if got := printer.EncodeCP866(in); !bytes.Equal(got, want) {
			t.Errorf("EncodeCP866(%q) = % x, want % x", in, got, want)
		}
	}
}

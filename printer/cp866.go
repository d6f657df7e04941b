package printer

import (
	"unicode/utf8"

	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/unicode/norm"
)

// substitutes replace characters that CP866 lacks, or that printers' PC866
// tables do not agree on, with something readable. They are applied before
// the CP866 table, so "№" becomes "N" although CP866 has it at 0xFC, and a
// non-breaking space becomes a plain one although CP866 has it at 0xFF:
// plain ASCII reads the same on every table. The substitutes themselves
// must encode (they are CP866 letters or ASCII).
var substitutes = map[rune]string{
	'₽':      "руб.",
	'№':      "N",
	'«':      `"`,
	'»':      `"`,
	'„':      `"`,
	'“':      `"`,
	'”':      `"`,
	'‘':      "'",
	'’':      "'",
	'‚':      "'",
	'‐':      "-",
	'‑':      "-", // non-breaking hyphen
	'‒':      "-",
	'–':      "-", // en dash
	'—':      "-", // em dash
	'―':      "-",
	'−':      "-", // minus sign
	'…':      "...",
	'\u00A0': " ", // non-breaking space
	'\u2007': " ", // figure space
	'\u2009': " ", // thin space
	'\u202F': " ", // narrow non-breaking space
	'\t':     " ",
	'І':      "I", // Ukrainian/Belarusian І і look like Latin I i
	'і':      "i",
	'Ґ':      "Г",
	'ґ':      "г",
	'×':      "x",
	'€':      "EUR",
}

// EncodeCP866 transcodes s to CP866 (IBM 866) for a printer whose ESC t
// table is PC866. The text is NFC-normalised first, so a decomposed "й"
// still prints as one letter. Characters CP866 lacks are replaced (see
// substitutes: "₽" becomes "руб.", dashes "-", guillemets '"'); letters with
// diacritics lose them ("é" → "e"); anything else, and every control
// character, becomes "?", so text can never smuggle an ESC/POS command in.
func EncodeCP866(s string) []byte {
	s = norm.NFC.String(s)
	out := make([]byte, 0, len(s))
	for _, r := range s {
		out = appendCP866(out, r)
	}
	return out
}

func appendCP866(out []byte, r rune) []byte {
	if sub, ok := substitutes[r]; ok {
		for _, c := range sub {
			out = appendCP866(out, c)
		}
		return out
	}
	switch {
	case r < 0x20 || r == 0x7F:
		return append(out, '?')
	case r < 0x80:
		return append(out, byte(r))
	case r == utf8.RuneError:
		return append(out, '?')
	}
	if b, ok := charmap.CodePage866.EncodeRune(r); ok {
		return append(out, b)
	}
	// A letter with a diacritic CP866 lacks: print its base letter.
	if d := norm.NFD.String(string(r)); d != string(r) {
		base, _ := utf8.DecodeRuneInString(d)
		if base >= 0x20 && base < 0x7F {
			return append(out, byte(base))
		}
		if b, ok := charmap.CodePage866.EncodeRune(base); ok && base >= 0x80 {
			return append(out, b)
		}
	}
	return append(out, '?')
}

// balancedWrap wraps text into as few lines as wrap does at cols, but with
// the lines as even as possible, which reads better centred: the narrowest
// width that still needs no more lines.
func balancedWrap(text []byte, cols int) [][]byte {
	lines := wrap(text, cols)
	for w := cols - 1; w > 0 && len(lines) > 1; w-- {
		l := wrap(text, w)
		if len(l) > len(lines) {
			break
		}
		lines = l
	}
	return lines
}

// wrap splits CP866 text into lines of at most cols bytes (one byte is one
// character in CP866), breaking at spaces. A word is split only when it is
// longer than a whole line. Runs of spaces collapse to one.
func wrap(text []byte, cols int) [][]byte {
	cols = max(cols, 1)
	var lines [][]byte
	var line []byte
	flush := func() {
		if len(line) > 0 {
			lines = append(lines, line)
			line = nil
		}
	}
	start := 0
	for i := 0; i <= len(text); i++ {
		if i < len(text) && text[i] != ' ' {
			continue
		}
		word := text[start:i]
		start = i + 1
		if len(word) == 0 {
			continue
		}
		switch {
		case len(line) == 0:
		case len(line)+1+len(word) <= cols:
			line = append(line, ' ')
		default:
			flush()
		}
		for len(line)+len(word) > cols { // only a word longer than a line
			flush()
			lines = append(lines, word[:cols:cols])
			word = word[cols:]
		}
		line = append(line, word...)
	}
	flush()
	return lines
}

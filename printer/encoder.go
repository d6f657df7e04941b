package printer

// ESC/POS control bytes.
const (
	lf  = 0x0A
	dle = 0x10
	eot = 0x04
	esc = 0x1B
	fs  = 0x1C
	gs  = 0x1D
)

// Align is the justification set by ESC a.
type Align byte

// Justifications. Epson applies ESC a only at the start of a line; it also
// positions native QR codes and raster images.
const (
	AlignLeft   Align = 0
	AlignCenter Align = 1
	AlignRight  Align = 2
)

// cutFeedLines is how many lines Cut feeds before cutting. GS V 66 already
// feeds to the cutter on Epson, but some clones cut where the paper is, and
// the 12-17 mm between head and cutter would then stay in the printer and
// come out on the next receipt; four lines (~17 mm) cover that.
const cutFeedLines = 4

// Encoder builds an ESC/POS byte stream. The zero value is ready to use;
// Bytes returns the result. Text goes through EncodeCP866, so the printer
// must have its PC866 table selected (Init does that).
type Encoder struct {
	buf        []byte
	align      Align // the justification in effect, if alignKnown
	alignKnown bool
}

// Bytes returns the bytes built so far.
func (e *Encoder) Bytes() []byte { return e.buf }

// Len returns the number of bytes built so far.
func (e *Encoder) Len() int { return len(e.buf) }

// Raw appends bytes as they are. The Encoder then forgets the printer's
// state it tracks (the justification).
func (e *Encoder) Raw(b ...byte) {
	e.buf = append(e.buf, b...)
	e.alignKnown = false
}

// Init resets the printer (ESC @) and selects code table n (ESC t n). ESC @
// resets the table to the power-on default (usually PC437), so the two are
// never sent apart. cancelChineseMode adds FS . between them for clones
// that boot in a Chinese double-byte mode.
func (e *Encoder) Init(codepage int, cancelChineseMode bool) {
	e.buf = append(e.buf, esc, '@')
	e.align, e.alignKnown = AlignLeft, true // ESC @ resets it
	if cancelChineseMode {
		e.buf = append(e.buf, fs, '.')
	}
	e.CodeTable(codepage)
}

// CodeTable selects character code table n (ESC t n).
func (e *Encoder) CodeTable(n int) { e.buf = append(e.buf, esc, 't', byte(n)) }

// Text appends s in CP866 without ending the line.
func (e *Encoder) Text(s string) { e.buf = append(e.buf, EncodeCP866(s)...) }

// Line appends s in CP866 and a line feed.
func (e *Encoder) Line(s string) {
	e.Text(s)
	e.LF()
}

// Paragraph appends s in CP866 as lines of at most cols characters,
// breaking only between words (unless a word is longer than a line) and
// keeping the lines about even.
func (e *Encoder) Paragraph(s string, cols int) {
	for _, l := range balancedWrap(EncodeCP866(s), cols) {
		e.buf = append(e.buf, l...)
		e.LF()
	}
}

// LF prints the line buffer and moves to the next line.
func (e *Encoder) LF() { e.buf = append(e.buf, lf) }

// Bold turns emphasis on or off (ESC E n).
func (e *Encoder) Bold(on bool) {
	e.buf = append(e.buf, esc, 'E', boolByte(on))
}

// Size sets the character magnification (GS ! n), width and height each
// 1..8; values out of range are clamped.
func (e *Encoder) Size(width, height int) {
	w, h := min(max(width, 1), 8), min(max(height, 1), 8)
	e.buf = append(e.buf, gs, '!', byte((w-1)<<4|(h-1)))
}

// Align sets the justification (ESC a n) for the lines that follow. It
// sends nothing when a is already in effect.
func (e *Encoder) Align(a Align) {
	if e.alignKnown && e.align == a {
		return
	}
	e.buf = append(e.buf, esc, 'a', byte(a))
	e.align, e.alignKnown = a, true
}

// Feed prints the line buffer and feeds n lines (ESC d n), n clamped to
// 0..255.
func (e *Encoder) Feed(n int) {
	e.buf = append(e.buf, esc, 'd', byte(min(max(n, 0), 255)))
}

// Cut feeds cutFeedLines lines and makes a partial cut with function B
// (GS V 66 0: feed to the cutter, then cut, leaving a hinge so the slip
// hangs until the shopper takes it).
func (e *Encoder) Cut() {
	e.Feed(cutFeedLines)
	e.buf = append(e.buf, gs, 'V', 66, 0)
}

func boolByte(b bool) byte {
	if b {
		return 1
	}
	return 0
}

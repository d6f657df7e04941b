package printer_test

// An ESC/POS walker written apart from the encoder: its own command table,
// its own checks. It reads a job the way a printer would and fails on any
// byte it does not understand, so an encoder bug cannot hide behind a test
// that shares the encoder's assumptions.

import (
	"fmt"
	"image"
	"image/color"
	"strings"
	"testing"

	"golang.org/x/text/encoding/charmap"
)

// walkLine is one printed text line.
type walkLine struct {
	text  string // decoded as CP866
	raw   []byte
	table int  // ESC t in effect
	align byte // ESC a in effect
	width int  // GS ! width multiplier
	bold  bool // ESC E in effect
}

// walkQR is a native QR symbol printed with GS ( k fn 81.
type walkQR struct {
	model, module, ec int
	data              []byte
	align             byte
	feedBefore        int // lines fed by ESC d right before fn 65
	feedAfter         int // lines fed by ESC d right after fn 81
}

// walkImage is a GS v 0 raster image, reassembled from consecutive strips.
type walkImage struct {
	widthBytes int
	height     int
	data       []byte
	strips     []int // rows of each GS v 0 command
	align      byte
}

// walkDoc is what the walker found in a job.
type walkDoc struct {
	inits   int
	tables  []int // every ESC t n, in order
	lines   []walkLine
	qrs     []walkQR
	images  []walkImage
	cmds    []string // command names in order, text as "text"
	lastCut string   // the cut command, if the job ends with one
}

// texts returns the decoded lines.
func (d *walkDoc) texts() []string {
	out := make([]string, len(d.lines))
	for i, l := range d.lines {
		out[i] = l.text
	}
	return out
}

// joined returns the decoded lines joined by spaces, for text that may be
// wrapped.
func (d *walkDoc) joined() string { return strings.Join(d.texts(), " ") }

type walker struct {
	b     []byte
	i     int
	doc   walkDoc
	line  []byte
	table int
	align byte
	width int
	bold  bool

	needTable   bool // after ESC @: only FS . or ESC t may follow
	qr          walkQR
	qrStored    bool
	pendingFeed int  // ESC d just before, for the QR's quiet zone
	lastQRFeed  bool // the previous command was fn 81
	lastRaster  bool // the previous command was GS v 0
}

// walk parses job and fails t on any unknown or truncated command.
func walk(t testing.TB, job []byte) *walkDoc {
	t.Helper()
	w := &walker{b: job, table: -1, width: 1}
	if err := w.run(); err != nil {
		t.Fatalf("walker: at byte %d of %d: %v", w.i, len(job), err)
	}
	return &w.doc
}

func (w *walker) need(n int) ([]byte, error) {
	if w.i+n > len(w.b) {
		return nil, fmt.Errorf("truncated: need %d bytes, have %d", n, len(w.b)-w.i)
	}
	p := w.b[w.i : w.i+n]
	w.i += n
	return p, nil
}

func (w *walker) run() error {
	for w.i < len(w.b) {
		name, err := w.command()
		if err != nil {
			return err
		}
		if w.needTable && name != "ESC @" && name != "FS ." && name != "ESC t" {
			return fmt.Errorf("ESC @ not followed by ESC t but by %s", name)
		}
		if name == "ESC t" {
			w.needTable = false
		}
		if name != "text" || len(w.doc.cmds) == 0 || w.doc.cmds[len(w.doc.cmds)-1] != "text" {
			w.doc.cmds = append(w.doc.cmds, name)
		}
		if name != "ESC d" {
			w.pendingFeed = 0
		}
		if name != "GS v 0" {
			w.lastRaster = false
		}
		if name != "GS ( k 81" {
			w.lastQRFeed = false
		}
	}
	if w.needTable {
		return fmt.Errorf("job ends right after ESC @")
	}
	if len(w.line) > 0 {
		return fmt.Errorf("text %q left in the line buffer at the end", w.line)
	}
	if n := len(w.doc.cmds); n > 0 && strings.HasPrefix(w.doc.cmds[n-1], "GS V") {
		w.doc.lastCut = w.doc.cmds[n-1]
	}
	return nil
}

// command consumes one command (or one text byte) and returns its name.
func (w *walker) command() (string, error) {
	c := w.b[w.i]
	w.i++
	switch {
	case c == 0x0A:
		w.endLine()
		return "LF", nil
	case c >= 0x20 && c != 0x7F:
		w.line = append(w.line, c)
		return "text", nil
	case c == 0x1B:
		return w.esc()
	case c == 0x1D:
		return w.gs()
	case c == 0x1C:
		p, err := w.need(1)
		if err != nil {
			return "", err
		}
		if p[0] != '.' {
			return "", fmt.Errorf("unknown command FS %#02x", p[0])
		}
		if !w.needTable {
			return "", fmt.Errorf("FS . outside the ESC @ ... ESC t prologue")
		}
		return "FS .", nil
	}
	return "", fmt.Errorf("unexpected control byte %#02x", c)
}

func (w *walker) esc() (string, error) {
	p, err := w.need(1)
	if err != nil {
		return "", err
	}
	switch p[0] {
	case '@':
		if len(w.line) > 0 {
			return "", fmt.Errorf("ESC @ discards unprinted text %q", w.line)
		}
		w.doc.inits++
		w.needTable = true
		w.table, w.align, w.width, w.bold = -1, 0, 1, false
		return "ESC @", nil
	}
	arg, err := w.need(1)
	if err != nil {
		return "", err
	}
	n := arg[0]
	switch p[0] {
	case 't':
		w.table = int(n)
		w.doc.tables = append(w.doc.tables, int(n))
		return "ESC t", nil
	case 'E':
		if n > 1 {
			return "", fmt.Errorf("ESC E %d", n)
		}
		w.bold = n == 1
		return "ESC E", nil
	case 'a':
		if n > 2 {
			return "", fmt.Errorf("ESC a %d", n)
		}
		if len(w.line) > 0 {
			return "", fmt.Errorf("ESC a in the middle of a line (Epson ignores it there)")
		}
		w.align = n
		return "ESC a", nil
	case 'd':
		w.endLine()
		w.pendingFeed = int(n)
		if w.lastQRFeed {
			w.doc.qrs[len(w.doc.qrs)-1].feedAfter = int(n)
		}
		return "ESC d", nil
	}
	return "", fmt.Errorf("unknown command ESC %q", p[0])
}

func (w *walker) gs() (string, error) {
	p, err := w.need(1)
	if err != nil {
		return "", err
	}
	switch p[0] {
	case '!':
		a, err := w.need(1)
		if err != nil {
			return "", err
		}
		if a[0]&0x88 != 0 {
			return "", fmt.Errorf("GS ! %#02x out of range", a[0])
		}
		if len(w.line) > 0 {
			return "", fmt.Errorf("GS ! in the middle of a line")
		}
		w.width = int(a[0]>>4) + 1
		return "GS !", nil
	case 'V':
		m, err := w.need(1)
		if err != nil {
			return "", err
		}
		switch m[0] {
		case 0, 1, 48, 49:
		case 65, 66:
			if _, err := w.need(1); err != nil {
				return "", err
			}
		default:
			return "", fmt.Errorf("GS V %d", m[0])
		}
		if len(w.line) > 0 {
			return "", fmt.Errorf("cut with unprinted text %q", w.line)
		}
		return fmt.Sprintf("GS V %d", m[0]), nil
	case '(':
		return w.qrCommand()
	case 'v':
		return w.rasterCommand()
	}
	return "", fmt.Errorf("unknown command GS %q", p[0])
}

// qrCommand reads GS ( k pL pH cn fn ... with cn = 49 (QR).
func (w *walker) qrCommand() (string, error) {
	h, err := w.need(5) // k pL pH cn fn
	if err != nil {
		return "", err
	}
	if h[0] != 'k' {
		return "", fmt.Errorf("unknown command GS ( %q", h[0])
	}
	size := int(h[1]) + 256*int(h[2])
	if size < 2 {
		return "", fmt.Errorf("GS ( k with pL/pH %d", size)
	}
	if h[3] != 49 {
		return "", fmt.Errorf("GS ( k cn %d, want 49 (QR)", h[3])
	}
	fn := h[4]
	params, err := w.need(size - 2)
	if err != nil {
		return "", err
	}
	if len(w.line) > 0 {
		return "", fmt.Errorf("GS ( k fn %d in the middle of a line", fn)
	}
	fixed := map[byte]int{65: 4, 67: 3, 69: 3, 81: 3}
	if want, ok := fixed[fn]; ok && size != want {
		return "", fmt.Errorf("GS ( k fn %d: pL/pH %d, want %d", fn, size, want)
	}
	switch fn {
	case 65:
		if params[0] != 50 || params[1] != 0 {
			return "", fmt.Errorf("QR model %d %d, want model 2 (50 0)", params[0], params[1])
		}
		w.qr = walkQR{model: 2, feedBefore: w.pendingFeed}
		w.qrStored = false
	case 67:
		w.qr.module = int(params[0])
		if w.qr.module < 1 || w.qr.module > 16 {
			return "", fmt.Errorf("QR module %d out of 1..16", w.qr.module)
		}
	case 69:
		w.qr.ec = int(params[0])
	case 80:
		if params[0] != 48 {
			return "", fmt.Errorf("QR store m = %d, want 48", params[0])
		}
		// pL/pH = len(data) + 3 (cn, fn, m): the data is what is left.
		w.qr.data = append([]byte(nil), params[1:]...)
		if len(w.qr.data)+3 != size {
			return "", fmt.Errorf("QR store: pL/pH %d for %d data bytes", size, len(w.qr.data))
		}
		w.qrStored = true
	case 81:
		if params[0] != 48 {
			return "", fmt.Errorf("QR print m = %d, want 48", params[0])
		}
		if !w.qrStored {
			return "", fmt.Errorf("QR print (fn 81) without stored data (fn 80)")
		}
		w.qr.align = w.align
		w.doc.qrs = append(w.doc.qrs, w.qr)
		w.qrStored = false
		w.lastQRFeed = true
	default:
		return "", fmt.Errorf("unexpected GS ( k fn %d", fn)
	}
	return fmt.Sprintf("GS ( k %d", fn), nil
}

// rasterCommand reads GS v 0 m xL xH yL yH d1...dk with k = x*y.
func (w *walker) rasterCommand() (string, error) {
	h, err := w.need(6)
	if err != nil {
		return "", err
	}
	if h[0] != '0' {
		return "", fmt.Errorf("unknown command GS v %q", h[0])
	}
	if h[1] != 0 {
		return "", fmt.Errorf("GS v 0 m = %d, want 0 (normal)", h[1])
	}
	x, y := int(h[2])+256*int(h[3]), int(h[4])+256*int(h[5])
	if x == 0 || y == 0 {
		return "", fmt.Errorf("GS v 0 %dx%d", x, y)
	}
	data, err := w.need(x * y)
	if err != nil {
		return "", fmt.Errorf("GS v 0 %d bytes x %d rows: %w", x, y, err)
	}
	if len(w.line) > 0 {
		return "", fmt.Errorf("GS v 0 in the middle of a line")
	}
	if n := len(w.doc.images); w.lastRaster && w.doc.images[n-1].widthBytes == x {
		img := &w.doc.images[n-1]
		img.data = append(img.data, data...)
		img.height += y
		img.strips = append(img.strips, y)
	} else {
		w.doc.images = append(w.doc.images, walkImage{widthBytes: x, height: y,
			data: append([]byte(nil), data...), strips: []int{y}, align: w.align})
	}
	w.lastRaster = true
	return "GS v 0", nil
}

// endLine prints the line buffer (LF or ESC d).
func (w *walker) endLine() {
	if len(w.line) == 0 {
		return
	}
	text, err := charmap.CodePage866.NewDecoder().Bytes(w.line)
	if err != nil {
		text = []byte(fmt.Sprintf("<undecodable %x>", w.line))
	}
	w.doc.lines = append(w.doc.lines, walkLine{text: string(text), raw: w.line,
		table: w.table, align: w.align, width: w.width, bold: w.bold})
	w.line = nil
}

// image unpacks a raster image: MSB is the leftmost dot, 1 is black.
func (m walkImage) image() *image.Gray {
	img := image.NewGray(image.Rect(0, 0, m.widthBytes*8, m.height))
	for y := 0; y < m.height; y++ {
		for x := 0; x < m.widthBytes*8; x++ {
			c := color.Gray{Y: 255}
			if m.data[y*m.widthBytes+x/8]&(0x80>>(x%8)) != 0 {
				c = color.Gray{Y: 0}
			}
			img.SetGray(x, y, c)
		}
	}
	return img
}

// dot reports whether dot (x, y) of the image is black.
func (m walkImage) dot(x, y int) bool {
	return m.data[y*m.widthBytes+x/8]&(0x80>>(x%8)) != 0
}

func TestWalker_RejectsBadStreams(t *testing.T) {
	for name, job := range map[string][]byte{
		"unknown ESC":          {0x1B, 0x40, 0x1B, 0x74, 17, 0x1B, 'Z', 0},
		"ESC @ without ESC t":  {0x1B, 0x40, 'A', 0x0A},
		"truncated ESC t":      {0x1B, 0x40, 0x1B, 0x74},
		"truncated QR store":   {0x1B, 0x40, 0x1B, 0x74, 17, 0x1D, '(', 'k', 10, 0, 49, 80, 48, 'a'},
		"QR print before data": {0x1B, 0x40, 0x1B, 0x74, 17, 0x1D, '(', 'k', 3, 0, 49, 81, 48},
		"short raster":         {0x1B, 0x40, 0x1B, 0x74, 17, 0x1D, 'v', '0', 0, 2, 0, 2, 0, 1, 2, 3},
		"control byte":         {0x1B, 0x40, 0x1B, 0x74, 17, 0x07},
		"DLE in a job":         {0x1B, 0x40, 0x1B, 0x74, 17, 0x10, 0x04, 1},
		"text left unprinted":  {0x1B, 0x40, 0x1B, 0x74, 17, 'A'},
	} {
		t.Run(name, func(t *testing.T) {
			w := &walker{b: job, table: -1, width: 1}
			if err := w.run(); err == nil {
				t.Errorf("walker accepted % x", job)
			}
		})
	}
}

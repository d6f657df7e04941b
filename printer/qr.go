package printer

import (
	"errors"
	"fmt"

	qrcode "github.com/skip2/go-qrcode"
)

// QR constants: model 2, error correction M (15 %), and the quiet zone the
// QR spec requires around the symbol, in modules.
const (
	qrModel2     = 50 // GS ( k fn 65 n1
	qrECM        = 49 // GS ( k fn 69 n: 48 L, 49 M, 50 Q, 51 H
	qrQuietZone  = 4
	qrMaxNative  = 7089 // Epson's limit for GS ( k fn 80 (some clones take far less)
	lineDotsLow  = 30   // the smallest default line pitch we expect (1/6 inch at 180 dpi)
	qrStoreExtra = 3    // cn, fn, m counted in pL/pH of fn 80
)

// QR appends data as a centred QR code the way o says: native (GS ( k) or
// raster (GS v 0), module o.QRModule reduced if the symbol with its quiet
// zone would not fit o.Width. It leaves the justification centred.
func (e *Encoder) QR(data string, o Options) error {
	o = o.withDefaults()
	if data == "" {
		return errors.New("printer: empty QR payload")
	}
	sym, err := qrcode.New(data, qrcode.Medium)
	if err != nil && o.QR == QRRaster {
		return fmt.Errorf("printer: cannot draw the QR code: %w", err)
	}
	module := o.QRModule
	var bitmap [][]bool
	if err == nil {
		bitmap = sym.Bitmap() // quiet zone included
		module = fitModule(len(bitmap), module, o.Width)
	}
	e.Align(AlignCenter)
	if o.QR == QRRaster {
		e.raster(bitmap, module, o.StripRows)
		return nil
	}
	// The printer does not add the quiet zone: blank lines above and below,
	// and the paper's margins at the sides (the symbol is centred and fits).
	quiet := max((qrQuietZone*module+lineDotsLow-1)/lineDotsLow, 1)
	e.Feed(quiet)
	if err := e.QRNative(data, module); err != nil {
		return err
	}
	e.Feed(quiet)
	return nil
}

// fitModule returns module, reduced if a symbol of side dots modules
// (quiet zone included) would be wider than width dots; never below 1.
func fitModule(side, module, width int) int {
	if side*module > width {
		module = max(width/side, 1)
	}
	return module
}

// QRNative appends the GS ( k sequence that makes the printer draw data as
// a model 2 QR code with error correction M and module dots per module:
// select model (fn 65), module size (fn 67), error correction (fn 69),
// store the data (fn 80) and print it (fn 81). It adds no quiet zone and no
// justification; QR does.
func (e *Encoder) QRNative(data string, module int) error {
	if len(data) == 0 || len(data) > qrMaxNative {
		return fmt.Errorf("printer: QR payload must be 1..%d bytes, got %d", qrMaxNative, len(data))
	}
	if module < 1 || module > 16 {
		return fmt.Errorf("printer: QR module must be 1..16 dots, got %d", module)
	}
	n := len(data) + qrStoreExtra
	e.buf = append(e.buf,
		gs, '(', 'k', 4, 0, '1', 'A', qrModel2, 0,
		gs, '(', 'k', 3, 0, '1', 'C', byte(module),
		gs, '(', 'k', 3, 0, '1', 'E', qrECM,
		gs, '(', 'k', byte(n), byte(n>>8), '1', 'P', '0')
	e.buf = append(e.buf, data...)
	e.buf = append(e.buf, gs, '(', 'k', 3, 0, '1', 'Q', '0')
	return nil
}

// QRRaster appends data as a QR code drawn here (error correction M, a
// 4-module quiet zone, module dots per module) and sent as GS v 0 raster
// images of at most stripRows rows each, for printers without GS ( k.
func (e *Encoder) QRRaster(data string, module, stripRows int) error {
	sym, err := qrcode.New(data, qrcode.Medium)
	if err != nil {
		return fmt.Errorf("printer: cannot draw the QR code: %w", err)
	}
	e.raster(sym.Bitmap(), max(module, 1), max(stripRows, 1))
	return nil
}

// raster sends bitmap (true = black, quiet zone included) scaled by module
// as GS v 0 strips: MSB = leftmost dot, 1 = black, x = width in bytes.
//
// With module >= 2 every black run is at least two dots long, so no data
// byte is 0x10 (a lone dot): a DLE real-time command (DLE EOT, DLE ENQ,
// DLE DC4, which can pulse the drawer or power off) can never appear
// inside the image. Module 1 gives no such guarantee.
func (e *Encoder) raster(bitmap [][]bool, module, stripRows int) {
	side := len(bitmap) * module
	xBytes := (side + 7) / 8
	rows := make([][]byte, len(bitmap)) // one packed row per module row
	for y, modules := range bitmap {
		row := make([]byte, xBytes)
		for x, black := range modules {
			if !black {
				continue
			}
			for d := x * module; d < (x+1)*module; d++ {
				row[d/8] |= 0x80 >> (d % 8)
			}
		}
		rows[y] = row
	}
	for top := 0; top < side; top += stripRows {
		h := min(stripRows, side-top)
		e.buf = append(e.buf, gs, 'v', '0', 0, byte(xBytes), byte(xBytes>>8), byte(h), byte(h>>8))
		for y := top; y < top+h; y++ {
			e.buf = append(e.buf, rows[y/module]...)
		}
	}
}

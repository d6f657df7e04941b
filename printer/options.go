package printer

import (
	"errors"
	"fmt"
	"time"

	"github.com/sbpd/sbpd/plugin"
)

// QR printing modes (printer.qr): plugin's, which config checks.
const (
	QRNative = plugin.PrinterQRNative // GS ( k: the printer draws the symbol; ~150 bytes
	QRRaster = plugin.PrinterQRRaster // GS v 0: we draw it; ~11 KB, for printers without GS ( k
)

// Defaults used for zero Options fields.
const (
	DefaultCodepage      = 17  // ESC t 17: PC866 on Epson and most Epson-compatible printers
	DefaultQRModule      = 6   // dots per QR module: ~37 mm with the quiet zone at 203 dpi
	DefaultWidth         = 576 // printable dots on 80 mm paper; 384 on 58 mm
	DefaultStripRows     = 128 // rows per GS v 0 command
	DefaultStatusTimeout = 500 * time.Millisecond
	// DefaultJobTimeout bounds a whole job: over three times the slowest
	// slip that works (an 11 KB raster QR at 9600 baud takes 12 s).
	DefaultJobTimeout = 45 * time.Second
)

// Options are the printer settings. Zero fields take the defaults above.
type Options struct {
	// Codepage is n of ESC t n selecting CP866 (printer.codepage, 0..255).
	// 0 means the default, 17: table 0 is PC437, which has no Cyrillic.
	Codepage int
	// QR is QRNative or QRRaster (printer.qr); "" means QRNative.
	QR string
	// QRModule is the size of one QR module in dots (printer.qr_module,
	// 1..16). If the symbol with its 4-module quiet zone would be wider
	// than Width, the module is reduced until it fits.
	QRModule int
	// Width is the printable width in dots (printer.width): 384 for 58 mm
	// paper, 576 for 80 mm, 512 for Epson TM-T88. It sets the line length
	// (Width/12 characters of font A) and the largest QR.
	Width int
	// StripRows is the most rows sent in one GS v 0 command
	// (printer.strip_rows), so that a small receive buffer does not
	// overflow.
	StripRows int
	// StatusTimeout is how long to wait for each status byte
	// (printer.status_timeout).
	StatusTimeout time.Duration
	// JobTimeout bounds the writing of a whole job, however the printer
	// paces its bytes (each write is bounded by the port itself).
	JobTimeout time.Duration
	// Location is the time zone of the expiry time on the slip; nil means
	// time.Local.
	Location *time.Location
	// CancelChineseMode sends FS . after ESC @, for clones that boot in a
	// GBK mode which swallows bytes >= 0x80 (printer.cancel_chinese_mode).
	CancelChineseMode bool
}

// withDefaults returns o with every zero field set to its default.
func (o Options) withDefaults() Options {
	if o.Codepage == 0 {
		o.Codepage = DefaultCodepage
	}
	if o.QR == "" {
		o.QR = QRNative
	}
	if o.QRModule == 0 {
		o.QRModule = DefaultQRModule
	}
	if o.Width == 0 {
		o.Width = DefaultWidth
	}
	if o.StripRows == 0 {
		o.StripRows = DefaultStripRows
	}
	if o.JobTimeout == 0 {
		o.JobTimeout = DefaultJobTimeout
	}
	if o.StatusTimeout == 0 {
		o.StatusTimeout = DefaultStatusTimeout
	}
	if o.Location == nil {
		o.Location = time.Local
	}
	return o
}

// Validate reports every setting out of range, each naming its key, the
// bad value and what is allowed. Zero values are valid: they mean the
// defaults.
func (o Options) Validate() error {
	var errs []error
	if o.Codepage < 0 || o.Codepage > 255 {
		errs = append(errs, fmt.Errorf("printer.codepage must be 0..255 (the n of ESC t n; 17 selects CP866 on most printers), got %d", o.Codepage))
	}
	if o.QR != "" && o.QR != QRNative && o.QR != QRRaster {
		errs = append(errs, fmt.Errorf("printer.qr must be %q or %q, got %q", QRNative, QRRaster, o.QR))
	}
	if o.QRModule < 0 || o.QRModule > 16 {
		errs = append(errs, fmt.Errorf("printer.qr_module must be 1..16 dots, got %d", o.QRModule))
	}
	if o.Width != 0 && (o.Width < 128 || o.Width > 4096) {
		errs = append(errs, fmt.Errorf("printer.width must be 128..4096 dots (384 for 58 mm paper, 576 for 80 mm), got %d", o.Width))
	}
	if o.StripRows < 0 || o.StripRows > 4096 {
		errs = append(errs, fmt.Errorf("printer.strip_rows must be 1..4096 rows per GS v 0 command, got %d", o.StripRows))
	}
	if o.StatusTimeout < 0 || o.StatusTimeout > 10*time.Second {
		errs = append(errs, fmt.Errorf("printer.status_timeout must be between 1ms and 10s, got %v", o.StatusTimeout))
	}
	return errors.Join(errs...)
}

// columns is the number of font A characters (12 dots wide) on a line.
func (o Options) columns() int {
	return max(o.Width/12, 1)
}

package printer_test

import (
	"testing"

	"github.com/sbpd/sbpd/printer"
)

// TestSizes measures what goes down the wire and logs it with the transfer
// time at common baud rates (8N1: 10 bit-times a byte). The byte counts are
// deterministic, so the native targets are asserted; run with -v to see
// the numbers.
func TestSizes(t *testing.T) {
	if len(testPayload) != 110 {
		t.Fatalf("test payload is %d characters, want 110", len(testPayload))
	}
	// The native block as on the slip: centred already, so no ESC a.
	var native printer.Encoder
	native.Init(17, false)
	native.Align(printer.AlignCenter)
	before := native.Len()
	if err := native.QR(testPayload, printer.Options{}); err != nil {
		t.Fatal(err)
	}
	var raster printer.Encoder
	if err := raster.QR(testPayload, printer.Options{QR: printer.QRRaster}); err != nil {
		t.Fatal(err)
	}
	for _, m := range []struct {
		what   string
		bytes  int
		target int
	}{
		{"native QR block (110-char link, feeds + GS ( k)", native.Len() - before, 160},
		{"native slip", len(printer.EncodeSlip(testSlip(), printer.Options{Location: msk})), 600},
		{"raster QR block (module 6, 80 mm)", raster.Len(), 0},
		{"raster slip (module 6, 80 mm)", len(printer.EncodeSlip(testSlip(), printer.Options{QR: printer.QRRaster, Location: msk})), 0},
		{"raster slip (module 6, 58 mm)", len(printer.EncodeSlip(testSlip(), printer.Options{QR: printer.QRRaster, Width: 384, Location: msk})), 0},
		{"test page (native, 80 mm)", len(printer.EncodeTestPage(printer.Options{})), 0},
	} {
		t.Logf("%-48s %6d bytes  9600 baud %6.2f s  115200 baud %5.3f s",
			m.what, m.bytes, float64(m.bytes*10)/9600, float64(m.bytes*10)/115200)
		if m.target > 0 && m.bytes >= m.target {
			t.Errorf("%s: %d bytes, target < %d", m.what, m.bytes, m.target)
		}
	}
}

func BenchmarkEncodeSlip(b *testing.B) {
	for _, qr := range []string{printer.QRNative, printer.QRRaster} {
		b.Run(qr, func(b *testing.B) {
			o := printer.Options{QR: qr, Location: msk}
			var n int
			for b.Loop() {
				n = len(printer.EncodeSlip(testSlip(), o))
			}
			b.ReportMetric(float64(n), "bytes/slip")
		})
	}
}

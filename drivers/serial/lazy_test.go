package serial_test

import (
	"path/filepath"
	"testing"

	"github.com/sbpd/sbpd/drivers/serial"
	"github.com/sbpd/sbpd/drivers/serial/serialtest"
)

// A Lazy port fails while the device is missing and opens once it is there.
func TestLazy_OpensOnUse(t *testing.T) {
	prn := serialtest.NewPrinter(t, serialtest.PrinterOptions{})
	cases := map[string]struct {
		path    string
		wantErr bool
	}{
		"missing": {path: filepath.Join(t.TempDir(), "ttyNONE"), wantErr: true},
		"present": {path: prn.Path()},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			l := serial.NewLazy(serial.Options{Path: c.path, LockDir: t.TempDir()})
			defer l.Close()
			_, err := l.Write([]byte{0x1b, 0x40})
			if (err != nil) != c.wantErr {
				t.Fatalf("write: %v, want error %v", err, c.wantErr)
			}
			if err := l.Close(); err != nil {
				t.Fatalf("close: %v", err)
			}
			if err := l.Close(); err != nil {
				t.Fatalf("second close: %v", err)
			}
		})
	}
}

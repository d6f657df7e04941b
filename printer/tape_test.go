package printer_test

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/sbpd/sbpd/printer"
)

// TestTape: the demo's virtual printer answers a status query as a healthy
// printer, appends every job to its file and counts the slips.
func TestTape(t *testing.T) {
	path := filepath.Join(t.TempDir(), "tape.escpos")
	tape, err := printer.NewTape(path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tape.Write([]byte{0x10, 0x04, 1}); err != nil {
		t.Fatal(err)
	}
	var b [4]byte
	if n, _ := tape.Read(b[:]); n != 1 || b[0] != 0x16 {
		t.Errorf("status answer % x, want 16", b[:n])
	}
	job := []byte{0x1B, 0x40, 'h', 'i', '\n'}
	tape.Write(job)
	tape.Write(job)
	got, _ := os.ReadFile(path)
	if !bytes.Equal(got, append(append([]byte{}, job...), job...)) {
		t.Errorf("tape holds % x", got)
	}
	if s := tape.Stats(); s["slips"] != 2 || s["bytes"] != 10 || tape.Path() != path {
		t.Errorf("stats %v, path %s", s, tape.Path())
	}
}

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

// TestTape_BegunByTheFirstJob: making a tape writes nothing (a demo
// refused at its start, on another sbpd's journal, leaves no file there);
// the first job begins the file anew, dropping an earlier run's tape.
func TestTape_BegunByTheFirstJob(t *testing.T) {
	dir := t.TempDir()
	fresh, old := filepath.Join(dir, "new.escpos"), filepath.Join(dir, "old.escpos")
	if err := os.WriteFile(old, []byte("an earlier run's slips"), 0o644); err != nil {
		t.Fatal(err)
	}
	tapes := map[string]*printer.Tape{}
	for _, path := range []string{fresh, old} {
		tape, err := printer.NewTape(path)
		if err != nil {
			t.Fatal(err)
		}
		tapes[path] = tape
	}
	if _, err := os.Stat(fresh); !os.IsNotExist(err) {
		t.Errorf("NewTape made %s: %v", fresh, err)
	}
	if b, _ := os.ReadFile(old); string(b) != "an earlier run's slips" {
		t.Errorf("NewTape changed %s: %q", old, b)
	}
	job := []byte{0x1B, 0x40, 'h', 'i', '\n'}
	for path, tape := range tapes {
		tape.Write([]byte{0x10, 0x04, 1}) // a status query is no job
		tape.Write(job)
		if got, _ := os.ReadFile(path); !bytes.Equal(got, job) {
			t.Errorf("%s holds % x, want the one job", filepath.Base(path), got)
		}
	}
	if _, err := printer.NewTape(filepath.Join(fresh, "tape.escpos")); err == nil {
		t.Error("a tape in a directory that is not there")
	}
}

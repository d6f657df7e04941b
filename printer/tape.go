package printer

import (
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"time"
)

// Tape is a virtual receipt printer (sbpd demo's): a healthy printer whose
// tape is a file. Status queries (DLE EOT n, sent as their own write) get
// the "all clear" answer; every other byte is appended to the file.
type Tape struct {
	path string

	mu      sync.Mutex
	started bool // the file has been begun anew by this tape
	reply   []byte
	bytes   int
	slips   int
	lastAt  time.Time
}

var _ Port = (*Tape)(nil)

// NewTape is a tape in the file path, whose directory must exist. The
// file is begun (made, or emptied of an earlier run's tape) by the first
// job, not before: a demo refused at its start, on the journal of another
// sbpd, writes nothing there.
func NewTape(path string) (*Tape, error) {
	dir := filepath.Dir(path)
	if fi, err := os.Stat(dir); err != nil {
		return nil, err
	} else if !fi.IsDir() {
		return nil, fmt.Errorf("virtual printer: %s is not a directory", dir)
	}
	return &Tape{path: path}, nil
}

func (v *Tape) Write(b []byte) (int, error) {
	v.mu.Lock()
	defer v.mu.Unlock()
	if len(b) == 3 && b[0] == 0x10 && b[1] == 0x04 && b[2] >= 1 && b[2] <= 4 {
		answer := byte(0x12) // online, cover closed, paper present, no error
		if b[2] == 1 {
			answer = 0x16
		}
		v.reply = append(v.reply, answer)
		return 3, nil
	}
	flags := os.O_APPEND | os.O_WRONLY
	if !v.started {
		flags = os.O_CREATE | os.O_TRUNC | os.O_WRONLY
	}
	f, err := os.OpenFile(v.path, flags, 0o644)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	v.started = true
	n, err := f.Write(b)
	v.bytes += n
	if len(b) > 2 && b[0] == 0x1B && b[1] == 0x40 { // a job starts with ESC @
		v.slips++
		v.lastAt = time.Now()
	}
	return n, err
}

func (v *Tape) Read(b []byte) (int, error) {
	v.mu.Lock()
	defer v.mu.Unlock()
	n := copy(b, v.reply)
	v.reply = v.reply[n:]
	return n, nil // nothing queued reads as a timeout, as on a serial port
}

func (v *Tape) SetReadTimeout(time.Duration) error { return nil }

// Path is the tape's file.
func (v *Tape) Path() string { return v.path }

// Stats is what the demo page shows about the tape: the file, bytes and
// slips written, and when the last slip was.
func (v *Tape) Stats() map[string]any {
	v.mu.Lock()
	defer v.mu.Unlock()
	s := map[string]any{"file": v.path, "bytes": v.bytes, "slips": v.slips}
	if !v.lastAt.IsZero() {
		s["last_printed_at"] = v.lastAt
	}
	return s
}

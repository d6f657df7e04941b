package printer

import (
	"io"
	"time"
)

// Port is the serial link to the printer, narrowed to what the printer
// needs. go.bug.st/serial's Port satisfies it.
//
// Read must return within the read timeout; a timeout is reported as
// (0, nil), as go.bug.st/serial does, so n == 0 means "nothing arrived".
type Port interface {
	io.ReadWriter
	SetReadTimeout(t time.Duration) error
}

// Drainer is implemented by ports that can wait until every written byte
// has left the UART (tcdrain). When the Port has it, Printer calls it after
// each job, so that a print returns once the bytes are on the wire.
type Drainer interface {
	Drain() error
}

// InputResetter is implemented by ports that can discard received but
// unread bytes. When the Port has it, Printer calls it before a status
// query so that a stale or unsolicited byte is not taken for the reply.
type InputResetter interface {
	ResetInputBuffer() error
}

// drainTimeout bounds each read that empties the input before a status
// query; maxDrainReads bounds how long a babbling port can keep us there.
const (
	drainTimeout  = 5 * time.Millisecond
	maxDrainReads = 64
)

// discardInput throws away whatever the printer sent unasked (a late reply
// to an earlier query, Automatic Status Back bytes, line noise).
func discardInput(p Port) error {
	if r, ok := p.(InputResetter); ok {
		_ = r.ResetInputBuffer() // best effort; the reads below catch the rest
	}
	if err := p.SetReadTimeout(drainTimeout); err != nil {
		return err
	}
	var buf [64]byte
	for range maxDrainReads {
		n, err := p.Read(buf[:])
		if err != nil {
			return err
		}
		if n == 0 {
			return nil
		}
	}
	return nil
}

package serialtest

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/creack/pty"
	"golang.org/x/term"
)

// PrinterOptions shape the fake printer.
type PrinterOptions struct {
	// BufferSize is the receive buffer in bytes; 0 means unlimited. Bytes
	// that arrive while it is full are dropped and counted (Dropped).
	BufferSize int
	// PrintRate is how many bytes per second the mechanism takes out of
	// the buffer while the mode prints. 0 with a BufferSize means the
	// buffer never drains.
	PrintRate int
	// Mode is the initial mode; the zero value is ModeOK.
	Mode Mode
	// AnswerDelay delays every status reply (see SetAnswerDelay).
	AnswerDelay time.Duration
	// Now is the clock the buffer emulation drains by; nil means
	// time.Now. A test that injects Port's Sleep can drive both with one
	// virtual clock and so measure back-pressure without real waits and
	// without flakiness from goroutine scheduling. Answer delays always
	// use real time.
	Now func() time.Time
}

// Printer is a fake ESC/POS receipt printer on the master side of a
// pseudo-terminal. Open Path() with the code under test as if it were the
// printer's serial port. Its methods are safe for concurrent use.
type Printer struct {
	tb   testing.TB
	link string // the stable path: a symlink to the current pty slave
	now  func() time.Time

	mu      sync.Mutex
	changed chan struct{} // closed and replaced on every change
	master  *os.File      // nil while unplugged
	slave   *os.File      // held open so the pty stays up between opens
	done    chan struct{} // closed when the reader of master has returned
	mode    Mode
	delay   time.Duration
	answers int
	rx      receiver

	stalled bool          // the reader of master is parked (Stall)
	parked  chan struct{} // closed by serve once it has parked for Stall
	resume  chan struct{} // closed by Resume to let serve read again
	filler  int           // bytes Stall wrote into the line, skipped after Resume
}

// NewPrinter starts a fake printer, plugged in, and stops it when the test
// ends.
func NewPrinter(tb testing.TB, opts PrinterOptions) *Printer {
	tb.Helper()
	if opts.Now == nil {
		opts.Now = time.Now
	}
	p := &Printer{
		tb:      tb,
		now:     opts.Now,
		link:    filepath.Join(tb.TempDir(), "ttyPRN"),
		changed: make(chan struct{}),
		mode:    opts.Mode,
		delay:   opts.AnswerDelay,
		rx:      receiver{size: opts.BufferSize, rate: opts.PrintRate, printing: opts.Mode.prints()},
	}
	p.Plug()
	tb.Cleanup(p.Unplug)
	return p
}

// Path is the printer's port: a symlink that stays the same across Unplug
// and Plug, pointing at the current pty slave (/dev/pts/N).
func (p *Printer) Path() string { return p.link }

// Plug connects the printer: it opens a new pseudo-terminal in raw mode,
// points Path at its slave and starts reading. Plugging a plugged printer
// does nothing. The buffer and the counters are kept.
func (p *Printer) Plug() {
	p.tb.Helper()
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.master != nil {
		return
	}
	master, slave, err := openPTY()
	if err != nil {
		p.tb.Fatalf("serialtest: open pty: %v", err)
	}
	// pty.Open gives a cooked tty that echoes and translates CR/LF; the
	// printer is a raw byte pipe. (go.bug.st/serial makes it raw again
	// when it opens the slave; this covers anything else that opens it.)
	// Fd puts the slave into blocking mode, which is fine: it is only
	// held open, never read.
	if _, err := term.MakeRaw(int(slave.Fd())); err != nil {
		master.Close()
		slave.Close()
		p.tb.Fatalf("serialtest: raw mode on %s: %v", slave.Name(), err)
	}
	tmp := p.link + ".new"
	os.Remove(tmp)
	if err := os.Symlink(slave.Name(), tmp); err == nil {
		err = os.Rename(tmp, p.link)
	}
	if err != nil {
		master.Close()
		slave.Close()
		p.tb.Fatalf("serialtest: link %s to %s: %v", p.link, slave.Name(), err)
	}
	p.master, p.slave, p.done = master, slave, make(chan struct{})
	p.rx.pend = nil
	p.filler = 0
	go p.serve(master, p.done)
	p.notify()
}

// Unplug pulls the cable: Path disappears and the pty is closed, so the
// port's open descriptor fails with an I/O error. Unplugging an unplugged
// printer does nothing.
func (p *Printer) Unplug() {
	p.mu.Lock()
	master, slave, done := p.master, p.slave, p.done
	p.master, p.slave, p.done = nil, nil, nil
	if p.stalled {
		p.stalled = false
		close(p.resume)
	}
	if master != nil {
		// Remove the path first, so a port that sees the I/O error and
		// reopens at once finds nothing instead of the dying pty.
		os.Remove(p.link)
		p.rx.pend = nil
		p.notify()
	}
	p.mu.Unlock()
	if master == nil {
		return
	}
	master.Close() // wakes the reader
	<-done
	slave.Close()
}

// openPTY opens a pseudo-terminal pair. The master comes back in
// non-blocking mode, registered with Go's poller, so that closing it wakes
// the goroutine reading it: pty.Open's master has been switched to blocking
// mode by its own Fd calls, and a blocking read would never return.
func openPTY() (master, slave *os.File, err error) {
	m, s, err := pty.Open()
	if err != nil {
		return nil, nil, err
	}
	defer m.Close()
	fd, err := syscall.Dup(int(m.Fd()))
	if err == nil {
		syscall.CloseOnExec(fd)
		err = syscall.SetNonblock(fd, true)
		if err != nil {
			syscall.Close(fd)
		}
	}
	if err != nil {
		s.Close()
		return nil, nil, err
	}
	return os.NewFile(uintptr(fd), m.Name()), s, nil
}

// serve reads the line until the master is closed, parking while the
// printer is stalled.
func (p *Printer) serve(master *os.File, done chan struct{}) {
	defer close(done)
	buf := make([]byte, 64<<10)
	for {
		n, err := master.Read(buf)
		if n > 0 {
			now := p.now()
			p.mu.Lock()
			data := buf[:n]
			for p.filler > 0 && len(data) > 0 {
				if data[0] != fillByte {
					p.filler = 0 // the port's TCOFLUSH discarded the rest
					break
				}
				data, p.filler = data[1:], p.filler-1
			}
			p.rx.feed(data, now, func(q byte) { p.answer(master, q) })
			p.notify()
			p.mu.Unlock()
		}
		if errors.Is(err, os.ErrDeadlineExceeded) && p.park(master) {
			continue
		}
		if err != nil {
			return
		}
	}
}

// park waits, after Stall interrupted the read, until Resume or Unplug;
// it reports whether to read on.
func (p *Printer) park(master *os.File) bool {
	p.mu.Lock()
	if !p.stalled || p.master != master {
		p.mu.Unlock()
		return p.master == master
	}
	close(p.parked)
	resume := p.resume
	p.mu.Unlock()
	<-resume
	master.SetReadDeadline(time.Time{})
	return true
}

// Stall makes the printer stop taking bytes, as a USB printer whose
// buffer is full or whose paper ran out mid-job does: it stops reading the
// line and fills the pseudo-terminal until a non-blocking write finds no
// room (EAGAIN), so the next write of the port blocks in the kernel. The
// filler is not recorded. Resume reads again; Unplug ends the stall too.
func (p *Printer) Stall() {
	p.tb.Helper()
	p.mu.Lock()
	if p.stalled || p.master == nil {
		p.mu.Unlock()
		return
	}
	p.stalled, p.parked, p.resume = true, make(chan struct{}), make(chan struct{})
	master, slave, parked := p.master, p.slave, p.parked
	p.mu.Unlock()
	master.SetReadDeadline(time.Unix(1, 0)) // interrupts the reader
	<-parked
	n, err := fill(slave)
	if err != nil {
		p.tb.Fatalf("serialtest: fill %s: %v", slave.Name(), err)
	}
	p.mu.Lock()
	p.filler += n
	p.notify()
	p.mu.Unlock()
}

// fillByte is what Stall fills the line with. A port that flushes its
// output (TCOFLUSH) discards some of it, so after Resume the fake skips
// leading fill bytes only, up to the number written.
const fillByte = '#'

// fill writes to the slave until the line has no room, and returns how
// many bytes it took. The kernel moves what was written on to the master's
// read buffer a moment later, which makes room again; so fill writes until
// three rounds in a row, each after a short pause, take nothing.
func fill(slave *os.File) (int, error) {
	fd := int(slave.Fd())
	if err := syscall.SetNonblock(fd, true); err != nil {
		return 0, err
	}
	defer syscall.SetNonblock(fd, false)
	junk := bytes.Repeat([]byte{fillByte}, 4096)
	total, idle := 0, 0
	for round := 0; round < 100; round++ {
		took := 0
		for {
			n, err := syscall.Write(fd, junk)
			took += max(n, 0)
			if errors.Is(err, syscall.EAGAIN) {
				break
			}
			if err != nil {
				return total + took, err
			}
		}
		total += took
		if idle = idle + 1; took > 0 {
			idle = 0
		}
		if idle == 3 {
			return total, nil
		}
		time.Sleep(10 * time.Millisecond)
	}
	return total, errors.New("the line keeps taking bytes")
}

// Resume makes a stalled printer read the line again: the port's blocked
// write completes. The filler Stall wrote is skipped.
func (p *Printer) Resume() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.stalled {
		p.stalled = false
		close(p.resume)
	}
}

// Stalled is whether the printer has stopped taking bytes (Stall).
func (p *Printer) Stalled() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.stalled
}

// answer replies to DLE EOT n on master, now or after the answer delay.
// p.mu is held.
func (p *Printer) answer(master *os.File, n byte) {
	b, ok := Status(p.mode, n)
	if !ok {
		return
	}
	delay := p.delay
	if p.mode == ModeSlow && delay == 0 {
		delay = DefaultSlowDelay
	}
	if delay <= 0 {
		p.reply(master, b)
		return
	}
	time.AfterFunc(delay, func() {
		p.mu.Lock()
		defer p.mu.Unlock()
		if p.master == master { // not unplugged meanwhile
			p.reply(master, b)
		}
	})
}

// reply writes one status byte; p.mu is held.
func (p *Printer) reply(master *os.File, b byte) {
	if _, err := master.Write([]byte{b}); err == nil {
		p.answers++
		p.notify()
	}
}

// notify wakes the waiters; p.mu is held.
func (p *Printer) notify() {
	close(p.changed)
	p.changed = make(chan struct{})
}

// SetMode changes what the printer reports, and whether it prints, from
// now on.
func (p *Printer) SetMode(m Mode) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.mode = m
	p.rx.setPrinting(m.prints(), p.now())
	p.notify()
}

// Mode is the current mode.
func (p *Printer) Mode() Mode {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.mode
}

// SetAnswerDelay makes every status reply come d after its query, in any
// mode that answers; ModeSlow without a delay uses DefaultSlowDelay. A
// reply still pending when the printer is unplugged is lost.
func (p *Printer) SetAnswerDelay(d time.Duration) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.delay = d
}

// Bytes returns a copy of the data bytes the printer accepted, in order:
// everything received except DLE EOT n queries and dropped bytes. A
// trailing 10 or 10 04 is held back until the next byte shows whether it
// starts a query.
func (p *Printer) Bytes() []byte {
	p.mu.Lock()
	defer p.mu.Unlock()
	return bytes.Clone(p.rx.data)
}

// Received is len(Bytes()).
func (p *Printer) Received() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.rx.data)
}

// Dropped is the number of data bytes lost because the buffer was full.
// Received()+Dropped() data bytes have arrived.
func (p *Printer) Dropped() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.rx.dropped
}

// Queries returns the n of every DLE EOT n received, in order, answered or
// not.
func (p *Printer) Queries() []byte {
	p.mu.Lock()
	defer p.mu.Unlock()
	return bytes.Clone(p.rx.queries)
}

// Answered is the number of status bytes sent back.
func (p *Printer) Answered() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.answers
}

// Reset forgets everything received (bytes, drops, queries, answers) and
// empties the buffer, as after a finished job.
func (p *Printer) Reset() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.rx.reset(p.now())
	p.answers = 0
	p.notify()
}

// WaitUntil calls cond whenever the printer's state changes (and once at
// the start) until it returns true, and reports whether it did within
// timeout. cond may call the Printer's methods.
func (p *Printer) WaitUntil(timeout time.Duration, cond func() bool) bool {
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	for {
		p.mu.Lock()
		changed := p.changed
		p.mu.Unlock()
		if cond() {
			return true
		}
		select {
		case <-changed:
		case <-deadline.C:
			return cond()
		}
	}
}

// WaitForBytes waits until the printer has accepted at least n data bytes
// and returns them all (Bytes). It fails the test after timeout; call it
// from the test's goroutine.
func (p *Printer) WaitForBytes(n int, timeout time.Duration) []byte {
	p.tb.Helper()
	if !p.WaitUntil(timeout, func() bool { return p.Received() >= n }) {
		p.tb.Fatalf("serialtest: %s: %d of %d bytes after %v (dropped %d)", p.link, p.Received(), n, timeout, p.Dropped())
	}
	return p.Bytes()
}

// String describes the printer for test logs.
func (p *Printer) String() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return fmt.Sprintf("fake printer %s (%s, %d bytes, %d dropped)", p.link, p.mode, len(p.rx.data), p.rx.dropped)
}

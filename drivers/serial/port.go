package serial

import (
	"errors"
	"fmt"
	"io"
	"sync"
	"sync/atomic"
	"time"

	"go.bug.st/serial"

	"github.com/sbpd/sbpd/plugin"
)

// Defaults for Options.
const (
	DefaultBaud        = 115200
	DefaultChunkSize   = 64
	DefaultReadTimeout = time.Second
)

// NoTimeout passed to SetReadTimeout makes Read wait until a byte arrives.
const NoTimeout time.Duration = -1

// ErrClosed is wrapped by the errors of a Port used after Close.
var ErrClosed = errors.New("port is closed")

// ErrStalled is wrapped by the errors of a write or drain that outlived its
// bound (WriteBound), and of every call while that write is still stuck.
var ErrStalled = errors.New("the printer stopped taking bytes (its buffer is full, or the paper ran out mid-job)")

// Bounds of a write and a drain; see WriteBound.
const (
	MinWriteBound = 2 * time.Second // the least a write may take before it is given up
	WriteMargin   = time.Second     // added to the bytes' wire time
)

// WriteBound is how long writing n bytes at baud (and draining them) may
// take before the printer is taken to have stopped reading: their wire
// time, n*10/baud, plus WriteMargin, and never less than MinWriteBound. A
// 64-byte paced chunk or a 3-byte status query gets 2 s; an unpaced 11 KB
// raster QR 2 s at 115200 baud and 12.9 s at 9600.
func WriteBound(n, baud int) time.Duration {
	if baud <= 0 {
		baud = DefaultBaud
	}
	return max(MinWriteBound, WireTime(n, baud)+WriteMargin)
}

// ErrHangup is wrapped by the error of a Read that found the line hung up:
// the cable was pulled, the USB adapter or the printer was switched off.
var ErrHangup = errors.New("device hung up (cable pulled or printer off)")

// Options say which port to open and how. The zero value of every field but
// Path is a sensible default.
type Options struct {
	Path string // the device, e.g. /dev/ttyS0 or /dev/serial/by-id/usb-…
	Baud int    // line speed, 8N1; 0 means DefaultBaud (115200)

	// LockDir is where the lock file sbpd-<path>.lock goes. Empty means
	// DefaultLockDir (/run/lock), with no fallback: Open refuses a missing
	// directory. Every sbpd on a machine must use the same directory, or
	// their locks do not exclude each other.
	LockDir string

	// NoPace turns pacing off: Write hands all bytes to the driver at once.
	// Pacing is on by default because printers without flow control lose
	// bytes when they are sent faster than they print.
	NoPace bool
	// PaceRate is the rate Write paces at, in bytes per second. 0 means
	// the wire rate, Baud/10. Set it lower for a printer that still loses
	// bytes of large images.
	PaceRate int
	// ChunkSize is how many bytes Write sends before each pause; 0 means
	// DefaultChunkSize (64).
	ChunkSize int
	// Sleep pauses Write; nil means time.Sleep. Tests inject it.
	Sleep func(time.Duration)
	// WriteTimeout bounds every write to the device and every Drain; 0
	// means WriteBound of the bytes at Baud.
	WriteTimeout time.Duration
	// Clock times the write bound; nil means the wall clock. Tests inject
	// a fake one.
	Clock plugin.Clock
}

// device is the part of go.bug.st/serial's Port that Port uses.
type device interface {
	io.ReadWriter
	SetReadTimeout(time.Duration) error
	Drain() error
	ResetInputBuffer() error
	Close() error
}

// conn is one open device. Write, Drain and ResetInputBuffer count
// themselves as users while they use dev, and a conn closed while in use
// is closed by its last user, so the file descriptor is never closed under
// a write and then reused by another file while the write still targets
// its number. Closing never waits for a user: a write stuck in the kernel
// (a printer that stopped reading) keeps its conn open until it returns.
// Read is not counted: it can block for the whole read timeout, and
// go.bug.st/serial's Close wakes it.
type conn struct {
	dev device

	mu      sync.Mutex
	users   int
	dropped bool // closed by the Port: the last user closes dev
	closed  bool // dev is closed or being closed
}

func (c *conn) enter() {
	c.mu.Lock()
	c.users++
	c.mu.Unlock()
}

// leave ends a use; the last user of a dropped conn closes it.
func (c *conn) leave() {
	c.mu.Lock()
	c.users--
	last := c.dropped && c.users == 0 && !c.closed
	c.closed = c.closed || last
	c.mu.Unlock()
	if last {
		c.dev.Close()
	}
}

// close drops c and closes dev now if no one uses it, else leaves that to
// the last user. It never waits for a user.
func (c *conn) close() error {
	c.mu.Lock()
	c.dropped = true
	now := c.users == 0 && !c.closed
	c.closed = c.closed || now
	c.mu.Unlock()
	if now {
		return c.dev.Close() // idempotent in go.bug.st/serial; wakes a blocked Read
	}
	return nil
}

// Port is an open serial port to the receipt printer. Its methods are safe
// for concurrent use; Writes are serialised, and so are Reads.
type Port struct {
	path  string
	mode  serial.Mode
	pace  bool
	pacer pacer
	chunk int
	sleep func(time.Duration)
	clock plugin.Clock
	bound time.Duration // Options.WriteTimeout; 0: WriteBound

	wmu sync.Mutex // serialises Write, so chunks of two writes never interleave
	rmu sync.Mutex // serialises Read and the read timeout it applies

	mu          sync.Mutex
	conn        *conn // nil after an I/O error until the next call reopens it
	lock        *lockFile
	lockPath    string
	closed      bool
	readTimeout time.Duration
	pending     int       // bytes written since the last Drain
	stuck       *conn     // a write or drain past its bound, still in the kernel
	stuckAt     time.Time // when it was given up
}

var _ io.ReadWriter = (*Port)(nil)

// Open locks the port's lock file, then opens the device 8N1 at o.Baud.
//
// It fails with a *plugin.Error of code plugin.EUnavailable and reason
// plugin.PrinterBusy when another process holds the lock or the device,
// and reason plugin.PrinterPortMissing when the device cannot be opened or
// the lock is refused (a *LockError is wrapped: a symbolic link, a FIFO, a
// file that is not sbpd's or is another user's, a missing lock directory).
func Open(o Options) (*Port, error) {
	if o.Path == "" {
		return nil, &plugin.Error{Code: plugin.EInvalid, Reason: plugin.PrinterPortMissing,
			Message: "serial port path is empty"}
	}
	if o.Baud < 0 || o.PaceRate < 0 || o.ChunkSize < 0 || o.WriteTimeout < 0 {
		return nil, &plugin.Error{Code: plugin.EInvalid,
			Message: fmt.Sprintf("serial port %s: negative baud, pace rate, chunk size or write timeout", o.Path)}
	}
	if o.Baud == 0 {
		o.Baud = DefaultBaud
	}
	if o.ChunkSize == 0 {
		o.ChunkSize = DefaultChunkSize
	}
	if o.Sleep == nil {
		o.Sleep = time.Sleep
	}
	if o.Clock == nil {
		o.Clock = plugin.RealClock{}
	}
	p := &Port{
		path: o.Path,
		mode: serial.Mode{
			BaudRate: o.Baud,
			DataBits: 8,
			Parity:   serial.NoParity,
			StopBits: serial.OneStopBit,
			// InitialStatusBits stays nil: setting DTR/RTS fails on a
			// pseudo-terminal and on adapters without modem lines.
		},
		pace:        !o.NoPace,
		pacer:       newPacer(o.Baud, o.PaceRate),
		chunk:       o.ChunkSize,
		sleep:       o.Sleep,
		clock:       o.Clock,
		bound:       o.WriteTimeout,
		readTimeout: DefaultReadTimeout,
	}

	lock, lockPath, err := acquireLock(o.LockDir, o.Path)
	if errors.Is(err, errLocked) {
		return nil, &plugin.Error{Code: plugin.EUnavailable, Reason: plugin.PrinterBusy,
			Message: fmt.Sprintf("serial port %s is in use by another process (lock %s%s)", o.Path, lockPath, heldBy(err))}
	}
	if err != nil { // a *LockError: its message names the file and what to do
		return nil, &plugin.Error{Code: plugin.EUnavailable, Reason: plugin.PrinterLockRefused,
			Message: fmt.Sprintf("serial port %s cannot be locked", o.Path), Err: err}
	}
	c, err := p.openDevice()
	if err != nil {
		lock.release()
		return nil, err
	}
	p.conn, p.lock, p.lockPath = c, lock, lockPath
	return p, nil
}

// Path is the device path the Port opens.
func (p *Port) Path() string { return p.path }

// Baud is the line speed.
func (p *Port) Baud() int { return p.mode.BaudRate }

// LockFile is the lock file the Port holds until Close.
func (p *Port) LockFile() string { return p.lockPath }

// openDevice opens the device; the caller holds p.mu or owns p alone.
func (p *Port) openDevice() (*conn, error) {
	mode := p.mode
	dev, err := serial.Open(p.path, &mode)
	if err != nil {
		var pe *serial.PortError
		if errors.As(err, &pe) && pe.Code() == serial.PortBusy {
			return nil, &plugin.Error{Code: plugin.EUnavailable, Reason: plugin.PrinterBusy,
				Message: fmt.Sprintf("serial port %s is in use by another process", p.path), Err: err}
		}
		return nil, &plugin.Error{Code: plugin.EUnavailable, Reason: plugin.PrinterPortMissing,
			Message: fmt.Sprintf("serial port %s cannot be opened", p.path), Err: err}
	}
	return &conn{dev: dev}, nil
}

// device returns the open device, reopening it after an earlier failure,
// and the read timeout to apply. With use, the caller is counted as a user
// of the conn (conn.enter) and must leave it. While a write that outlived
// its bound is still stuck in the kernel every call fails at once with
// reason write_stalled: another write to the same line would queue behind
// it, and a reopen finds the same line.
func (p *Port) device(op string, use bool) (*conn, time.Duration, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return nil, 0, p.closedError(op)
	}
	if p.stuck != nil {
		return nil, 0, p.stalledError(op, fmt.Sprintf("a write given up %v ago has not been taken yet",
			p.clock.Now().Sub(p.stuckAt).Round(time.Millisecond)))
	}
	if p.conn == nil {
		c, err := p.openDevice()
		if err != nil {
			return nil, 0, err
		}
		p.conn = c
	}
	if use {
		p.conn.enter()
	}
	return p.conn, p.readTimeout, nil
}

// bounded runs call, a write or drain on c that blocks in the kernel for
// as long as the printer does not read, and waits for it at most limit on
// the Port's clock. call runs in its own goroutine, which leaves c when it
// returns. When the limit passes first, the Port lets c go (the next call
// after the stuck one returns opens the device again) and bounded returns
// a write_stalled error; c is closed once call returns (the printer reads
// again, or the device hangs up). Nothing can interrupt the write: neither
// closing the file nor flushing its output (TCOFLUSH) wakes a write
// blocked on a full tty.
func (p *Port) bounded(c *conn, op string, limit time.Duration, call func() error) error {
	done := make(chan error, 1)
	returned := false // guarded by p.mu
	go func() {
		err := call()
		// Leave (closing a dropped c) before the Port stops refusing calls
		// for it: a reopen in between would find the device still open
		// (EBUSY, which reads as port_busy).
		c.leave()
		p.mu.Lock()
		returned = true
		if p.stuck == c {
			p.stuck = nil
		}
		p.mu.Unlock()
		done <- err
	}()
	t := p.clock.NewTimer(limit)
	defer t.Stop()
	select {
	case err := <-done:
		return err
	case <-t.Chan():
	}
	p.mu.Lock()
	if returned { // it came back just as the limit passed
		p.mu.Unlock()
		return <-done
	}
	p.stuck, p.stuckAt = c, p.clock.Now()
	if p.conn == c {
		p.conn = nil
	}
	p.mu.Unlock()
	c.close()
	return p.stalledError(op, fmt.Sprintf("not done after %v", limit))
}

// limit is the bound of a write or drain of n bytes.
func (p *Port) limit(n int) time.Duration {
	if p.bound > 0 {
		return p.bound
	}
	return WriteBound(n, p.mode.BaudRate)
}

func (p *Port) stalledError(op, detail string) error {
	return &plugin.Error{Code: plugin.EUnavailable, Reason: plugin.PrinterWriteStalled,
		Message: fmt.Sprintf("serial %s: %s: %s", p.path, op, detail), Err: ErrStalled}
}

// fail closes c after an I/O error, so that the next call reopens the
// path, and returns err wrapped for the caller. The caller must not hold
// c.busy.
func (p *Port) fail(c *conn, op string, err error) error {
	p.mu.Lock()
	if p.conn == c {
		p.conn = nil
	}
	closed := p.closed
	p.mu.Unlock()
	c.close()
	if closed {
		return p.closedError(op)
	}
	return &plugin.Error{Code: plugin.EUnavailable, Reason: plugin.PrinterWriteFailed,
		Message: fmt.Sprintf("serial %s: %s", p.path, op), Err: err}
}

func (p *Port) closedError(op string) error {
	return &plugin.Error{Code: plugin.EUnavailable, Reason: plugin.PrinterPortMissing,
		Message: fmt.Sprintf("serial %s: %s", p.path, op), Err: ErrClosed}
}

// Write sends b to the printer. Paced (the default), it sends ChunkSize
// bytes at a time and sleeps after each chunk for as long as the chunk
// takes on the wire, so it returns roughly when the last byte has left.
//
// An I/O error comes back as *plugin.Error with reason
// plugin.PrinterWriteFailed and the count of bytes written before it; the
// device is closed and the next call reopens it.
func (p *Port) Write(b []byte) (int, error) {
	p.wmu.Lock()
	defer p.wmu.Unlock()
	if !p.pace || len(b) == 0 {
		return p.writeAll(b)
	}
	var written int
	var slept time.Duration
	for written < len(b) {
		end := min(written+p.chunk, len(b))
		n, err := p.writeAll(b[written:end])
		written += n
		if err != nil {
			return written, err
		}
		// Sleep up to the wire time of everything written so far, so the
		// nanoseconds truncated per chunk do not add up.
		due := p.pacer.duration(written)
		p.sleep(due - slept)
		slept = due
	}
	return written, nil
}

// writeAll writes b to the device, looping over short writes, within
// WriteBound of len(b) (Options.WriteTimeout when set).
func (p *Port) writeAll(b []byte) (int, error) {
	c, _, err := p.device("write", true)
	if err != nil {
		return 0, err
	}
	var done atomic.Int64 // read after a stall while the write goes on
	err = p.bounded(c, "write", p.limit(len(b)), func() error {
		for int(done.Load()) < len(b) {
			n, err := c.dev.Write(b[done.Load():])
			done.Add(int64(max(n, 0)))
			if err == nil && n == 0 {
				err = io.ErrShortWrite
			}
			if err != nil {
				return err
			}
		}
		return nil
	})
	n := int(done.Load())
	p.mu.Lock()
	p.pending += n
	p.mu.Unlock()
	if plugin.ErrorReason(err) == plugin.PrinterWriteStalled {
		return n, err
	}
	if err != nil {
		return n, p.fail(c, "write", err)
	}
	return n, nil
}

// Read reads what the printer sent. It waits at most the read timeout
// (DefaultReadTimeout until SetReadTimeout) and returns (0, nil) when
// nothing arrived in that time: a timeout is not an error, n == 0 is the
// sign. An I/O error (the cable was pulled) closes the device, and the next
// call reopens it.
func (p *Port) Read(b []byte) (int, error) {
	p.rmu.Lock()
	defer p.rmu.Unlock()
	c, timeout, err := p.device("read", false)
	if err != nil {
		return 0, err
	}
	if len(b) == 0 {
		return 0, nil
	}
	// go.bug.st/serial keeps the timeout in a plain field that its Read
	// reads; setting it here, under rmu, keeps the two from racing.
	if err := c.dev.SetReadTimeout(timeout); err != nil {
		return 0, p.fail(c, "read", err)
	}
	n, err := c.dev.Read(b)
	if err != nil {
		// go.bug.st/serial reports a hangup as "Port has been closed"
		// (a zero-length read); say what it means. Our own Close is
		// told apart in fail.
		var pe *serial.PortError
		if errors.As(err, &pe) && pe.Code() == serial.PortClosed {
			err = ErrHangup
		}
		return n, p.fail(c, "read", err)
	}
	return n, nil
}

// SetReadTimeout sets how long Read waits for a byte; it applies from the
// next Read on, also after a reopen. A negative value (NoTimeout) makes
// Read wait until a byte arrives.
func (p *Port) SetReadTimeout(t time.Duration) error {
	if t < 0 {
		t = NoTimeout
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return p.closedError("set read timeout")
	}
	p.readTimeout = t
	return nil
}

// Drain waits until every written byte has left the UART (tcdrain), at
// most WriteBound of the bytes written since the last Drain.
func (p *Port) Drain() error {
	c, _, err := p.device("drain", true)
	if err != nil {
		return err
	}
	p.mu.Lock()
	n := p.pending
	p.pending = 0
	p.mu.Unlock()
	err = p.bounded(c, "drain", p.limit(n), c.dev.Drain)
	if plugin.ErrorReason(err) == plugin.PrinterWriteStalled {
		return err
	}
	if err != nil {
		return p.fail(c, "drain", err)
	}
	return nil
}

// ResetInputBuffer discards bytes received but not yet read, such as a late
// reply to an earlier status query.
func (p *Port) ResetInputBuffer() error {
	c, _, err := p.device("reset input", true)
	if err != nil {
		return err
	}
	err = c.dev.ResetInputBuffer()
	c.leave()
	if err != nil {
		return p.fail(c, "reset input", err)
	}
	return nil
}

// Close closes the device, wakes a blocked Read and releases the lock.
// Calling it again does nothing and returns nil. The lock file stays.
func (p *Port) Close() error {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return nil
	}
	p.closed = true
	c, stuck, lock := p.conn, p.stuck, p.lock
	p.conn, p.lock = nil, nil
	p.mu.Unlock()

	var err error
	if c != nil {
		err = c.close()
	}
	if stuck != nil {
		stuck.close() // closed by its write when that returns; never waited for
	}
	return errors.Join(err, lock.release())
}

package serial

import (
	"errors"
	"fmt"
	"io"
	"sync"
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
}

// device is the part of go.bug.st/serial's Port that Port uses.
type device interface {
	io.ReadWriter
	SetReadTimeout(time.Duration) error
	Drain() error
	ResetInputBuffer() error
	Close() error
}

// conn is one open device. Write, Drain and ResetInputBuffer hold busy
// shared while they use dev; closing takes it exclusively, so the file
// descriptor is never closed under a write and then reused by another file
// while the write still targets its number. Read is not covered: it can
// block for the whole read timeout, and go.bug.st/serial's Close wakes it.
type conn struct {
	dev  device
	busy sync.RWMutex
}

func (c *conn) close() error {
	c.busy.Lock()
	defer c.busy.Unlock()
	return c.dev.Close() // idempotent in go.bug.st/serial; wakes a blocked Read
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

	wmu sync.Mutex // serialises Write, so chunks of two writes never interleave
	rmu sync.Mutex // serialises Read and the read timeout it applies

	mu          sync.Mutex
	conn        *conn // nil after an I/O error until the next call reopens it
	lock        *lockFile
	lockPath    string
	closed      bool
	readTimeout time.Duration
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
	if o.Baud < 0 || o.PaceRate < 0 || o.ChunkSize < 0 {
		return nil, &plugin.Error{Code: plugin.EInvalid,
			Message: fmt.Sprintf("serial port %s: negative baud, pace rate or chunk size", o.Path)}
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
		readTimeout: DefaultReadTimeout,
	}

	lock, lockPath, err := acquireLock(o.LockDir, o.Path)
	if errors.Is(err, errLocked) {
		return nil, &plugin.Error{Code: plugin.EUnavailable, Reason: plugin.PrinterBusy,
			Message: fmt.Sprintf("serial port %s is in use by another process (lock %s%s)", o.Path, lockPath, heldBy(err))}
	}
	if err != nil { // a *LockError: its message names the file and what to do
		return nil, &plugin.Error{Code: plugin.EUnavailable, Reason: plugin.PrinterPortMissing,
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
// and the read timeout to apply.
func (p *Port) device(op string) (*conn, time.Duration, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return nil, 0, p.closedError(op)
	}
	if p.conn == nil {
		c, err := p.openDevice()
		if err != nil {
			return nil, 0, err
		}
		p.conn = c
	}
	return p.conn, p.readTimeout, nil
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

// writeAll writes b to the device, looping over short writes.
func (p *Port) writeAll(b []byte) (int, error) {
	c, _, err := p.device("write")
	if err != nil {
		return 0, err
	}
	c.busy.RLock()
	var done int
	for done < len(b) {
		var n int
		n, err = c.dev.Write(b[done:])
		done += n
		if err == nil && n == 0 {
			err = io.ErrShortWrite
		}
		if err != nil {
			break
		}
	}
	c.busy.RUnlock()
	if err != nil {
		return done, p.fail(c, "write", err)
	}
	return done, nil
}

// Read reads what the printer sent. It waits at most the read timeout
// (DefaultReadTimeout until SetReadTimeout) and returns (0, nil) when
// nothing arrived in that time: a timeout is not an error, n == 0 is the
// sign. An I/O error (the cable was pulled) closes the device, and the next
// call reopens it.
func (p *Port) Read(b []byte) (int, error) {
	p.rmu.Lock()
	defer p.rmu.Unlock()
	c, timeout, err := p.device("read")
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

// Drain waits until every written byte has left the UART (tcdrain).
func (p *Port) Drain() error {
	c, _, err := p.device("drain")
	if err != nil {
		return err
	}
	c.busy.RLock()
	err = c.dev.Drain()
	c.busy.RUnlock()
	if err != nil {
		return p.fail(c, "drain", err)
	}
	return nil
}

// ResetInputBuffer discards bytes received but not yet read, such as a late
// reply to an earlier status query.
func (p *Port) ResetInputBuffer() error {
	c, _, err := p.device("reset input")
	if err != nil {
		return err
	}
	c.busy.RLock()
	err = c.dev.ResetInputBuffer()
	c.busy.RUnlock()
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
	c, lock := p.conn, p.lock
	p.conn, p.lock = nil, nil
	p.mu.Unlock()

	var err error
	if c != nil {
		err = c.close()
	}
	return errors.Join(err, lock.release())
}

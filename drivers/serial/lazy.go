package serial

import (
	"sync"
	"time"
)

// Lazy is a Port opened on first use and again after it could not be
// opened, so that a printer unplugged at boot does not stop sbpd: the
// payment falls back to the screen and the next one tries again. Once
// open, the Port reopens the device itself after I/O errors.
type Lazy struct {
	opts Options

	mu   sync.Mutex
	port *Port
}

// NewLazy returns a Lazy port for opts; nothing is opened yet.
func NewLazy(opts Options) *Lazy { return &Lazy{opts: opts} }

func (l *Lazy) get() (*Port, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.port == nil {
		p, err := Open(l.opts)
		if err != nil {
			return nil, err
		}
		l.port = p
	}
	return l.port, nil
}

// Write opens the port if need be and writes b.
func (l *Lazy) Write(b []byte) (int, error) {
	p, err := l.get()
	if err != nil {
		return 0, err
	}
	return p.Write(b)
}

// Read opens the port if need be and reads into b.
func (l *Lazy) Read(b []byte) (int, error) {
	p, err := l.get()
	if err != nil {
		return 0, err
	}
	return p.Read(b)
}

// SetReadTimeout opens the port if need be; see Port.SetReadTimeout.
func (l *Lazy) SetReadTimeout(d time.Duration) error {
	return l.do(func(p *Port) error { return p.SetReadTimeout(d) })
}

// Drain opens the port if need be; see Port.Drain.
func (l *Lazy) Drain() error { return l.do((*Port).Drain) }

// ResetInputBuffer opens the port if need be; see Port.ResetInputBuffer.
func (l *Lazy) ResetInputBuffer() error { return l.do((*Port).ResetInputBuffer) }

func (l *Lazy) do(f func(*Port) error) error {
	p, err := l.get()
	if err != nil {
		return err
	}
	return f(p)
}

// Close closes the port if it is open; the next use opens it again.
func (l *Lazy) Close() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.port == nil {
		return nil
	}
	err := l.port.Close()
	l.port = nil
	return err
}

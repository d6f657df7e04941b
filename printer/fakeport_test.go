package printer_test

import (
	"bytes"
	"sync"
	"time"

	"github.com/sbpd/sbpd/printer"
)

// fakePort is an in-memory printer.Port: it answers DLE EOT n with the
// bytes in replies[n] (after delay, if set), stays silent for an n it has
// no reply for, and records every write. Reads block up to the read
// timeout and then return (0, nil), as go.bug.st/serial does.
type fakePort struct {
	mu       sync.Mutex
	replies  map[byte][]byte
	delay    time.Duration
	writeErr error  // fails writes of anything but a status query
	queryErr error  // fails status-query writes
	jobHook  func() // called (unlocked) on every write that is not a status query
	chunk    int    // if > 0, a job write takes at most this many bytes
	writes   [][]byte
	in       []byte
	arrived  chan struct{} // closed and replaced when input arrives
	timeout  time.Duration
}

var _ printer.Port = (*fakePort)(nil)

// newFakePort returns a fake printer answering DLE EOT 1..4 with replies.
func newFakePort(replies map[byte][]byte) *fakePort {
	return &fakePort{replies: replies, arrived: make(chan struct{})}
}

// ready answers like a printer with paper, cover closed, online.
func readyReplies() map[byte][]byte {
	return map[byte][]byte{1: {0x16}, 2: {0x12}, 3: {0x12}, 4: {0x12}}
}

func (f *fakePort) Write(b []byte) (int, error) {
	f.mu.Lock()
	hook := f.jobHook
	f.mu.Unlock()
	if hook != nil && !(len(b) == 3 && b[0] == 0x10 && b[1] == 0x04) {
		hook()
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	isQuery := len(b) == 3 && b[0] == 0x10 && b[1] == 0x04
	if !isQuery {
		if f.writeErr != nil {
			return 0, f.writeErr
		}
		if f.chunk > 0 && len(b) > f.chunk {
			b = b[:f.chunk]
		}
		f.writes = append(f.writes, bytes.Clone(b))
		return len(b), nil
	}
	f.writes = append(f.writes, bytes.Clone(b))
	if f.queryErr != nil {
		return 0, f.queryErr
	}
	if reply, ok := f.replies[b[2]]; ok {
		if f.delay > 0 {
			time.AfterFunc(f.delay, func() { f.push(reply...) })
		} else {
			f.pushLocked(reply...)
		}
	}
	return len(b), nil
}

func (f *fakePort) Read(p []byte) (int, error) {
	f.mu.Lock()
	deadline := time.Now().Add(f.timeout)
	for len(f.in) == 0 {
		left := time.Until(deadline)
		if left <= 0 {
			f.mu.Unlock()
			return 0, nil
		}
		ch := f.arrived
		f.mu.Unlock()
		timer := time.NewTimer(left)
		select {
		case <-ch:
		case <-timer.C:
		}
		timer.Stop()
		f.mu.Lock()
	}
	n := copy(p, f.in)
	f.in = f.in[n:]
	f.mu.Unlock()
	return n, nil
}

func (f *fakePort) SetReadTimeout(t time.Duration) error {
	f.mu.Lock()
	f.timeout = t
	f.mu.Unlock()
	return nil
}

// push makes b arrive from the printer.
func (f *fakePort) push(b ...byte) {
	f.mu.Lock()
	f.pushLocked(b...)
	f.mu.Unlock()
}

func (f *fakePort) pushLocked(b ...byte) {
	f.in = append(f.in, b...)
	close(f.arrived)
	f.arrived = make(chan struct{})
}

// pending is how many unread bytes wait in the input.
func (f *fakePort) pending() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.in)
}

// written returns the writes so far.
func (f *fakePort) written() [][]byte {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([][]byte(nil), f.writes...)
}

func (f *fakePort) set(fn func(f *fakePort)) {
	f.mu.Lock()
	fn(f)
	f.mu.Unlock()
}

// fullPort adds the optional Drain and ResetInputBuffer to fakePort.
type fullPort struct {
	*fakePort
	drains, resets int
}

var (
	_ printer.Drainer       = (*fullPort)(nil)
	_ printer.InputResetter = (*fullPort)(nil)
)

func (p *fullPort) Drain() error {
	p.mu.Lock()
	p.drains++
	p.mu.Unlock()
	return nil
}

func (p *fullPort) ResetInputBuffer() error {
	p.mu.Lock()
	p.resets++
	p.in = nil
	p.mu.Unlock()
	return nil
}

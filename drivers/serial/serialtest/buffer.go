package serialtest

import (
	"math"
	"time"
)

const (
	dle = 0x10
	eot = 0x04
)

// receiver is the printer's side of the line: it splits the byte stream
// into data and DLE EOT n queries and keeps the data in an emulated receive
// buffer that the mechanism empties at a fixed rate. It is not safe for
// concurrent use; Printer guards it with its mutex.
type receiver struct {
	size int // buffer size in bytes; 0 means unlimited
	rate int // bytes per second printed out of the buffer; 0 means never

	level    float64   // bytes in the buffer
	settled  time.Time // when level was last brought up to date
	printing bool      // whether the buffer drains (the mode prints)

	pend    []byte // a DLE, or DLE EOT, waiting for the byte that decides
	data    []byte // accepted data bytes, in order
	dropped int    // data bytes lost because the buffer was full
	queries []byte // n of every DLE EOT n received, in order
}

// settle drains the buffer for the time since the last call.
func (r *receiver) settle(now time.Time) {
	if r.printing && r.rate > 0 && !r.settled.IsZero() {
		if dt := now.Sub(r.settled); dt > 0 {
			r.level = math.Max(0, r.level-dt.Seconds()*float64(r.rate))
		}
	}
	r.settled = now
}

// setPrinting starts or stops the mechanism, settling the buffer first.
func (r *receiver) setPrinting(on bool, now time.Time) {
	r.settle(now)
	r.printing = on
}

// admit puts data into the buffer; what does not fit is dropped, as on a
// printer without flow control.
func (r *receiver) admit(data []byte) {
	if len(data) == 0 {
		return
	}
	n := len(data)
	if r.size > 0 {
		free := r.size - int(math.Ceil(r.level))
		n = max(0, min(n, free))
		r.level += float64(n)
		r.dropped += len(data) - n
	}
	r.data = append(r.data, data[:n]...)
}

// feed takes a chunk as it came off the line at time now and calls query
// for every DLE EOT n (n = 1..4) in it. A query is recognised across chunk
// boundaries and also inside other data, as on a real serial printer: a
// DLE or DLE EOT at the end of a chunk is held back until the next byte
// decides. Query bytes never enter the buffer.
func (r *receiver) feed(chunk []byte, now time.Time, query func(n byte)) {
	r.settle(now)
	var data []byte
	for _, c := range chunk {
		switch {
		case len(r.pend) == 2 && c >= 1 && c <= 4:
			r.pend = r.pend[:0]
			r.admit(data)
			data = data[:0]
			r.queries = append(r.queries, c)
			query(c)
			continue
		case len(r.pend) == 1 && c == eot:
			r.pend = append(r.pend, c)
			continue
		case len(r.pend) > 0:
			// Not a query after all: the held bytes are data.
			data = append(data, r.pend...)
			r.pend = r.pend[:0]
		}
		if c == dle {
			r.pend = append(r.pend, c)
			continue
		}
		data = append(data, c)
	}
	r.admit(data)
}

// reset forgets what was received and empties the buffer.
func (r *receiver) reset(now time.Time) {
	r.level, r.settled = 0, now
	r.pend, r.data, r.queries, r.dropped = nil, nil, nil, 0
}

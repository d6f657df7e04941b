package printer

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/sbpd/sbpd/plugin"
)

// Printer is the receipt printer behind a Port. It runs one job at a time:
// a status query or a print holds the port until it is done, so a status
// query never lands inside another job's command. It never closes the
// port; the caller owns it.
type Printer struct {
	port Port
	opts Options
	busy chan struct{} // holds one token while a job uses the port
	// owed is how many bytes a job given up part way did not send (held
	// with busy): the printer may still be inside one of its commands,
	// waiting for data, until that many more bytes come (resync).
	owed int
}

var _ plugin.Printer = (*Printer)(nil)

// New returns a Printer writing to port with opts; zero fields of opts
// take the defaults. New does no I/O. Call opts.Validate first: a Printer
// with invalid options refuses every job with an EInvalid error.
func New(port Port, opts Options) *Printer {
	return &Printer{port: port, opts: opts.withDefaults(), busy: make(chan struct{}, 1)}
}

// Options returns the options in use, defaults filled in.
func (p *Printer) Options() Options { return p.opts }

// lock takes the port for one job, or gives up when ctx ends.
func (p *Printer) lock(ctx context.Context) error {
	select {
	case p.busy <- struct{}{}:
		return nil
	case <-ctx.Done():
		return &plugin.Error{Code: plugin.EUnavailable, Reason: plugin.PrinterBusy,
			Message: "the receipt printer is busy with another job", Err: ctx.Err()}
	}
}

func (p *Printer) unlock() { <-p.busy }

// Status asks the printer for its real-time status. A printer that does
// not answer gives Status{Known: false} and no error. When the port
// itself fails the error is a *plugin.Error: the port's own if it returns
// one (drivers/serial: port_missing, port_busy), else code EUnavailable
// with reason write_failed or no_answer. A job that cannot get the port
// before ctx ends fails with reason port_busy.
func (p *Printer) Status(ctx context.Context) (Status, error) {
	if err := p.lock(ctx); err != nil {
		return Status{}, err
	}
	defer p.unlock()
	return p.status(ctx)
}

// StatusText is Status in words, as the health report shows it: the
// state (Status.String) and its one-word status (Status.Word). When the
// port fails, nothing was heard from the printer: the state is then why
// (the first *plugin.Error's text, e.g. the port's "serial port … cannot
// be opened: …") and the word its reason (plugin.ErrorReason).
func (p *Printer) StatusText(ctx context.Context) (state, word string, err error) {
	st, err := p.Status(ctx)
	if err == nil {
		return st.String(), st.Word(), nil
	}
	state = err.Error()
	if pe, ok := errors.AsType[*plugin.Error](err); ok {
		state = pe.Error()
	}
	return state, plugin.ErrorReason(err), err
}

// PrintSlip prints the SBP slip for s (plugin.Printer). It asks for the
// status first and prints only when the printer answers and is ready
// (paper near end is ready). Otherwise, and when writing fails, it returns
// a *plugin.Error with code EUnavailable and one of the plugin.Printer*
// reasons (a port error that is already a *plugin.Error keeps its own);
// the flow then shows the QR on screen. A slip that cannot be
// encoded (an empty or oversized QR payload) or invalid Options give code
// EInvalid.
func (p *Printer) PrintSlip(ctx context.Context, s plugin.Slip) error {
	if err := p.opts.Validate(); err != nil {
		return &plugin.Error{Code: plugin.EInvalid, Reason: "invalid_settings", Message: err.Error()}
	}
	job, err := encodeSlip(s, p.opts)
	if err != nil {
		return &plugin.Error{Code: plugin.EInvalid, Reason: "invalid_slip", Message: "the slip cannot be printed", Err: err}
	}
	return p.print(ctx, job, false)
}

// PrintTest prints the test page (EncodeTestPage). Like PrintSlip it
// refuses when the printer reports paper end, cover open, offline or an
// error; unlike PrintSlip it prints when the printer does not answer status
// queries at all, because the test page is how a technician checks such a
// printer.
func (p *Printer) PrintTest(ctx context.Context) error {
	if err := p.opts.Validate(); err != nil {
		return &plugin.Error{Code: plugin.EInvalid, Reason: "invalid_settings", Message: err.Error()}
	}
	return p.print(ctx, EncodeTestPage(p.opts), true)
}

// print checks the status and writes job.
func (p *Printer) print(ctx context.Context, job []byte, evenIfSilent bool) error {
	if err := p.lock(ctx); err != nil {
		return err
	}
	defer p.unlock()
	st, err := p.status(ctx)
	if err != nil {
		return err
	}
	if reason := st.Reason(); reason != "" && !(evenIfSilent && reason == plugin.PrinterNoAnswer) {
		return &plugin.Error{Code: plugin.EUnavailable, Reason: reason, Message: message(reason) + " (" + st.String() + ")"}
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("printer: %w", err)
	}
	if err := p.resync(); err != nil {
		return portFailure(plugin.PrinterWriteFailed, "cannot bring the receipt printer back in step after a job given up", err)
	}
	if err := p.write(job); err != nil {
		return portFailure(plugin.PrinterWriteFailed, "cannot send the job to the receipt printer", err)
	}
	return nil
}

// resync, after a job given up part way, sends NULs for the bytes it still
// owed, so that a command it was inside (a raster image, a QR's data)
// completes with blank data (NUL is no command: once the command is done,
// more are ignored), then resets the printer (ESC @) and cuts off the
// torn slip, so that the next job is read as commands from its start.
func (p *Printer) resync() error {
	if p.owed == 0 {
		return nil
	}
	var e Encoder
	e.Raw(make([]byte, p.owed)...)
	e.Raw(esc, '@')
	e.Cut()
	return p.write(e.Bytes())
}

// write sends b whole, then waits for the UART to empty when it can. A
// port that takes only part of b is given the rest. When the port fails
// part way, what was not sent is owed (resync): the printer may still be
// inside a command that expects it; a write that completes pays it all.
func (p *Printer) write(b []byte) error {
	start := time.Now()
	for sent := 0; sent < len(b); {
		n, err := p.port.Write(b[sent:])
		sent += max(n, 0)
		if err == nil && n <= 0 {
			err = io.ErrShortWrite
		}
		if took := time.Since(start); err == nil && sent < len(b) && took > p.opts.JobTimeout {
			err = &plugin.Error{Code: plugin.EUnavailable, Reason: plugin.PrinterWriteStalled,
				Message: fmt.Sprintf("the printer takes bytes too slowly: %d of %d in %s", sent, len(b), took.Round(time.Millisecond))}
		}
		if err != nil {
			if sent > 0 || plugin.ErrorReason(err) == plugin.PrinterWriteStalled { // a stalled chunk may yet go out
				p.owed = len(b) - sent
			}
			return fmt.Errorf("printer: wrote %d of %d bytes: %w", sent, len(b), err)
		}
	}
	p.owed = 0
	if d, ok := p.port.(Drainer); ok {
		if err := d.Drain(); err != nil {
			return fmt.Errorf("printer: drain: %w", err)
		}
	}
	return nil
}

// status queries DLE EOT 1, 2 and 4, and 3 when 2 reports an error, one at
// a time, after discarding any unread input. It stops at the first query
// left unanswered: the status is then unknown.
func (p *Printer) status(ctx context.Context) (Status, error) {
	if err := discardInput(p.port); err != nil {
		return Status{}, noAnswer(err)
	}
	var st Status
	for _, n := range []int{1, 2, 3, 4} {
		if n == 3 && !st.Error {
			continue // the cause of an error is asked only when there is one
		}
		if err := ctx.Err(); err != nil {
			return Status{}, fmt.Errorf("printer: %w", err)
		}
		b, ok, err := p.ask(n)
		if err != nil {
			return Status{}, err
		}
		if !ok {
			if n == 3 {
				continue // DLE EOT 3 is optional: some clones do not answer it
			}
			st.Known = false
			return st, nil
		}
		r, _ := ParseStatus(n, b) // ask returns only valid replies
		st.add(n, r)
	}
	st.Known = true
	return st, nil
}

// ask sends DLE EOT n and waits up to the status timeout for a valid reply
// byte, skipping bytes that are not one. ok is false when none came.
func (p *Printer) ask(n int) (reply byte, ok bool, err error) {
	if _, err := p.port.Write([]byte{dle, eot, byte(n)}); err != nil {
		return 0, false, portFailure(plugin.PrinterWriteFailed, "cannot send a status query to the receipt printer", err)
	}
	deadline := time.Now().Add(p.opts.StatusTimeout)
	var buf [16]byte
	for {
		left := time.Until(deadline)
		if left <= 0 {
			return 0, false, nil
		}
		if err := p.port.SetReadTimeout(left); err != nil {
			return 0, false, noAnswer(err)
		}
		k, err := p.port.Read(buf[:])
		if err != nil {
			return 0, false, noAnswer(err)
		}
		if k == 0 {
			return 0, false, nil // go.bug.st/serial's timeout
		}
		for _, b := range buf[:k] {
			if _, err := ParseStatus(n, b); err == nil {
				return b, true, nil
			}
		}
	}
}

func noAnswer(err error) error {
	return portFailure(plugin.PrinterNoAnswer, "cannot read the receipt printer's status", err)
}

// portFailure turns a port error into a *plugin.Error with code
// EUnavailable and reason, unless the port already says why: a port that
// returns a *plugin.Error (drivers/serial reports port_missing and
// port_busy that way) keeps its code and reason, with msg added.
func portFailure(reason, msg string, err error) error {
	if _, ok := errors.AsType[*plugin.Error](err); ok {
		return fmt.Errorf("printer: %s: %w", msg, err)
	}
	return &plugin.Error{Code: plugin.EUnavailable, Reason: reason, Message: msg, Err: err}
}

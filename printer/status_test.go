package printer_test

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/sbpd/sbpd/plugin"
	"github.com/sbpd/sbpd/printer"
)

// testTimeout keeps silent-printer tests in milliseconds.
const testTimeout = 30 * time.Millisecond

func TestParseStatus(t *testing.T) {
	type flags struct{ online, cover, near, end, err bool }
	for _, tc := range []struct {
		name string
		n    int
		b    byte
		want flags
	}{
		{"n1 0x12 online", 1, 0x12, flags{online: true}},
		{"n1 0x16 online, drawer pin high", 1, 0x16, flags{online: true}},
		{"n1 0x1A offline", 1, 0x1A, flags{}},
		{"n2 0x12 clear", 2, 0x12, flags{}},
		{"n2 0x16 cover open", 2, 0x16, flags{cover: true}},
		{"n2 0x32 stopped on paper end", 2, 0x32, flags{end: true}},
		{"n2 0x52 error", 2, 0x52, flags{err: true}},
		{"n3 0x12 no error", 3, 0x12, flags{}},
		{"n3 0x1A autocutter error", 3, 0x1A, flags{err: true}},
		{"n3 0x52 auto-recoverable error", 3, 0x52, flags{err: true}},
		{"n4 0x12 paper ok", 4, 0x12, flags{}},
		{"n4 0x1E near end", 4, 0x1E, flags{near: true}},
		{"n4 0x72 paper end", 4, 0x72, flags{end: true}},
		{"n4 0x7E near end and end", 4, 0x7E, flags{near: true, end: true}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, err := printer.ParseStatus(tc.n, tc.b)
			if err != nil {
				t.Fatal(err)
			}
			got := flags{s.Online, s.CoverOpen, s.PaperNearEnd, s.PaperEnd, s.Error}
			if got != tc.want {
				t.Errorf("got %+v, want %+v", got, tc.want)
			}
			if !s.Known || s.Raw[tc.n-1] != tc.b {
				t.Errorf("Known %v Raw %x", s.Known, s.Raw)
			}
		})
	}
	for _, bad := range []struct {
		n int
		b byte
	}{{1, 0x00}, {1, 0xFF}, {1, 0x02}, {2, 0x13}, {4, 0x92}, {4, 0x10}, {3, 0x80}, {0, 0x12}, {5, 0x12}} {
		if s, err := printer.ParseStatus(bad.n, bad.b); err == nil {
			t.Errorf("ParseStatus(%d, %#02x) = %+v, want an error", bad.n, bad.b, s)
		}
	}
}

func TestStatus_Word(t *testing.T) {
	for _, tc := range []struct {
		s    printer.Status
		word string
	}{
		{printer.Status{}, plugin.PrinterNoAnswer},
		{printer.Status{Known: true, Online: true}, "ok"},
		{printer.Status{Known: true, Online: true, PaperNearEnd: true}, "paper_near_end"},
		{printer.Status{Known: true, PaperEnd: true, PaperNearEnd: true}, plugin.PrinterPaperEnd},
		{printer.Status{Known: true, Online: true, PaperNearEnd: true, CoverOpen: true}, plugin.PrinterCoverOpen},
		{printer.Status{Known: true}, plugin.PrinterOffline},
	} {
		if got := tc.s.Word(); got != tc.word {
			t.Errorf("%+v: Word %q, want %q", tc.s, got, tc.word)
		}
	}
}

func TestStatus_ReasonString(t *testing.T) {
	for _, tc := range []struct {
		s            printer.Status
		reason, text string
	}{
		{printer.Status{}, plugin.PrinterNoAnswer, "unknown (no answer to DLE EOT)"},
		{printer.Status{Known: true, Online: true}, "", "online"},
		{printer.Status{Known: true, Online: true, PaperNearEnd: true}, "", "online, paper near end"},
		{printer.Status{Known: true, PaperEnd: true, PaperNearEnd: true}, plugin.PrinterPaperEnd, "offline, paper end"},
		{printer.Status{Known: true, CoverOpen: true, PaperEnd: true}, plugin.PrinterCoverOpen, "offline, cover open, paper end"},
		{printer.Status{Known: true, Online: true, Error: true}, plugin.PrinterError, "online, error"},
		{printer.Status{Known: true, Error: true, Raw: [4]byte{0x1A, 0x52, 0x1A, 0x12}}, plugin.PrinterError, "offline, error (autocutter)"},
		{printer.Status{Known: true}, plugin.PrinterOffline, "offline"},
	} {
		if got := tc.s.Reason(); got != tc.reason {
			t.Errorf("%+v: Reason %q, want %q", tc.s, got, tc.reason)
		}
		if got := tc.s.String(); got != tc.text {
			t.Errorf("%+v: String %q, want %q", tc.s, got, tc.text)
		}
	}
}

func TestPrinter_Status(t *testing.T) {
	for _, tc := range []struct {
		name     string
		replies  map[byte][]byte
		delay    time.Duration
		known    bool
		reason   string
		text     string
		queries  []byte // the n of each DLE EOT sent
		rawReply [4]byte
	}{
		{name: "ready", replies: readyReplies(), known: true, text: "online",
			queries: []byte{1, 2, 4}, rawReply: [4]byte{0x16, 0x12, 0, 0x12}},
		{name: "near end", replies: map[byte][]byte{1: {0x16}, 2: {0x12}, 4: {0x1E}}, known: true,
			text: "online, paper near end", queries: []byte{1, 2, 4}},
		{name: "paper end", replies: map[byte][]byte{1: {0x1A}, 2: {0x32}, 4: {0x72}}, known: true,
			reason: plugin.PrinterPaperEnd, text: "offline, paper end", queries: []byte{1, 2, 4}},
		{name: "cover open", replies: map[byte][]byte{1: {0x1A}, 2: {0x16}, 4: {0x12}}, known: true,
			reason: plugin.PrinterCoverOpen, text: "offline, cover open", queries: []byte{1, 2, 4}},
		{name: "offline", replies: map[byte][]byte{1: {0x1A}, 2: {0x12}, 4: {0x12}}, known: true,
			reason: plugin.PrinterOffline, text: "offline", queries: []byte{1, 2, 4}},
		{name: "error with its cause", replies: map[byte][]byte{1: {0x1A}, 2: {0x52}, 3: {0x1A}, 4: {0x12}}, known: true,
			reason: plugin.PrinterError, text: "offline, error (autocutter)", queries: []byte{1, 2, 3, 4}},
		{name: "error, DLE EOT 3 unanswered", replies: map[byte][]byte{1: {0x1A}, 2: {0x52}, 4: {0x12}}, known: true,
			reason: plugin.PrinterError, text: "offline, error", queries: []byte{1, 2, 3, 4}},
		{name: "silent", replies: nil, reason: plugin.PrinterNoAnswer, queries: []byte{1}},
		{name: "silent on DLE EOT 4", replies: map[byte][]byte{1: {0x16}, 2: {0x12}}, reason: plugin.PrinterNoAnswer,
			queries: []byte{1, 2, 4}},
		{name: "garbage before the reply", replies: map[byte][]byte{1: {0xFF, 0x00, 0x16}, 2: {0x80, 0x12}, 4: {0x12}},
			known: true, text: "online", queries: []byte{1, 2, 4}},
		{name: "only garbage", replies: map[byte][]byte{1: {0xFF}, 2: {0x12}, 4: {0x12}},
			reason: plugin.PrinterNoAnswer, queries: []byte{1}},
		{name: "answers late", replies: readyReplies(), delay: 3 * testTimeout,
			reason: plugin.PrinterNoAnswer, queries: []byte{1}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFakePort(tc.replies)
			f.delay = tc.delay
			p := printer.New(f, printer.Options{StatusTimeout: testTimeout})
			st, err := p.Status(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			if st.Known != tc.known || st.Reason() != tc.reason {
				t.Errorf("status %+v: Known %v Reason %q, want %v %q", st, st.Known, st.Reason(), tc.known, tc.reason)
			}
			if tc.known && st.String() != tc.text {
				t.Errorf("String %q, want %q", st.String(), tc.text)
			}
			if !tc.known && !strings.HasPrefix(st.String(), "unknown") {
				t.Errorf("String %q for an unknown status", st.String())
			}
			if tc.rawReply != ([4]byte{}) && st.Raw != tc.rawReply {
				t.Errorf("Raw % x, want % x", st.Raw, tc.rawReply)
			}
			var sent []byte
			for _, w := range f.written() {
				if len(w) != 3 || w[0] != 0x10 || w[1] != 0x04 {
					t.Fatalf("Status wrote % x, not a DLE EOT", w)
				}
				sent = append(sent, w[2])
			}
			if !bytes.Equal(sent, tc.queries) {
				t.Errorf("queried DLE EOT %v, want %v", sent, tc.queries)
			}
		})
	}
}

// TestPrinter_Status_StaleInput: a byte waiting before the query (here one
// that looks like "offline") must not be taken for the reply.
func TestPrinter_Status_StaleInput(t *testing.T) {
	for name, port := range map[string]func(*fakePort) printer.Port{
		"read to drain":    func(f *fakePort) printer.Port { return f },
		"ResetInputBuffer": func(f *fakePort) printer.Port { return &fullPort{fakePort: f} },
	} {
		t.Run(name, func(t *testing.T) {
			f := newFakePort(readyReplies())
			f.push(0x1A, 0xFF, 0x1A)
			st, err := printer.New(port(f), printer.Options{StatusTimeout: testTimeout}).Status(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			if !st.Known || !st.Online || st.Reason() != "" {
				t.Errorf("status %v (%+v), want online", st, st)
			}
		})
	}
}

// TestPrinter_Status_LateAnswerThenRecover: a reply that comes after the
// timeout makes the status unknown, and it must not be read as the reply
// to the next query.
func TestPrinter_Status_LateAnswerThenRecover(t *testing.T) {
	f := newFakePort(map[byte][]byte{1: {0x1A}, 2: {0x16}, 4: {0x72}})
	f.delay = 2 * testTimeout
	p := printer.New(f, printer.Options{StatusTimeout: testTimeout})
	st, err := p.Status(context.Background())
	if err != nil || st.Known {
		t.Fatalf("late printer: %v, %v; want unknown", st, err)
	}
	deadline := time.Now().Add(2 * time.Second)
	for f.pending() == 0 && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	if f.pending() == 0 {
		t.Fatal("the late reply never came")
	}
	f.set(func(f *fakePort) { f.delay, f.replies = 0, readyReplies() })
	st, err = p.Status(context.Background())
	if err != nil || !st.Known || !st.Online || st.Reason() != "" {
		t.Errorf("after recovery: %v (%+v), %v; want online", st, st, err)
	}
}

func TestPrinter_Status_PortErrors(t *testing.T) {
	f := newFakePort(readyReplies())
	f.queryErr = errPort
	_, err := printer.New(f, printer.Options{StatusTimeout: testTimeout}).Status(context.Background())
	if plugin.ErrorCode(err) != plugin.EUnavailable || plugin.ErrorReason(err) != plugin.PrinterWriteFailed {
		t.Errorf("query write failure: %v (%s/%s)", err, plugin.ErrorCode(err), plugin.ErrorReason(err))
	}
	// A port that already says why (drivers/serial) keeps its reason.
	missing := &plugin.Error{Code: plugin.EUnavailable, Reason: plugin.PrinterPortMissing, Message: "/dev/ttyS0 is gone"}
	f = newFakePort(readyReplies())
	f.queryErr = missing
	_, err = printer.New(f, printer.Options{StatusTimeout: testTimeout}).Status(context.Background())
	if plugin.ErrorReason(err) != plugin.PrinterPortMissing || !errors.Is(err, missing) {
		t.Errorf("port's own error: %v (%s), want port_missing", err, plugin.ErrorReason(err))
	}
	f = newFakePort(readyReplies())
	f.writeErr = missing
	err = printer.New(f, printer.Options{StatusTimeout: testTimeout}).PrintSlip(context.Background(), testSlip())
	if plugin.ErrorReason(err) != plugin.PrinterPortMissing {
		t.Errorf("job write, port's own error: %v (%s), want port_missing", err, plugin.ErrorReason(err))
	}
}

// TestPrinter_StatusText_PortError: when the port fails, the state says
// why (the port's own error, as drivers/serial words it), not "no answer
// to DLE EOT": the printer was never heard, so nothing is known of it.
// A silent printer is still "no answer".
func TestPrinter_StatusText_PortError(t *testing.T) {
	missing := &plugin.Error{Code: plugin.EUnavailable, Reason: plugin.PrinterPortMissing,
		Message: "serial port /dev/ttyS99 cannot be opened", Err: errors.New("no such file or directory")}
	for _, tc := range []struct {
		err         error
		word, state string
	}{
		{missing, plugin.PrinterPortMissing, "serial port /dev/ttyS99 cannot be opened: no such file or directory"},
		{errPort, plugin.PrinterWriteFailed, "cannot send a status query to the receipt printer: input/output error"},
	} {
		f := newFakePort(readyReplies())
		f.queryErr = tc.err
		state, word, err := printer.New(f, printer.Options{StatusTimeout: testTimeout}).StatusText(context.Background())
		if err == nil || word != tc.word || state != tc.state {
			t.Errorf("%v: state %q, word %q, err %v; want %q, %q", tc.err, state, word, err, tc.state, tc.word)
		}
	}
	state, word, err := printer.New(newFakePort(nil), printer.Options{StatusTimeout: testTimeout}).StatusText(context.Background())
	if err != nil || word != plugin.PrinterNoAnswer || state != "unknown (no answer to DLE EOT)" {
		t.Errorf("silent printer: state %q, word %q, err %v", state, word, err)
	}
}

// TestPrinter_PrintSlip_Stalled: a port that gave up a write to a printer
// that stopped taking bytes (drivers/serial: write_stalled) keeps its
// reason, for the status query and for the job alike, so the payment
// falls back to the screen saying why, and /healthz says write_stalled.
func TestPrinter_PrintSlip_Stalled(t *testing.T) {
	stalled := &plugin.Error{Code: plugin.EUnavailable, Reason: plugin.PrinterWriteStalled,
		Message: "serial /dev/ttyACM0: write: not done after 2s"}
	f := newFakePort(readyReplies())
	f.queryErr = stalled
	p := printer.New(f, printer.Options{StatusTimeout: testTimeout})
	if err := p.PrintSlip(context.Background(), testSlip()); plugin.ErrorReason(err) != plugin.PrinterWriteStalled || !errors.Is(err, stalled) {
		t.Errorf("status query stalled: PrintSlip = %v (%s), want write_stalled", err, plugin.ErrorReason(err))
	}
	if _, word, _ := p.StatusText(context.Background()); word != plugin.PrinterWriteStalled {
		t.Errorf("status query stalled: word %q, want write_stalled", word)
	}
	f = newFakePort(readyReplies())
	f.writeErr = stalled
	err := printer.New(f, printer.Options{StatusTimeout: testTimeout}).PrintSlip(context.Background(), testSlip())
	if plugin.ErrorReason(err) != plugin.PrinterWriteStalled {
		t.Errorf("job stalled: PrintSlip = %v (%s), want write_stalled", err, plugin.ErrorReason(err))
	}
}

// jobBytes is what a print writes besides the status queries, joined.
func jobBytes(ws [][]byte) []byte {
	var out []byte
	for _, w := range ws {
		if !(len(w) == 3 && w[0] == 0x10 && w[1] == 0x04) {
			out = append(out, w...)
		}
	}
	return out
}

// TestPrinter_PrintSlip_AfterAnAbandonedJob: a job given up part way (a
// stalled printer) leaves the printer inside a command that still expects
// data (a raster image, a QR's bytes); the next print first sends NULs for
// what the abandoned job still owed (a no-op once the command is
// complete), then resets the printer and cuts the torn slip off, so that
// the next slip is read as commands, not swallowed as image data.
func TestPrinter_PrintSlip_AfterAnAbandonedJob(t *testing.T) {
	clean := newFakePort(readyReplies())
	if err := printer.New(clean, printer.Options{StatusTimeout: testTimeout}).PrintSlip(context.Background(), testSlip()); err != nil {
		t.Fatal(err)
	}
	whole := jobBytes(clean.written())

	stalled := &plugin.Error{Code: plugin.EUnavailable, Reason: plugin.PrinterWriteStalled, Message: "write: not done after 2s"}
	f := newFakePort(readyReplies())
	f.chunk = 64
	jobs := 0
	f.jobHook = func() {
		if jobs++; jobs == 3 { // two chunks went out, the third stalls
			f.set(func(f *fakePort) { f.writeErr = stalled })
		}
	}
	p := printer.New(f, printer.Options{StatusTimeout: testTimeout})
	if err := p.PrintSlip(context.Background(), testSlip()); plugin.ErrorReason(err) != plugin.PrinterWriteStalled {
		t.Fatalf("the stalled job: %v", err)
	}
	f.set(func(f *fakePort) { f.writeErr, f.jobHook, f.writes = nil, nil, nil })
	if err := p.PrintSlip(context.Background(), testSlip()); err != nil {
		t.Fatalf("the next job: %v", err)
	}
	got := jobBytes(f.written())
	owed := len(whole) - 128
	if len(got) < owed+2 || !bytes.Equal(got[:owed], make([]byte, owed)) || got[owed] != 0x1b || got[owed+1] != '@' {
		t.Fatalf("the next job starts % x…, want %d NULs then ESC @", got[:min(len(got), 16)], owed)
	}
	if !bytes.HasSuffix(got, whole) {
		t.Fatal("the next job does not end with the whole slip")
	}
	f.set(func(f *fakePort) { f.writes = nil })
	if err := p.PrintSlip(context.Background(), testSlip()); err != nil || !bytes.Equal(jobBytes(f.written()), whole) {
		t.Fatalf("a third job still resyncs: %v", err)
	}
}

// TestPrinter_PrintSlip_TooSlow: a printer that takes each chunk in time
// but the whole job far too slowly (each write under the port's bound) is
// given up at JobTimeout with write_stalled, what it still owes recorded,
// so the payment is not held in the print for minutes.
func TestPrinter_PrintSlip_TooSlow(t *testing.T) {
	f := newFakePort(readyReplies())
	f.chunk = 64
	f.jobHook = func() { time.Sleep(5 * time.Millisecond) } // each chunk in time, the job not
	p := printer.New(f, printer.Options{StatusTimeout: testTimeout, JobTimeout: 20 * time.Millisecond})
	err := p.PrintSlip(context.Background(), testSlip())
	if plugin.ErrorReason(err) != plugin.PrinterWriteStalled || !strings.Contains(err.Error(), "too slowly") {
		t.Fatalf("a job far too slow: %v (%s), want write_stalled", err, plugin.ErrorReason(err))
	}
	f.set(func(f *fakePort) { f.jobHook, f.writes = nil, nil })
	if err := p.PrintSlip(context.Background(), testSlip()); err != nil || len(jobBytes(f.written())) == 0 || jobBytes(f.written())[0] != 0 {
		t.Fatalf("the next job does not first pay what the slow one owed: %v", err)
	}
}

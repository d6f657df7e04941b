package display

import (
	"io"
	"os"
	"strings"
	"sync"

	"golang.org/x/term"

	"github.com/sbpd/sbpd/plugin"
)

// Terminal is the kiosk screen drawn in a text terminal, for headless kiosks
// and development (sbpd serve --screen terminal): on every change it draws
// the shopper's text, the amount and, in mode 1, the QR in half-block
// characters that a phone reads off the terminal.
//
// Show never blocks: drawing happens on Terminal's own goroutine, and a
// terminal that cannot keep up skips to the newest state. Close draws what
// is pending and stops.
type Terminal struct {
	// Inverse draws the QR for a dark-on-light terminal; the default suits
	// the usual light-on-dark one. Set it before the first Show.
	Inverse bool
	// Clear clears the terminal before each drawing, so the terminal looks
	// like a screen rather than a log. NewTerminal sets it when w is a
	// terminal. Set it before the first Show.
	Clear bool

	w    io.Writer
	next chan termFrame

	mu      sync.Mutex
	cond    *sync.Cond
	current *plugin.Payment
	seq     uint64 // changes accepted
	drawn   uint64 // changes drawn or skipped for a newer one
	closed  bool
	done    chan struct{}
}

type termFrame struct {
	p   *plugin.Payment // nil: idle
	seq uint64
}

var _ plugin.Screen = (*Terminal)(nil)

// NewTerminal returns a terminal screen writing to w and draws the idle
// screen.
func NewTerminal(w io.Writer) *Terminal {
	t := &Terminal{w: w, next: make(chan termFrame, 1), done: make(chan struct{})}
	if f, ok := w.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		t.Clear = true
	}
	t.cond = sync.NewCond(&t.mu)
	t.seq = 1
	t.next <- termFrame{nil, 1}
	go t.loop()
	return t
}

// Show draws p, unless it is an older payment's late change while another
// payment holds the kiosk.
func (t *Terminal) Show(p plugin.Payment) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.closed || !covers(t.current, p) {
		return
	}
	t.current = &p
	t.seq++
	offer(t.next, termFrame{&p, t.seq})
}

// Sync waits until every change shown so far is on the terminal (or was
// skipped for a newer one).
func (t *Terminal) Sync() {
	t.mu.Lock()
	defer t.mu.Unlock()
	for t.drawn < t.seq && !t.closedAndDone() {
		t.cond.Wait()
	}
}

func (t *Terminal) closedAndDone() bool {
	select {
	case <-t.done:
		return true
	default:
		return false
	}
}

// Close draws the pending change, if any, and stops the terminal's
// goroutine. Later changes are ignored.
func (t *Terminal) Close() error {
	t.mu.Lock()
	if !t.closed {
		t.closed = true
		close(t.next)
	}
	t.mu.Unlock()
	<-t.done
	return nil
}

func (t *Terminal) loop() {
	defer func() {
		t.mu.Lock()
		close(t.done)
		t.cond.Broadcast()
		t.mu.Unlock()
	}()
	for f := range t.next {
		io.WriteString(t.w, t.render(f.p))
		t.mu.Lock()
		t.drawn = f.seq
		t.cond.Broadcast()
		t.mu.Unlock()
	}
}

// render is one drawing of the screen.
func (t *Terminal) render(p *plugin.Payment) string {
	var b strings.Builder
	if t.Clear {
		b.WriteString("\x1b[H\x1b[2J")
	} else {
		b.WriteString(strings.Repeat("─", 40) + "\n")
	}
	line := func(s string) { b.WriteString("  " + s + "\n") }
	if p == nil {
		b.WriteString("\n")
		line(TextIdle)
		b.WriteString("\n")
		return b.String()
	}
	v := ViewOf(*p)
	b.WriteString("\n")
	if showsAmount(v) {
		line(amountLabel(*p) + ": " + Amount(p.Amount))
		b.WriteString("\n")
	}
	if v == ViewQR {
		if qr, err := QRText(p.QRPayload, t.Inverse); err == nil {
			b.WriteString(qr)
			b.WriteString("\n")
		}
	}
	mark := map[View]string{ViewWait: "… ", ViewReceipt: "… ", ViewCanceling: "… ",
		ViewPaid: "✓ ", ViewNotPaid: "✗ ", ViewAttention: "! ", ViewDialog: "! "}[v]
	for i, s := range termLines(*p, v) {
		if i == 0 {
			s = mark + s
		}
		line(s)
	}
	if v == ViewDialog {
		b.WriteString("\n")
		line("[ " + TextRetryButton + " ]   [ " + TextCancelBtn + " ]")
	}
	b.WriteString("\n")
	return b.String()
}

// termLines are the texts of view v, as the page words them (the page also
// counts down to expires_at).
func termLines(p plugin.Payment, v View) []string {
	switch v {
	case ViewDialog:
		return []string{messageOf(p), TextAlreadyPaid}
	case ViewPaid:
		return []string{messageOf(p), Amount(p.Amount), TextTakeReceipt}
	case ViewNotPaid:
		happened, next, _ := NotPaid(p.Reason)
		return []string{happened, next}
	case ViewAttention:
		if p.OrderNo != "" {
			return []string{messageOf(p), OrderLine(p.OrderNo, p.CreatedAt.Local())}
		}
	}
	return []string{messageOf(p)}
}

package display_test

import (
	"bytes"
	"image"
	"image/color"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sbpd/sbpd/display"
	"github.com/sbpd/sbpd/plugin"
)

// drawn shows p on a fresh terminal and returns what it wrote after the
// idle screen.
func drawn(t *testing.T, p plugin.Payment, inverse bool) string {
	t.Helper()
	var buf bytes.Buffer
	term := display.NewTerminal(&buf)
	term.Sync()
	buf.Reset()
	term.Inverse = inverse
	term.Show(p)
	term.Close()
	return buf.String()
}

// qrFromText turns the half-block QR in a terminal drawing back into an
// image, 4 pixels a module.
func qrFromText(t *testing.T, out string, inverse bool) image.Image {
	t.Helper()
	var rows []string
	for _, line := range strings.Split(out, "\n") {
		if line != "" && strings.Trim(line, " █▄▀") == "" && strings.ContainsAny(line, "█▄▀") {
			rows = append(rows, line)
		}
	}
	if len(rows) == 0 {
		t.Fatalf("no QR in the drawing:\n%s", out)
	}
	w := len([]rune(rows[0]))
	const px = 4
	img := image.NewGray(image.Rect(0, 0, w*px, 2*len(rows)*px))
	set := func(x, y int, light bool) {
		c := color.Gray{0}
		if light != inverse {
			c = color.Gray{255}
		}
		for i := 0; i < px; i++ {
			for j := 0; j < px; j++ {
				img.SetGray(x*px+i, y*px+j, c)
			}
		}
	}
	for y, row := range rows {
		for x, r := range []rune(row) {
			top, bottom := r == '█' || r == '▀', r == '█' || r == '▄' // lit halves
			set(x, 2*y, top)
			set(x, 2*y+1, bottom)
		}
	}
	return img
}

func TestTerminal_QRReadsBack(t *testing.T) {
	p := payment("P1", plugin.StateAwaitingPayment)
	for _, inverse := range []bool{false, true} {
		out := drawn(t, p, inverse)
		if got := decode(t, qrFromText(t, out, inverse)); got != p.QRPayload {
			t.Fatalf("inverse %t: the terminal's QR reads %q", inverse, got)
		}
		if !strings.Contains(out, "К оплате: 259,90\u00a0₽") || !strings.Contains(out, plugin.TextScanScreen) {
			t.Fatalf("inverse %t:\n%s", inverse, out)
		}
	}
}

func TestTerminal_EveryState(t *testing.T) {
	p := func(st plugin.State, mutate func(*plugin.Payment)) plugin.Payment {
		q := payment("P1", st)
		if mutate != nil {
			mutate(&q)
			q.Decorate()
		}
		return q
	}
	cases := []struct {
		name      string
		p         plugin.Payment
		want      []string
		wantNoQR  bool
		forbidden []string
	}{
		{"creating", p(plugin.StateCreating, nil), []string{"К оплате: 259,90", plugin.TextWait}, true, nil},
		{"mixed", p(plugin.StateAwaitingPayment, func(q *plugin.Payment) { q.Mixed = true }),
			[]string{display.TextToPayMixed + ": 259,90", plugin.TextScanScreen}, false, nil},
		{"receipt", p(plugin.StateAwaitingPayment, func(q *plugin.Payment) { q.Mode = plugin.ModePrint }),
			[]string{plugin.TextScanReceipt}, true, nil},
		{"sticker", p(plugin.StateAwaitingPayment, func(q *plugin.Payment) { q.Mode, q.QRPayload = plugin.ModeSticker, "" }),
			[]string{plugin.TextScanSticker}, true, nil},
		{"dialog", p(plugin.StateStatusUnknown, func(q *plugin.Payment) { q.Offline = true }),
			[]string{plugin.TextNoConnection, display.TextAlreadyPaid, "[ Повторить ]   [ Отменить ]"}, true, nil},
		{"canceling", p(plugin.StateCanceling, nil), []string{plugin.TextCanceling}, true, []string{"К оплате"}},
		{"paid", p(plugin.StatePaid, nil), []string{"✓ " + plugin.TextPaid, "259,90", display.TextTakeReceipt}, true, []string{"К оплате"}},
		{"not paid", p(plugin.StateNotPaid, func(q *plugin.Payment) { q.Reason = plugin.ReasonInsufficientFunds }),
			[]string{"✗ " + display.TextNoFunds, display.TextNextOtherWay}, true, nil},
		{"needs attention", p(plugin.StateNeedsAttention, func(q *plugin.Payment) { q.Reason, q.OrderNo = plugin.ReasonCancelFailed, "K07-000153-1" }),
			[]string{"! " + plugin.TextNeedsAttention, "Заказ №\u00a0K07-000153-1"}, true, []string{"cancel_failed"}},
	}
	for _, c := range cases {
		out := drawn(t, c.p, false)
		for _, w := range c.want {
			if !strings.Contains(out, w) {
				t.Errorf("%s: no %q in\n%s", c.name, w, out)
			}
		}
		if c.wantNoQR && strings.Contains(out, "█") {
			t.Errorf("%s: a QR is drawn:\n%s", c.name, out)
		}
		for _, f := range append(c.forbidden, c.p.ID, c.p.CheckID+" ", string(c.p.State)) {
			if strings.Contains(out, f) {
				t.Errorf("%s: the shopper would see %q:\n%s", c.name, f, out)
			}
		}
	}
}

func TestTerminal_IdleAndClear(t *testing.T) {
	var buf bytes.Buffer
	term := display.NewTerminal(&buf)
	term.Sync()
	if out := buf.String(); !strings.Contains(out, display.TextIdle) || strings.Contains(out, "\x1b[") {
		t.Fatalf("idle drawing to a buffer: %q", out)
	}
	term.Clear = true // before the first Show
	term.Show(payment("P1", plugin.StatePaid))
	term.Close()
	if out := buf.String(); !strings.Contains(out, "\x1b[H\x1b[2J") {
		t.Fatalf("Clear does not clear: %q", out)
	}
	term.Show(payment("P2", plugin.StateCreating)) // after Close: ignored, no panic
}

// TestTerminal_BackgroundVerdict: an older payment's late verdict does not
// cover the payment the shopper is paying.
func TestTerminal_BackgroundVerdict(t *testing.T) {
	var buf bytes.Buffer
	term := display.NewTerminal(&buf)
	term.Show(payment("P1", plugin.StateAwaitingPayment))
	term.Sync()
	buf.Reset()
	term.Show(payment("OLD", plugin.StateNotPaid))
	term.Close()
	if buf.Len() != 0 {
		t.Fatalf("drew a background payment's verdict:\n%s", buf.String())
	}
}

// blockingWriter is a terminal that stopped reading (e.g. paused with
// Ctrl+S).
type blockingWriter struct {
	mu      sync.Mutex
	release chan struct{}
	writes  []string
}

func (w *blockingWriter) Write(b []byte) (int, error) {
	<-w.release
	w.mu.Lock()
	w.writes = append(w.writes, string(b))
	w.mu.Unlock()
	return len(b), nil
}

// TestTerminal_ShowNeverBlocks: a stuck terminal does not hold up the flow,
// and once it moves again it gets the newest state, not every stale one.
func TestTerminal_ShowNeverBlocks(t *testing.T) {
	w := &blockingWriter{release: make(chan struct{})}
	term := display.NewTerminal(w)
	done := make(chan struct{})
	go func() {
		for _, st := range plugin.States {
			term.Show(payment("P1", st))
		}
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("Show blocked on a stuck terminal")
	}
	close(w.release)
	term.Close()
	w.mu.Lock()
	defer w.mu.Unlock()
	if n := len(w.writes); n > 3 { // idle, the one being drawn, the newest
		t.Errorf("%d drawings for a stuck terminal, want the newest state only", n)
	}
	if last := w.writes[len(w.writes)-1]; !strings.Contains(last, plugin.TextNeedsAttention) {
		t.Errorf("the last drawing is not the newest state:\n%s", last)
	}
}

func TestFromFlag(t *testing.T) {
	var buf bytes.Buffer
	if s, err := display.FromFlag("web", &buf); s != nil || err != nil {
		t.Fatalf("web: %v %v", s, err)
	}
	s, err := display.FromFlag("terminal", &buf)
	if s == nil || err != nil {
		t.Fatalf("terminal: %v %v", s, err)
	}
	s.Close()
	if _, err := display.FromFlag("tv", &buf); err == nil || !strings.Contains(err.Error(), `"terminal"`) {
		t.Fatalf("tv: %v", err)
	}
}

func TestScreens_ShowsOnEach(t *testing.T) {
	web := display.New()
	var buf bytes.Buffer
	term := display.NewTerminal(&buf)
	display.Screens{web, nil, term}.Show(payment("P1", plugin.StatePaid))
	term.Close()
	if cur, ok := web.Current(); !ok || cur.ID != "P1" || !strings.Contains(buf.String(), plugin.TextPaid) {
		t.Fatalf("web %v %v, terminal %q", cur.ID, ok, buf.String())
	}
}

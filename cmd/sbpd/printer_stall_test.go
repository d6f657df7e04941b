package main

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/sbpd/sbpd/drivers/serial"
	"github.com/sbpd/sbpd/drivers/serial/serialtest"
	"github.com/sbpd/sbpd/plugin"
	"github.com/sbpd/sbpd/plugin/plugintest"
)

// TestE2E_Mode0StalledPrinterFallsBackToScreen: a USB printer that stops
// taking bytes (a full buffer, paper out mid-job) blocks the kernel's
// write of the status query. The write is given up after its bound on the
// serial line's clock: the payment shows its QR on screen with a
// printer_fallback event (write_stalled), /healthz answers at once and
// says write_stalled, the cancel works, and the daemon closes as on
// SIGTERM. Once the printer reads again the next payment prints.
func TestE2E_Mode0StalledPrinterFallsBackToScreen(t *testing.T) {
	fake := serialtest.NewPrinter(t, serialtest.PrinterOptions{})
	line := plugintest.NewClock() // the write bound's clock, apart from the daemon's
	h := printE2EWith(t, fake, func(o *serial.Options) { o.Clock = line })
	fake.Stall()

	started := make(chan plugin.Payment, 1)
	go func() { started <- h.start("1", 100, false) }()
	line.WaitForTimers(t, 1) // the status query's write, blocked in the kernel
	line.Advance(serial.WriteBound(3, 115200))
	var p plugin.Payment
	select {
	case p = <-started:
	case <-time.After(10 * time.Second):
		t.Fatal("the payment still waits on the stalled printer")
	}
	if p.State != plugin.StateAwaitingPayment || p.Mode != 1 || p.QRPayload == "" || p.Message != plugin.TextScanScreen {
		t.Fatalf("no fallback to the screen: %s mode %d %q", p.State, p.Mode, p.Message)
	}
	ev, ok := h.lastEvent(p.ID, plugin.EvPrinterFallback)
	if !ok || !strings.HasPrefix(ev.Detail, plugin.PrinterWriteStalled+":") {
		t.Fatalf("fallback event %q (%v), want write_stalled", ev.Detail, ok)
	}

	// The write is still stuck in the kernel: /healthz does not wait for it.
	healthz := make(chan string, 1)
	go func() { _, b := h.do("GET", "/healthz", ""); healthz <- string(b) }()
	select {
	case b := <-healthz:
		if !strings.Contains(b, `"status":"write_stalled"`) {
			t.Errorf("healthz while stalled: %s", b)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("/healthz waits on the stalled printer")
	}

	if st, b := h.do("POST", "/api/v1/payments/"+p.ID+"/cancel", ""); st != http.StatusOK {
		t.Fatalf("cancel: %d %s", st, b)
	}
	if got := h.until(p.ID, plugin.StateNotPaid, poll, 2); got.Reason != plugin.ReasonCancelled {
		t.Fatalf("after cancel: %+v", got)
	}

	// The printer takes bytes again: the next payment prints.
	fake.Resume()
	var q plugin.Payment
	for end := time.Now().Add(10 * time.Second); ; {
		q = h.start("2", 100, false)
		if q.Mode == 0 || time.Now().After(end) {
			break
		}
		if ev, _ := h.lastEvent(q.ID, plugin.EvPrinterFallback); !strings.HasPrefix(ev.Detail, plugin.PrinterWriteStalled+":") {
			t.Fatalf("after Resume: fallback %q", ev.Detail)
		}
		h.do("POST", "/api/v1/payments/"+q.ID+"/cancel", "")
		h.until(q.ID, plugin.StateNotPaid, poll, 2)
		time.Sleep(5 * time.Millisecond) // the stuck write returns in the background
	}
	if q.Mode != 0 {
		t.Fatalf("after Resume the slip still goes to the screen: mode %d", q.Mode)
	}
}

// TestE2E_Mode0StalledPrinterDoesNotHoldShutdown: SIGTERM while a write is
// stuck in the kernel: the daemon closes without waiting for it.
func TestE2E_Mode0StalledPrinterDoesNotHoldShutdown(t *testing.T) {
	fake := serialtest.NewPrinter(t, serialtest.PrinterOptions{})
	line := plugintest.NewClock()
	h := printE2EWith(t, fake, func(o *serial.Options) { o.Clock = line })
	fake.Stall()
	started := make(chan struct{})
	go func() { // raw: the daemon may close under the request
		defer close(started)
		if res, err := http.Post(h.d.URL()+"/api/v1/payments", "application/json", strings.NewReader(`{"check_id":"1","amount":100}`)); err == nil {
			res.Body.Close()
		}
	}()
	line.WaitForTimers(t, 1)
	closed := make(chan error, 1)
	go func() { closed <- h.d.Close() }()
	line.Advance(serial.MinWriteBound) // the print gives up; Close goes on
	select {
	case <-closed:
	case <-time.After(10 * time.Second):
		t.Fatal("Daemon.Close waits on the stalled printer")
	}
	<-started
}

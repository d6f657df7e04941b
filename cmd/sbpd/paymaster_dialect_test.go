package main

import (
	"bytes"
	"context"
	"image/png"
	"strings"
	"testing"
	"time"

	"github.com/sbpd/sbpd/config"
	"github.com/sbpd/sbpd/drivers/paymaster"
	"github.com/sbpd/sbpd/drivers/paymaster/sandbox"
	"github.com/sbpd/sbpd/drivers/serial/serialtest"
	"github.com/sbpd/sbpd/plugin"
	"github.com/sbpd/sbpd/printer"
)

// The PayMaster dialect from the public evidence (issue 13): what the
// driver sends, and what the daemon does when PayMaster answers otherwise
// than the sandbox's default reading of the documentation.

// settle waits until a runner sleeps on the fake clock (up to about two
// seconds of real time when none does).
func (h *e2e) settle() {
	h.t.Helper()
	for i := 0; i < 200; i++ {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Millisecond)
		sleeping := h.clock.BlockUntilContext(ctx, 1) == nil
		cancel()
		if sleeping {
			return
		}
	}
}

// runFor moves the fake clock forward by total in steps, letting the
// runners do what is due before each step.
func (h *e2e) runFor(total, step time.Duration) {
	h.t.Helper()
	for d := time.Duration(0); d < total; d += step {
		h.settle()
		h.clock.Advance(step)
	}
	h.settle()
}

// eventDetail returns the detail of the payment's last event of kind.
func (h *e2e) eventDetail(id, kind string) string {
	h.t.Helper()
	ev, ok := h.lastEvent(id, kind)
	if !ok {
		h.t.Fatalf("payment %s has no %s event: %v", id, kind, h.events(id))
	}
	return ev.Detail
}

func TestDialect_CreateSendsLowerCaseSBP(t *testing.T) {
	h := newE2E(t)
	// A PayMaster that matches the method alias as its documentation
	// writes it: "SBP" would be refused and no QR ever shown.
	h.sb.SetDialect(sandbox.Dialect{MethodExact: true})
	p := h.start("000153", 25990, false)
	if p.State != plugin.StateAwaitingPayment || p.QRPayload == "" {
		t.Fatalf("after POST: %s %q (%v)", p.State, p.QRPayload, p.Error)
	}
	h.sb.Pay(p.PayMasterID)
	h.until(p.ID, plugin.StatePaid, poll, 1)
}

// A test-mode payment's link is a PayMaster mock page, not qr.nspk.ru: it
// reaches the till, the screen's QR and the receipt like any other.
func TestDialect_MockPageQRWorksLikeNSPK(t *testing.T) {
	const mock = "https://paymaster.ru/cpay/mock/sbp/"
	t.Run("screen", func(t *testing.T) {
		h := newE2E(t, func(c *config.Config) { c.PayMaster.TestMode = true })
		p := h.start("000153", 25990, false)
		remote, _ := h.sb.Payment(p.PayMasterID)
		if p.State != plugin.StateAwaitingPayment || p.QRPayload != remote.PaymentURL || !strings.HasPrefix(p.QRPayload, mock) {
			t.Fatalf("%s qr_payload %q, PayMaster's paymentUrl %q", p.State, p.QRPayload, remote.PaymentURL)
		}
		st, b := h.do("GET", "/screen/qr/"+p.ID, "")
		if st != 200 {
			t.Fatalf("screen QR: %d %.200s", st, b)
		}
		img, err := png.Decode(bytes.NewReader(b))
		if err != nil {
			t.Fatal(err)
		}
		if text, err := decodeQR(img); err != nil || text != p.QRPayload {
			t.Fatalf("the screen's QR reads %q (%v), want %q", text, err, p.QRPayload)
		}
		h.sb.Pay(p.PayMasterID)
		h.until(p.ID, plugin.StatePaid, poll, 1)
	})
	t.Run("receipt", func(t *testing.T) {
		fake := serialtest.NewPrinter(t, serialtest.PrinterOptions{})
		h := printE2E(t, fake, func(c *config.Config) { c.PayMaster.TestMode = true })
		p := h.start("000154", 100, false)
		if p.State != plugin.StateAwaitingPayment || p.Mode != 0 || !strings.HasPrefix(p.QRPayload, mock) {
			t.Fatalf("%s mode %d %q", p.State, p.Mode, p.QRPayload)
		}
		want := printer.EncodeSlip(slipOf(p, "K07"), printerOptions(h.cfg))
		if got := fake.WaitForBytes(len(want), 5*time.Second); !bytes.Equal(got, want) {
			t.Fatalf("the printer received %d bytes, not the %d-byte slip", len(got), len(want))
		}
		h.sb.Pay(p.PayMasterID)
		h.until(p.ID, plugin.StatePaid, poll, 1)
	})
}

// A create whose answer is lost, at a PayMaster whose list rows lack
// invoice.orderNo and which refuses a reused Idempotency-Key: the payment
// is found by the order number's second carrier, and paid once it settles,
// with a handful of create requests at most.
func TestDialect_LostCreateListRowsWithoutOrderNo(t *testing.T) {
	h := newE2E(t)
	h.sb.SetDialect(sandbox.Dialect{ListRowsWithoutOrderNo: true, KeyReuse: sandbox.KeyReuseRefused})
	h.sb.AddFault(sandbox.Fault{Method: "POST", AfterHandling: true, Drop: true, Times: 1})
	p := h.start("000153", 25990, false)
	h.runFor(time.Minute, poll) // a minute at the kiosk
	creates := h.sb.Calls(sandbox.KindCreate)
	t.Logf("create requests in the first minute: %d; lists: %d", creates, h.sb.Calls(sandbox.KindList))
	if creates > 5 {
		t.Errorf("%d create requests for one payment, want a handful at most", creates)
	}
	ps := h.sb.Payments()
	if len(ps) != 1 {
		t.Fatalf("%d PayMaster payments", len(ps))
	}
	got := h.get(p.ID)
	if got.PayMasterID != ps[0].ID || got.State != plugin.StateAwaitingPayment || got.QRPayload != ps[0].PaymentURL {
		t.Fatalf("the lost create was not found: %s paymaster_id %q qr %q (PayMaster made %s)", got.State, got.PayMasterID, got.QRPayload, ps[0].ID)
	}
	h.sb.Pay(got.PayMasterID)
	h.until(p.ID, plugin.StatePaid, poll, 1)
	if n := h.sb.Calls(sandbox.KindCreate); n != creates {
		t.Errorf("%d more create requests after the payment was found", n-creates)
	}
}

// When nothing in the list names the order, the payment that PayMaster
// has (it refused the key) cannot be found: needs_attention saying so, at
// most a handful of creates, never "never created"; the lookup goes on and
// finds it once the list shows it.
func TestDialect_LostCreateNotFoundNeedsAttention(t *testing.T) {
	h := newE2E(t)
	h.sb.SetDialect(sandbox.Dialect{ListRowsWithoutInvoice: true})
	h.sb.AddFault(sandbox.Fault{Method: "POST", AfterHandling: true, Drop: true, Times: 1})
	p := h.start("000153", 25990, false)
	got := h.until(p.ID, plugin.StateNeedsAttention, poll, 2)
	if got.Reason != plugin.ReasonTechnical || got.Error == nil || got.PayMasterID != "" {
		t.Fatalf("%+v", got)
	}
	detail := h.eventDetail(p.ID, plugin.EvAttention)
	for _, s := range []string{"idempotency key", "K07-000153-1", "not found"} {
		if !strings.Contains(detail, s) {
			t.Errorf("the attention event does not say %q: %s", s, detail)
		}
	}
	listsBefore := h.sb.Calls(sandbox.KindList)
	h.runFor(time.Minute, poll)
	creates, lists := h.sb.Calls(sandbox.KindCreate), h.sb.Calls(sandbox.KindList)-listsBefore
	t.Logf("create requests: %d; lists in the minute after needs_attention: %d", creates, lists)
	if creates > 5 || lists > 10 {
		t.Errorf("%d create requests, %d lists in a minute: want a handful, backing off", creates, lists)
	}
	if n := len(h.sb.Payments()); n != 1 {
		t.Fatalf("%d PayMaster payments", n)
	}
	if got := h.get(p.ID); got.State != plugin.StateNeedsAttention {
		t.Fatalf("%s %s: a payment PayMaster has must not be concluded", got.State, got.Reason)
	}

	// The list shows the order again: the lookup in the background finds
	// the payment, and PayMaster's verdict reaches the journal.
	h.sb.SetDialect(sandbox.Dialect{})
	ps := h.sb.Payments()
	h.runFor(2*time.Minute, poll)
	got = h.get(p.ID)
	if got.PayMasterID != ps[0].ID {
		t.Fatalf("not found in the background: %+v", got)
	}
	h.sb.Pay(got.PayMasterID)
	h.until(p.ID, plugin.StatePaid, poll, 2)
	if n := h.sb.Calls(sandbox.KindCreate); n != creates {
		t.Errorf("%d more create requests", n-creates)
	}
}

// The same, past the payment's lifetime and a restart: still
// needs_attention, never not_paid "never created".
func TestDialect_LostCreateNotFoundOutlivesLifetime(t *testing.T) {
	h := newE2E(t)
	h.sb.SetDialect(sandbox.Dialect{ListRowsWithoutInvoice: true})
	h.sb.AddFault(sandbox.Fault{Method: "POST", AfterHandling: true, Drop: true, Times: 1})
	p := h.start("000153", 25990, false)
	h.until(p.ID, plugin.StateNeedsAttention, poll, 2)
	h.runFor(5*time.Minute+30*time.Second, 30*time.Second) // the lifetime and its grace
	if got := h.get(p.ID); got.State != plugin.StateNeedsAttention {
		t.Fatalf("%s %s after the lifetime", got.State, got.Reason)
	}
	h.restart() // reconciles the payment once more, past its lifetime
	if got := h.get(p.ID); got.State != plugin.StateNeedsAttention || got.Reason != plugin.ReasonTechnical {
		t.Fatalf("%s %s after the restart", got.State, got.Reason)
	}
	if n := h.sb.Calls(sandbox.KindCreate); n > 5 {
		t.Errorf("%d create requests", n)
	}
	if n := len(h.sb.Payments()); n != 1 {
		t.Fatalf("%d PayMaster payments", n)
	}
}

// cancelE2E is the e2e harness with sbp.status_timeout 4s.
func cancelE2E(t *testing.T) *e2e {
	t.Helper()
	return newE2E(t, func(c *config.Config) { c.SBP.StatusTimeout = 4 * time.Second })
}

// A cancel answered with garbage: read back at once; it leaves canceling
// within one status_timeout (4 s) and ends in a final state within 30 s,
// once PayMaster reports the cancel.
func TestDialect_CancelGarbageAnswer(t *testing.T) {
	const statusTimeout = 4 * time.Second
	cases := []struct {
		name  string
		fault sandbox.Fault
		// applied: PayMaster carried the cancel out before the garbage.
		applied bool
	}{
		{"garbage before handling", sandbox.Fault{Method: "PUT", Malformed: true, Times: 1}, false},
		{"garbage after handling", sandbox.Fault{Method: "PUT", AfterHandling: true, Malformed: true, Times: 1}, true},
		{"answer dropped", sandbox.Fault{Method: "PUT", Drop: true}, false},
		{"answer dropped after handling", sandbox.Fault{Method: "PUT", AfterHandling: true, Drop: true}, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			h := cancelE2E(t)
			p := h.start("000153", 25990, false)
			h.sb.AddFault(c.fault)
			t0 := h.clock.Now()
			h.do("POST", "/api/v1/payments/"+p.ID+"/cancel", "")
			got := h.untilLeaves(p.ID, plugin.StateCanceling, time.Second, int(statusTimeout/time.Second))
			left := h.clock.Now().Sub(t0)
			t.Logf("left canceling after %s for %s", left, got.State)
			if left > statusTimeout {
				t.Errorf("canceling for %s, longer than status_timeout %s", left, statusTimeout)
			}
			if !c.applied {
				if got.State != plugin.StateNeedsAttention || got.Reason != plugin.ReasonCancelFailed {
					t.Fatalf("after the unknown cancel: %s %s", got.State, got.Reason)
				}
				// PayMaster reports the cancel (the cancel went through
				// after all, or a person cancelled it in the cabinet).
				h.sb.ClearFaults()
				h.sb.SetStatus(p.PayMasterID, sandbox.StatusCancelled)
			}
			got = h.until(p.ID, plugin.StateNotPaid, time.Second, 30)
			final := h.clock.Now().Sub(t0)
			t.Logf("not_paid after %s", final)
			if final > 30*time.Second {
				t.Errorf("final after %s", final)
			}
			if got.Reason != plugin.ReasonCancelled {
				t.Errorf("reason %s", got.Reason)
			}
			if n := h.sb.Calls(sandbox.KindCreate); n != 1 {
				t.Errorf("%d creates", n)
			}
		})
	}
}

// A cancel that times out is an unknown outcome too.
func TestDialect_CancelTimeout(t *testing.T) {
	h := newE2E(t, func(c *config.Config) { c.SBP.StatusTimeout = 4 * time.Second })
	h.d.Close()
	h.pm = func(c *paymaster.Config) { c.Timeout, c.RetryMax = 150*time.Millisecond, 1 }
	h.open()
	p := h.start("000153", 25990, false)
	h.sb.AddFault(sandbox.Fault{Method: "PUT", Latency: time.Hour})
	t0 := h.clock.Now()
	h.do("POST", "/api/v1/payments/"+p.ID+"/cancel", "")
	got := h.untilLeaves(p.ID, plugin.StateCanceling, time.Second, 4)
	if got.State != plugin.StateNeedsAttention || h.clock.Now().Sub(t0) > 4*time.Second {
		t.Fatalf("%s after %s", got.State, h.clock.Now().Sub(t0))
	}
	h.sb.ClearFaults()
	h.sb.Pay(p.PayMasterID) // the shopper paid meanwhile: polling goes on
	h.until(p.ID, plugin.StatePaid, time.Second, 30)
}

// untilLeaves moves the fake clock in steps until the payment is no longer
// in state from, as until does.
func (h *e2e) untilLeaves(id string, from plugin.State, step time.Duration, maxSteps int) plugin.Payment {
	h.t.Helper()
	for i := 0; ; i++ {
		deadline := time.Now().Add(10 * time.Second)
		for {
			if p := h.get(id); p.State != from {
				return p
			}
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Millisecond)
			sleeping := h.clock.BlockUntilContext(ctx, 1) == nil
			cancel()
			if sleeping {
				if p := h.get(id); p.State != from {
					return p
				}
				break
			}
			if time.Now().After(deadline) {
				h.t.Fatalf("payment %s stuck in %s", id, from)
			}
		}
		if i == maxSteps {
			h.t.Fatalf("payment %s still %s after %d steps of %s", id, from, maxSteps, step)
		}
		h.clock.Advance(step)
	}
}

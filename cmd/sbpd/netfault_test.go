package main

import (
	"net/http"
	"testing"
	"time"

	"github.com/sbpd/sbpd/drivers/paymaster"
	"github.com/sbpd/sbpd/drivers/paymaster/sandbox"
	"github.com/sbpd/sbpd/plugin"
)

// slowE2E is the e2e harness with a PayMaster client that gives up on a
// request after 150 ms, so latency "beyond the client timeout" and
// black-holed connections take milliseconds, not seconds.
func slowE2E(t *testing.T) *e2e {
	t.Helper()
	h := newE2E(t)
	h.d.Close()
	h.pm = func(c *paymaster.Config) { c.Timeout, c.RetryMax = 150*time.Millisecond, 1 }
	h.open()
	return h
}

// Network faults between sbpd and PayMaster: every case ends in a correct
// state or the dialog, never a panic and never a second payment.
func TestNetFault_CreateBeyondTimeout(t *testing.T) {
	h := slowE2E(t)
	h.sb.AddFault(sandbox.Fault{Method: "POST", Latency: time.Second})
	p := h.start("1", 100, false)
	if p.State != plugin.StateStatusUnknown || p.Message != plugin.TextNoConnection {
		t.Fatalf("no answer to the create: %s %q, want the no-connection dialog", p.State, p.Message)
	}
	h.sb.ClearFaults()
	st, b := h.do("POST", "/api/v1/payments/"+p.ID+"/retry", "")
	if st != http.StatusOK {
		t.Fatalf("retry: %d %s", st, b)
	}
	p = h.until(p.ID, plugin.StateAwaitingPayment, poll, 2)
	if n := len(h.sb.Payments()); n != 1 {
		t.Fatalf("%d PayMaster payments", n)
	}
	h.sb.Pay(p.PayMasterID)
	h.until(p.ID, plugin.StatePaid, poll, 1)
}

func TestNetFault_CreateAcceptedNeverAnswered(t *testing.T) {
	h := slowE2E(t)
	// PayMaster creates the payment, then its answer never comes.
	h.sb.AddFault(sandbox.Fault{Method: "POST", AfterHandling: true, Latency: time.Second})
	p := h.start("1", 100, false)
	if n := len(h.sb.Payments()); n != 1 {
		t.Fatalf("%d PayMaster payments after the lost answer", n)
	}
	if p.State == plugin.StateStatusUnknown {
		h.do("POST", "/api/v1/payments/"+p.ID+"/retry", "")
	}
	p = h.until(p.ID, plugin.StateAwaitingPayment, poll, 3)
	if p.PayMasterID != h.sb.Payments()[0].ID {
		t.Fatalf("journal has PayMaster id %q, PayMaster made %q", p.PayMasterID, h.sb.Payments()[0].ID)
	}
	h.sb.ClearFaults()
	h.sb.Pay(p.PayMasterID)
	h.until(p.ID, plugin.StatePaid, poll, 1)
	if n := len(h.sb.Payments()); n != 1 {
		t.Fatalf("%d PayMaster payments", n)
	}
}

func TestNetFault_PollingBlackHoled(t *testing.T) {
	h := slowE2E(t)
	p := h.start("1", 100, false)
	h.sb.AddFault(sandbox.Fault{Method: "GET", Latency: time.Hour})     // a black hole
	got := h.until(p.ID, plugin.StateStatusUnknown, 120*time.Second, 2) // one step: the whole status timeout
	if got.Message != plugin.TextNoConnection {
		t.Fatalf("%q", got.Message)
	}
	h.sb.Pay(p.PayMasterID) // the shopper paid while the network was down
	h.sb.ClearFaults()
	h.do("POST", "/api/v1/payments/"+p.ID+"/retry", "")
	h.until(p.ID, plugin.StatePaid, poll, 1)
}

func TestNetFault_CancelBlackHoled(t *testing.T) {
	h := slowE2E(t)
	p := h.start("1", 100, false)
	h.sb.AddFault(sandbox.Fault{Latency: time.Hour}) // nothing gets through any more
	h.do("POST", "/api/v1/payments/"+p.ID+"/cancel", "")
	got := h.until(p.ID, plugin.StateNeedsAttention, poll, 2)
	if got.Reason != plugin.ReasonCancelFailed {
		t.Fatalf("reason %q", got.Reason)
	}
	// The network comes back: PayMaster's verdict still reaches the journal.
	h.sb.ClearFaults()
	h.sb.Pay(p.PayMasterID)
	got = h.until(p.ID, plugin.StatePaid, poll, 2)
	if n := len(h.sb.Payments()); n != 1 {
		t.Fatalf("%d PayMaster payments", n)
	}
}

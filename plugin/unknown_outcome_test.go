package plugin_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/sbpd/sbpd/plugin"
)

// lastDetail is the detail of the payment's last event of kind.
func (h *harness) lastDetail(id, kind string) string {
	h.t.Helper()
	evs := h.journal.Events(id)
	for i := len(evs) - 1; i >= 0; i-- {
		if evs[i].Kind == kind {
			return evs[i].Detail
		}
	}
	h.t.Fatalf("payment %s has no %s event", id, kind)
	return ""
}

// runFor advances the clock by total in steps, waiting before each step
// for a runner to sleep (briefly, when none runs).
func (h *harness) runFor(total, step time.Duration) {
	for d := time.Duration(0); d < total; d += step {
		for i := 0; i < 50; i++ {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Millisecond)
			err := h.clock.BlockUntilContext(ctx, 1)
			cancel()
			if err == nil {
				break
			}
		}
		h.clock.Advance(step)
	}
}

func (h *harness) get(id string) plugin.Payment {
	h.t.Helper()
	p, err := h.engine.Get(context.Background(), id)
	if err != nil {
		h.t.Fatal(err)
	}
	return p
}

// PayMaster refused the create's key as used, and the payment cannot be
// found: needs_attention at once, never another create, never "never
// created"; the lookup goes on, less and less often, and finds the payment
// once it shows.
func TestEngine_UnfoundCreateNeedsAttention(t *testing.T) {
	h := newHarness(t)
	finds := 0
	g := h.bank.gateway()
	find := g.FindPaymentFn
	g.FindPaymentFn = func(ctx context.Context, orderNo string, around time.Time) (plugin.Remote, bool, error) {
		h.bank.mu.Lock()
		finds++
		h.bank.mu.Unlock()
		return find(ctx, orderNo, around)
	}
	h.engine.Gateway = g
	h.bank.createErr = &plugin.Error{Code: plugin.EUnavailable, Reason: plugin.CreateKeyUsed,
		Message: "create payment: PayMaster is unavailable", Err: fmt.Errorf("idempotency_key_violation; not found")}
	p, _, err := h.engine.Start(context.Background(), plugin.StartRequest{CheckID: "1", Amount: 100})
	if err != nil {
		t.Fatal(err)
	}
	got := h.until(p.ID, plugin.StateNeedsAttention, 3*time.Second, 1)
	if got.Reason != plugin.ReasonTechnical || got.PayMasterID != "" || got.Error == nil {
		t.Fatalf("%+v", got)
	}
	if d := h.lastDetail(p.ID, plugin.EvAttention); !strings.Contains(d, "idempotency key") || !strings.Contains(d, got.OrderNo) {
		t.Errorf("detail: %s", d)
	}
	if _, ok := h.engine.Active(); ok {
		t.Error("needs_attention must free the kiosk")
	}

	h.runFor(2*time.Minute, 3*time.Second)
	if got := h.get(p.ID); got.State != plugin.StateNeedsAttention {
		t.Fatalf("%s %s: a payment PayMaster holds must not be concluded", got.State, got.Reason)
	}
	h.bank.mu.Lock()
	n, creates := finds, h.bank.creates
	h.bank.mu.Unlock()
	t.Logf("lookups in two minutes: %d", n)
	if creates != 1 || n < 2 || n > 8 {
		t.Errorf("%d creates, %d lookups in two minutes: want 1 and a few, backing off", creates, n)
	}

	// The payment shows in the list: found, and PayMaster's verdict counts.
	h.bank.mu.Lock()
	h.bank.remotes["40211873"] = &plugin.Remote{ID: "40211873", OrderNo: got.OrderNo, Status: plugin.RemoteConfirmation, Amount: 100}
	h.bank.mu.Unlock()
	h.runFor(time.Minute, 3*time.Second)
	if got := h.get(p.ID); got.PayMasterID != "40211873" || got.State != plugin.StateNeedsAttention {
		t.Fatalf("not found: %+v", got)
	}
	h.bank.set("40211873", plugin.RemoteSettled, "Success", 0)
	h.until(p.ID, plugin.StatePaid, 3*time.Second, 2)
}

// The same payment past its lifetime: still needs_attention.
func TestEngine_UnfoundCreateOutlivesLifetime(t *testing.T) {
	h := newHarness(t)
	h.bank.createErr = &plugin.Error{Code: plugin.EUnavailable, Reason: plugin.CreateKeyUsed, Message: "not found"}
	p, _, _ := h.engine.Start(context.Background(), plugin.StartRequest{CheckID: "1", Amount: 100})
	h.until(p.ID, plugin.StateNeedsAttention, 3*time.Second, 1)
	h.runFor(6*time.Minute, 30*time.Second)
	if got := h.get(p.ID); got.State != plugin.StateNeedsAttention || got.Reason != plugin.ReasonTechnical {
		t.Fatalf("%s %s", got.State, got.Reason)
	}
}

// A cancel whose outcome is unknown is read back at once: not final, so
// needs_attention at once, and polling goes on until PayMaster's verdict.
func TestEngine_CancelUnknownOutcome(t *testing.T) {
	h := newHarness(t, func(s *plugin.Settings) { s.StatusTimeout = 4 * time.Second })
	p := h.start("1", 100)
	h.bank.mu.Lock()
	h.bank.cancelErr = &plugin.Error{Code: plugin.EUnavailable, Reason: "bad_answer", Message: "cancel payment: PayMaster is unavailable"}
	h.bank.mu.Unlock()
	t0 := h.clock.Now()
	if c, err := h.engine.Cancel(context.Background(), p.ID); err != nil || c.State != plugin.StateCanceling {
		t.Fatalf("%v %+v", err, c)
	}
	got := h.until(p.ID, plugin.StateNeedsAttention, time.Second, 4)
	if got.Reason != plugin.ReasonCancelFailed || h.clock.Now().Sub(t0) > 4*time.Second {
		t.Fatalf("%s after %s", got.Reason, h.clock.Now().Sub(t0))
	}
	if d := h.lastDetail(p.ID, plugin.EvAttention); !strings.Contains(d, "outcome is unknown") || !strings.Contains(d, "Confirmation") {
		t.Errorf("detail: %s", d)
	}
	h.bank.set(p.PayMasterID, plugin.RemoteCancelled, "CancelledByUser", 0)
	got = h.until(p.ID, plugin.StateNotPaid, time.Second, 30)
	if got.Reason != plugin.ReasonCancelled || h.clock.Now().Sub(t0) > 30*time.Second {
		t.Fatalf("%s after %s", got.Reason, h.clock.Now().Sub(t0))
	}
	if _, n := h.bank.counts(); n != 1 {
		t.Errorf("%d cancels", n)
	}
}

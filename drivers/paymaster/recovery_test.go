package paymaster_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/sbpd/sbpd/drivers/paymaster"
	"github.com/sbpd/sbpd/drivers/paymaster/sandbox"
	"github.com/sbpd/sbpd/plugin"
)

// The create POST is the one call that costs money if repeated. These tests
// break it in every way the sandbox can and check that no second payment is
// ever made.

func TestCreate_DroppedAfterHandling(t *testing.T) {
	e := newEnv(t, sandbox.Options{}, nil)
	e.sb.AddFault(sandbox.Fault{Method: "POST", AfterHandling: true, Drop: true, Times: 1})
	req := request("R-1")
	r, err := e.gw.CreatePayment(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	p := e.onlyPayment(t)
	if r.ID != p.ID || r.OrderNo != "R-1" || r.QRPayload != p.PaymentURL {
		t.Errorf("recovered %+v, sandbox %+v", r, p)
	}
	var keys []string
	for _, q := range e.sb.Requests() {
		if q.Kind == sandbox.KindCreate {
			keys = append(keys, q.IdempotencyKey)
		}
	}
	if len(keys) != 2 || keys[0] != req.IdempotencyKey || keys[1] != req.IdempotencyKey {
		t.Errorf("create requests carried keys %q, want the same key twice", keys)
	}
	if e.sb.Handled(sandbox.KindCreate) != 2 || e.sb.Calls(sandbox.KindList) != 1 {
		t.Errorf("handled creates %d, lists %d", e.sb.Handled(sandbox.KindCreate), e.sb.Calls(sandbox.KindList))
	}
}

func TestCreate_DroppedBeforeHandling(t *testing.T) {
	e := newEnv(t, sandbox.Options{}, nil)
	e.sb.AddFault(sandbox.Fault{Method: "POST", Drop: true, Times: 2})
	r, err := e.gw.CreatePayment(ctx, request("R-2"))
	if err != nil {
		t.Fatal(err)
	}
	if p := e.onlyPayment(t); r.ID != p.ID {
		t.Errorf("got %s, sandbox has %s", r.ID, p.ID)
	}
	if e.sb.Calls(sandbox.KindCreate) != 3 || e.sb.Calls(sandbox.KindList) != 0 {
		t.Errorf("creates %d, lists %d; want 3, 0", e.sb.Calls(sandbox.KindCreate), e.sb.Calls(sandbox.KindList))
	}
}

func TestCreate_AcceptedButAnswered500(t *testing.T) {
	e := newEnv(t, sandbox.Options{}, nil)
	e.sb.AddFault(sandbox.Fault{Method: "POST", AfterHandling: true, Status: 500})
	r, err := e.gw.CreatePayment(ctx, request("R-3"))
	if err != nil {
		t.Fatal(err)
	}
	if p := e.onlyPayment(t); r.ID != p.ID {
		t.Errorf("got %s, sandbox has %s", r.ID, p.ID)
	}
	if n := e.sb.Calls(sandbox.KindCreate); n != testRetries+1 {
		t.Errorf("%d creates, want %d", n, testRetries+1)
	}
}

func TestCreate_Timeouts(t *testing.T) {
	// Every answer comes after the per-try timeout: each try is processed
	// by the sandbox but never answered in time.
	e := newEnv(t, sandbox.Options{}, func(c *paymaster.Config) { c.Timeout = 50 * time.Millisecond })
	e.sb.AddFault(sandbox.Fault{Method: "POST", AfterHandling: true, Latency: 200 * time.Millisecond})
	r, err := e.gw.CreatePayment(ctx, request("R-4"))
	if err != nil {
		t.Fatal(err)
	}
	if p := e.onlyPayment(t); r.ID != p.ID {
		t.Errorf("got %s, sandbox has %s", r.ID, p.ID)
	}
}

func TestCreate_IdempotencyKeyViolation(t *testing.T) {
	e := newEnv(t, sandbox.Options{}, nil)
	req := request("R-5")
	first, err := e.gw.CreatePayment(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	// The flow retries the same request, e.g. after a restart.
	again, err := e.gw.CreatePayment(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	if again.ID != first.ID {
		t.Errorf("second create returned %s, want %s", again.ID, first.ID)
	}
	e.onlyPayment(t)
	if !strings.Contains(e.logs.String(), "idempotency key already used") {
		t.Error("key reuse not logged")
	}

	// A key reused for another order: nothing to find, outcome unknown.
	other := request("R-6")
	other.IdempotencyKey = req.IdempotencyKey
	_, err = e.gw.CreatePayment(ctx, other)
	wantError(t, err, plugin.EUnavailable, "idempotency_key_violation")
	var apiErr *paymaster.APIError
	if !errors.As(err, &apiErr) || apiErr.Status != 409 {
		t.Errorf("cause not kept: %v", err)
	}
	e.onlyPayment(t)
}

func TestCreate_Malformed(t *testing.T) {
	t.Run("after handling", func(t *testing.T) {
		e := newEnv(t, sandbox.Options{}, nil)
		e.sb.AddFault(sandbox.Fault{Method: "POST", AfterHandling: true, Malformed: true, Times: 1})
		r, err := e.gw.CreatePayment(ctx, request("M-1"))
		if err != nil {
			t.Fatal(err)
		}
		if p := e.onlyPayment(t); r.ID != p.ID {
			t.Errorf("got %s, sandbox has %s", r.ID, p.ID)
		}
		if e.sb.Calls(sandbox.KindCreate) != 1 || e.sb.Calls(sandbox.KindList) != 1 {
			t.Errorf("creates %d, lists %d; want 1, 1", e.sb.Calls(sandbox.KindCreate), e.sb.Calls(sandbox.KindList))
		}
	})
	t.Run("before handling", func(t *testing.T) {
		e := newEnv(t, sandbox.Options{}, nil)
		e.sb.AddFault(sandbox.Fault{Method: "POST", Malformed: true, Times: 1})
		_, err := e.gw.CreatePayment(ctx, request("M-2"))
		wantError(t, err, plugin.EUnavailable, "outcome_unknown")
		if !strings.Contains(err.Error(), "did not decode") {
			t.Errorf("error does not say why: %v", err)
		}
		if n := len(e.sb.Payments()); n != 0 {
			t.Errorf("%d payments", n)
		}
	})
}

func TestCreate_Unavailable(t *testing.T) {
	e := newEnv(t, sandbox.Options{}, nil)
	e.sb.AddFault(sandbox.Fault{Method: "POST", Status: 503, RetryAfter: "1"})
	_, err := e.gw.CreatePayment(ctx, request("N-1"))
	wantError(t, err, plugin.EUnavailable, "outcome_unknown")
	var apiErr *paymaster.APIError
	if !errors.As(err, &apiErr) || apiErr.Status != 503 {
		t.Errorf("last answer not kept: %v", err)
	}
	if n := e.sb.Calls(sandbox.KindCreate); n != testRetries+1 {
		t.Errorf("%d creates, want %d", n, testRetries+1)
	}
	if len(e.sb.Payments()) != 0 || e.sb.Calls(sandbox.KindList) != 1 {
		t.Errorf("payments %d, lists %d", len(e.sb.Payments()), e.sb.Calls(sandbox.KindList))
	}
}

func TestCreate_LookupFails(t *testing.T) {
	e := newEnv(t, sandbox.Options{}, nil)
	e.sb.AddFault(sandbox.Fault{Method: "POST", AfterHandling: true, Drop: true})
	e.sb.AddFault(sandbox.Fault{Method: "GET", Status: 500})
	_, err := e.gw.CreatePayment(ctx, request("N-2"))
	wantError(t, err, plugin.EUnavailable, "lookup_failed")
	if !strings.Contains(err.Error(), "looking order \"N-2\" up failed") {
		t.Errorf("error: %v", err)
	}
	// The payment exists; the flow will find it when it reconciles.
	e.sb.ClearFaults()
	r, ok, err := e.gw.FindPayment(ctx, "N-2", time.Now())
	if err != nil || !ok || r.ID != e.onlyPayment(t).ID {
		t.Errorf("later lookup: %+v, %v, %v", r, ok, err)
	}
}

func TestCreate_Canceled(t *testing.T) {
	e := newEnv(t, sandbox.Options{}, nil)
	e.sb.AddFault(sandbox.Fault{Method: "POST", Latency: 2 * time.Second})
	cctx, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := e.gw.CreatePayment(cctx, request("N-3"))
	wantError(t, err, plugin.EUnavailable, "canceled")
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("error %v does not wrap the context's", err)
	}
	if d := time.Since(start); d > 500*time.Millisecond {
		t.Errorf("took %s", d)
	}
	if e.sb.Calls(sandbox.KindList) != 0 || e.sb.Calls(sandbox.KindCreate) != 1 {
		t.Errorf("creates %d, lists %d", e.sb.Calls(sandbox.KindCreate), e.sb.Calls(sandbox.KindList))
	}
}

func TestCreate_RecoverWithFakeClock(t *testing.T) {
	// The lookup window is centred on the gateway's clock.
	clock := fakeClock{clockworkAt(time.Date(2024, 6, 1, 10, 0, 0, 0, time.UTC))}
	e := newEnv(t, sandbox.Options{Clock: clock}, func(c *paymaster.Config) { c.Clock = clock })
	e.sb.AddFault(sandbox.Fault{Method: "POST", AfterHandling: true, Drop: true, Times: 1})
	req := request("C-1")
	req.Expires = clock.Now().Add(5 * time.Minute)
	r, err := e.gw.CreatePayment(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	if r.ID != e.onlyPayment(t).ID {
		t.Errorf("got %s", r.ID)
	}
}

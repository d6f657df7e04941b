package paymaster_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sbpd/sbpd/drivers/paymaster"
	"github.com/sbpd/sbpd/drivers/paymaster/sandbox"
	"github.com/sbpd/sbpd/plugin"
)

func TestGateway_RetriesGetAndPut(t *testing.T) {
	faults := []struct {
		name  string
		fault sandbox.Fault
		calls int // requests the call takes
	}{
		{"500", sandbox.Fault{Status: 500, Times: 2}, 3},
		{"502", sandbox.Fault{Status: 502, Times: 1}, 2},
		{"503", sandbox.Fault{Status: 503, Times: 2}, 3},
		{"429 with Retry-After", sandbox.Fault{Status: 429, RetryAfter: "1", Times: 2}, 3},
		{"dropped connection", sandbox.Fault{Drop: true, Times: 2}, 3},
		{"slower than the timeout", sandbox.Fault{Latency: 300 * time.Millisecond, Times: 1}, 2},
	}
	for _, f := range faults {
		t.Run("GET "+f.name, func(t *testing.T) {
			e := newEnv(t, sandbox.Options{}, func(c *paymaster.Config) { c.Timeout = 100 * time.Millisecond })
			r, err := e.gw.CreatePayment(ctx, request("T-1"))
			if err != nil {
				t.Fatal(err)
			}
			fault := f.fault
			fault.Method, fault.Path = "GET", "/api/v2/payments/"
			e.sb.AddFault(fault)
			start := time.Now()
			got, err := e.gw.GetPayment(ctx, r.ID)
			if err != nil || got.ID != r.ID {
				t.Fatalf("GetPayment: %+v, %v", got, err)
			}
			if n := e.sb.PaymentCalls(r.ID, sandbox.KindGet); n != f.calls {
				t.Errorf("%d GETs, want %d", n, f.calls)
			}
			if d := time.Since(start); d > time.Second {
				t.Errorf("took %s: Retry-After not capped by RetryWaitMax?", d)
			}
		})
		t.Run("PUT "+f.name, func(t *testing.T) {
			e := newEnv(t, sandbox.Options{}, func(c *paymaster.Config) { c.Timeout = 100 * time.Millisecond })
			r, err := e.gw.CreatePayment(ctx, request("T-2"))
			if err != nil {
				t.Fatal(err)
			}
			fault := f.fault
			fault.Method = "PUT"
			e.sb.AddFault(fault)
			if err := e.gw.CancelPayment(ctx, r.ID); err != nil {
				t.Fatalf("CancelPayment: %v", err)
			}
			if n := e.sb.PaymentCalls(r.ID, sandbox.KindCancel); n != f.calls {
				t.Errorf("%d cancels, want %d", n, f.calls)
			}
			if p := e.onlyPayment(t); p.Status != "Cancelled" || p.CancelCalls != 1 {
				t.Errorf("payment %s, handled cancels %d", p.Status, p.CancelCalls)
			}
		})
	}
}

func TestGateway_List_Retries(t *testing.T) {
	e := newEnv(t, sandbox.Options{PageSize: 2}, nil)
	for _, o := range []string{"P-1", "P-2", "P-3", "P-4", "P-5"} {
		if _, err := e.gw.CreatePayment(ctx, request(o)); err != nil {
			t.Fatal(err)
		}
	}
	e.sb.AddFault(sandbox.Fault{Method: "GET", Status: 503, Times: 1})
	e.sb.AddFault(sandbox.Fault{Method: "GET", Latency: time.Millisecond, Times: 2})
	e.sb.AddFault(sandbox.Fault{Method: "GET", Drop: true, Times: 1})
	list, err := e.gw.List(ctx, time.Now().Add(-time.Hour), time.Now().Add(time.Hour))
	if err != nil || len(list) != 5 {
		t.Fatalf("List: %d items, %v", len(list), err)
	}
	if n := e.sb.Calls(sandbox.KindList); n != 5 {
		t.Errorf("%d list requests, want 3 pages + 2 retries", n)
	}
}

// The cancel was carried out but its answer lost; the retry is refused
// because the payment is already Cancelled. That is a success.
func TestGateway_CancelAnswerLost(t *testing.T) {
	e := newEnv(t, sandbox.Options{}, nil)
	r, err := e.gw.CreatePayment(ctx, request("T-3"))
	if err != nil {
		t.Fatal(err)
	}
	e.sb.AddFault(sandbox.Fault{Method: "PUT", AfterHandling: true, Drop: true, Times: 1})
	if err := e.gw.CancelPayment(ctx, r.ID); err != nil {
		t.Fatalf("CancelPayment: %v", err)
	}
	if p := e.onlyPayment(t); p.Status != "Cancelled" || p.CancelCalls != 2 {
		t.Errorf("payment %s after %d handled cancels", p.Status, p.CancelCalls)
	}
	// Refused on the first try stays refused.
	if err := e.gw.CancelPayment(ctx, r.ID); plugin.ErrorReason(err) != "invalid_operation" {
		t.Errorf("cancel of a cancelled payment: %v", err)
	}
}

func TestGateway_RetriesExhausted(t *testing.T) {
	e := newEnv(t, sandbox.Options{}, nil)
	r, err := e.gw.CreatePayment(ctx, request("T-4"))
	if err != nil {
		t.Fatal(err)
	}
	e.sb.AddFault(sandbox.Fault{Method: "GET", Status: 503})
	e.sb.AddFault(sandbox.Fault{Method: "PUT", Drop: true})

	_, err = e.gw.GetPayment(ctx, r.ID)
	wantError(t, err, plugin.EUnavailable, "")
	var apiErr *paymaster.APIError
	if !errors.As(err, &apiErr) || apiErr.Status != 503 || apiErr.Code != "internal_error" {
		t.Errorf("GET: last answer not kept: %v", err)
	}
	if n := e.sb.Calls(sandbox.KindGet); n != testRetries+1 {
		t.Errorf("%d GETs, want %d", n, testRetries+1)
	}

	err = e.gw.CancelPayment(ctx, r.ID)
	wantError(t, err, plugin.EUnavailable, "no_answer")
	if !strings.Contains(err.Error(), "no answer after 4 tries") {
		t.Errorf("PUT: %v", err)
	}
	if n := e.sb.Calls(sandbox.KindCancel); n != testRetries+1 {
		t.Errorf("%d PUTs, want %d", n, testRetries+1)
	}

	_, err = e.gw.List(ctx, time.Now().Add(-time.Hour), time.Now())
	wantError(t, err, plugin.EUnavailable, "")
}

func TestGateway_NoRetries(t *testing.T) {
	e := newEnv(t, sandbox.Options{}, func(c *paymaster.Config) { c.RetryMax = -1 })
	r, err := e.gw.CreatePayment(ctx, request("T-5"))
	if err != nil {
		t.Fatal(err)
	}
	e.sb.AddFault(sandbox.Fault{Method: "GET", Status: 500})
	_, err = e.gw.GetPayment(ctx, r.ID)
	wantError(t, err, plugin.EUnavailable, "")
	if n := e.sb.Calls(sandbox.KindGet); n != 1 {
		t.Errorf("%d GETs with RetryMax -1", n)
	}
}

func TestGateway_ConnectionRefused(t *testing.T) {
	e := newEnv(t, sandbox.Options{}, nil)
	e.sb.Close()
	_, err := e.gw.GetPayment(ctx, "1")
	wantError(t, err, plugin.EUnavailable, "no_answer")
	if !strings.Contains(err.Error(), "no answer after 4 tries") {
		t.Errorf("error: %v", err)
	}
	_, err = e.gw.CreatePayment(ctx, request("T-6"))
	wantError(t, err, plugin.EUnavailable, "lookup_failed")
}

func TestGateway_ContextCanceled(t *testing.T) {
	e := newEnv(t, sandbox.Options{}, nil)
	e.sb.AddFault(sandbox.Fault{Latency: 2 * time.Second})
	cctx, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := e.gw.GetPayment(cctx, "1")
	if d := time.Since(start); d > 500*time.Millisecond {
		t.Errorf("took %s after the context ended", d)
	}
	wantError(t, err, plugin.EUnavailable, "")
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("error %v does not wrap the context's", err)
	}
	if n := e.sb.Calls(sandbox.KindGet); n != 1 {
		t.Errorf("%d GETs after cancel", n)
	}

	// Cancelled during the wait between retries.
	e.sb.ClearFaults()
	e.sb.AddFault(sandbox.Fault{Status: 503, RetryAfter: "1"})
	g := mustGateway(t, func() paymaster.Config {
		c := e.cfg
		c.RetryWaitMin, c.RetryWaitMax = time.Second, 10*time.Second
		return c
	}())
	cctx, cancel = context.WithTimeout(ctx, 50*time.Millisecond)
	defer cancel()
	start = time.Now()
	err = g.CancelPayment(cctx, "1")
	if d := time.Since(start); d > 500*time.Millisecond {
		t.Errorf("backoff wait ignored the context: %s", d)
	}
	if !errors.Is(err, context.DeadlineExceeded) || plugin.ErrorCode(err) != plugin.EUnavailable {
		t.Errorf("error %v", err)
	}
}

func TestGateway_NotAuthorized(t *testing.T) {
	e := newEnv(t, sandbox.Options{}, func(c *paymaster.Config) { c.Token = "wrong-token" })
	_, err := e.gw.CreatePayment(ctx, request("A-1"))
	pe := wantError(t, err, plugin.ERejected, "not_authorized")
	if !strings.Contains(pe.Message, "token") {
		t.Errorf("message %q", pe.Message)
	}
	_, err = e.gw.GetPayment(ctx, "1")
	wantError(t, err, plugin.ERejected, "not_authorized")
	if e.sb.Calls(sandbox.KindCreate) != 1 || e.sb.Calls(sandbox.KindGet) != 1 || e.sb.Calls(sandbox.KindList) != 0 {
		t.Error("a 401 was retried or looked up")
	}
}

// A proxy in front of PayMaster may answer with HTML.
func TestGateway_NonJSONErrors(t *testing.T) {
	e := newEnv(t, sandbox.Options{}, nil)
	var status atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		w.WriteHeader(int(status.Load()))
		w.Write([]byte("<html><body><h1>Gateway says no</h1></body></html>"))
	}))
	defer srv.Close()
	cfg := e.cfg
	cfg.BaseURL = srv.URL
	g := mustGateway(t, cfg)

	status.Store(502)
	_, err := g.GetPayment(ctx, "1")
	wantError(t, err, plugin.EUnavailable, "server_error")
	if !strings.Contains(err.Error(), "not PayMaster JSON: <html><body><h1>Gateway says no</h1></body></html> [HTTP 502]") {
		t.Errorf("502: %v", err)
	}
	status.Store(400)
	err = g.CancelPayment(ctx, "1")
	wantError(t, err, plugin.ERejected, "http_400")
	if !strings.Contains(err.Error(), "[HTTP 400]") {
		t.Errorf("400: %v", err)
	}
	status.Store(403)
	_, err = g.GetPayment(ctx, "1")
	wantError(t, err, plugin.ERejected, "not_authorized")
	status.Store(302)
	_, err = g.GetPayment(ctx, "1")
	wantError(t, err, plugin.ERejected, "http_302")
	// A 2xx that is not a payment.
	status.Store(200)
	_, err = g.GetPayment(ctx, "1")
	wantError(t, err, plugin.EUnavailable, "bad_answer")
	_, err = g.List(ctx, time.Now(), time.Now())
	wantError(t, err, plugin.EUnavailable, "bad_answer")
}

func TestGateway_ListCursorLoop(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte(`{"items":[{"id":"1","invoice":{"orderNo":"x"}}],"cursor":"same"}`))
	}))
	defer srv.Close()
	g := mustGateway(t, paymaster.Config{BaseURL: srv.URL, MerchantID: "m", Token: "t"})
	_, err := g.List(ctx, time.Now(), time.Now())
	wantError(t, err, plugin.EUnavailable, "bad_answer")
	if !strings.Contains(err.Error(), "cursor does not advance") {
		t.Errorf("error: %v", err)
	}
}

func TestGateway_GetWrongPayment(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte(`{"id":"2","status":"Settled","amount":{"value":1,"currency":"RUB"}}`))
	}))
	defer srv.Close()
	g := mustGateway(t, paymaster.Config{BaseURL: srv.URL, MerchantID: "m", Token: "t"})
	_, err := g.GetPayment(ctx, "1")
	wantError(t, err, plugin.EUnavailable, "bad_answer")
}

func TestGateway_WrongBaseURL(t *testing.T) {
	e := newEnv(t, sandbox.Options{}, nil)
	cfg := e.cfg
	cfg.BaseURL = e.url + "/not-here"
	g := mustGateway(t, cfg)
	_, err := g.CreatePayment(ctx, request("W-1"))
	pe := wantError(t, err, plugin.ERejected, "not_found")
	if !strings.Contains(pe.Message, "base URL") {
		t.Errorf("message %q", pe.Message)
	}
	_, err = g.List(ctx, time.Now(), time.Now())
	wantError(t, err, plugin.ERejected, "not_found")
}

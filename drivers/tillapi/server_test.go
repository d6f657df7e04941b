package tillapi

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/sbpd/sbpd/plugin"
	"github.com/sbpd/sbpd/plugin/plugintest"
)

func TestServer_NotFound(t *testing.T) {
	ts := newTestServer(t, &Server{Payments: &fakePayments{}})
	for _, path := range []string{"/", "/nope", "/api", "/api/v1", "/api/v1/nope", "/api/v2/payments",
		"/api/v1/payments/", "/api/v1/payments/01JD/refund", "/healthz/x"} {
		t.Run(path, func(t *testing.T) {
			msg := do(t, "GET", ts.URL+path, "").wantError(t, http.StatusNotFound, "not_found")
			if !strings.Contains(msg, path) {
				t.Errorf("message %q does not name the path", msg)
			}
		})
	}
}

func TestServer_MethodNotAllowed(t *testing.T) {
	ts := newTestServer(t, &Server{Payments: &fakePayments{}})
	tests := []struct{ method, path, allow string }{
		{"DELETE", "/api/v1/payments/01JD", "GET, HEAD"},
		{"POST", "/api/v1/payments/01JD", "GET, HEAD"},
		{"PUT", "/api/v1/payments", "GET, HEAD, POST"},
		{"GET", "/api/v1/payments/01JD/retry", "POST"},
		{"GET", "/api/v1/payments/01JD/cancel", "POST"},
		{"POST", "/api/v1/payments/01JD/events", "GET, HEAD"},
		{"POST", "/healthz", "GET, HEAD"},
	}
	for _, tt := range tests {
		t.Run(tt.method+" "+tt.path, func(t *testing.T) {
			res := do(t, tt.method, ts.URL+tt.path, "")
			msg := res.wantError(t, http.StatusMethodNotAllowed, "method_not_allowed")
			if got := res.Header.Get("Allow"); got != tt.allow {
				t.Errorf("Allow = %q, want %q", got, tt.allow)
			}
			if !strings.Contains(msg, tt.allow) {
				t.Errorf("message %q does not list %q", msg, tt.allow)
			}
		})
	}
}

// /metrics is behind the token like the API: the counts tell a store's sales.
func TestServer_MetricsBehindToken(t *testing.T) {
	metrics := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "sbpd_payments_started_total 1") })
	ts := newTestServer(t, &Server{Payments: &fakePayments{}, Token: "s3cret", Metrics: metrics})
	do(t, "GET", ts.URL+"/metrics", "").wantError(t, http.StatusUnauthorized, "unauthorized")
	res := do(t, "GET", ts.URL+"/metrics", "", "Authorization", "Bearer s3cret")
	if res.Status != http.StatusOK || string(res.Body) != "sbpd_payments_started_total 1" {
		t.Fatalf("GET /metrics with the token = %d %q", res.Status, res.Body)
	}
	open := newTestServer(t, &Server{Payments: &fakePayments{}, Metrics: metrics}) // loopback, no token
	if res := do(t, "GET", open.URL+"/metrics", ""); res.Status != http.StatusOK {
		t.Fatalf("GET /metrics without a token configured = %d", res.Status)
	}
}

func TestServer_Extra(t *testing.T) {
	text := func(s string) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, s) })
	}
	pay := &fakePayments{GetFn: getPayment(plugin.StatePaid)}
	ts := newTestServer(t, &Server{
		Payments: pay,
		Token:    "s3cret",
		Extra: map[string]http.Handler{
			"GET /":             text("kiosk screen"),
			"GET /favicon.ico":  text("icon"),
			"GET /api/v1/debug": text("debug"),
		},
	})

	// Extra routes are served as given, without the token.
	for path, want := range map[string]string{"/": "kiosk screen", "/screen/x": "kiosk screen",
		"/favicon.ico": "icon", "/api/v1/debug": "debug"} {
		res := do(t, "GET", ts.URL+path, "")
		if res.Status != http.StatusOK || string(res.Body) != want {
			t.Errorf("GET %s = %d %q, want %q", path, res.Status, res.Body, want)
		}
	}
	// Outside the API the Extra routes decide, and unknown methods get JSON.
	res := do(t, "POST", ts.URL+"/favicon.ico", "")
	res.wantError(t, http.StatusMethodNotAllowed, "method_not_allowed")

	// "GET /" does not swallow the API: unknown API routes stay JSON errors.
	auth := []string{"Authorization", "Bearer s3cret"}
	do(t, "GET", ts.URL+"/api/v1/nope", "", auth...).wantError(t, http.StatusNotFound, "not_found")
	do(t, "GET", ts.URL+"/api/v1/payments/01JD/retry", "", auth...).wantError(t, http.StatusMethodNotAllowed, "method_not_allowed")
	do(t, "GET", ts.URL+"/api/v1/payments/01JD", "", auth...).payment(t, http.StatusOK)
	do(t, "GET", ts.URL+"/api/v1/payments/01JD", "").wantError(t, http.StatusUnauthorized, "unauthorized")
}

func TestServer_PathCleaning(t *testing.T) {
	// ServeMux's redirect to the cleaned path still works.
	ts := newTestServer(t, &Server{Payments: &fakePayments{GetFn: getPayment(plugin.StatePaid)}})
	req, err := http.NewRequest("GET", ts.URL+"/api/v1/x/../payments/01JD", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.URL.Path = "/api/v1/x/../payments/01JD"
	req.URL.RawPath = ""
	req.URL.Opaque = "//" + req.URL.Host + "/api/v1/x/../payments/01JD"
	p := send(t, req).payment(t, http.StatusOK)
	if p["id"] != "01JD" {
		t.Errorf("got %v", p)
	}
}

func TestServer_Healthz(t *testing.T) {
	t.Run("ok", func(t *testing.T) {
		var hadDeadline bool
		health := func(ctx context.Context) (map[string]any, bool) {
			_, hadDeadline = ctx.Deadline()
			return map[string]any{
				"paymaster": map[string]any{"status": "ok", "latency_ms": 42},
				"printer":   map[string]any{"status": "ok"},
				"journal":   map[string]any{"status": "ok"},
			}, true
		}
		ts := newTestServer(t, &Server{Payments: &fakePayments{}, Health: health})
		m := do(t, "GET", ts.URL+"/healthz", "").payment(t, http.StatusOK)
		pm, _ := m["paymaster"].(map[string]any)
		if m["status"] != "ok" || pm["latency_ms"] != 42.0 || m["printer"] == nil || m["journal"] == nil {
			t.Errorf("got %v", m)
		}
		if !hadDeadline {
			t.Error("the health check has no deadline")
		}
	})
	t.Run("degraded", func(t *testing.T) {
		health := func(context.Context) (map[string]any, bool) {
			return map[string]any{
				"status":  "bogus", // the overall status is the server's
				"printer": map[string]any{"status": "paper_end"},
			}, false
		}
		ts := newTestServer(t, &Server{Payments: &fakePayments{}, Health: health})
		m := do(t, "GET", ts.URL+"/healthz", "").payment(t, http.StatusServiceUnavailable)
		pr, _ := m["printer"].(map[string]any)
		if m["status"] != "degraded" || pr["status"] != "paper_end" {
			t.Errorf("got %v", m)
		}
	})
	t.Run("no health func", func(t *testing.T) {
		ts := newTestServer(t, &Server{Payments: &fakePayments{}})
		res := do(t, "GET", ts.URL+"/healthz", "")
		res.payment(t, http.StatusOK)
		if strings.TrimSpace(string(res.Body)) != `{"status":"ok"}` {
			t.Errorf("body %s", res.Body)
		}
	})
}

func TestServer_Auth(t *testing.T) {
	const token = "kiosk-07-token"
	sub := newSubscription()
	t.Cleanup(sub.stop)
	pay := &fakePayments{
		StartFn: func(context.Context, plugin.StartRequest) (plugin.Payment, bool, error) {
			return testPayment("01JD", plugin.StateCreating), true, nil
		},
		GetFn:       getPayment(plugin.StateAwaitingPayment),
		RetryFn:     getPayment(plugin.StateAwaitingPayment),
		CancelFn:    getPayment(plugin.StateCanceling),
		SubscribeFn: sub.subscribe,
	}
	var filter plugin.Filter
	health := func(context.Context) (map[string]any, bool) { return nil, true }
	routes := []struct{ method, path, body string }{
		{"POST", "/api/v1/payments", `{"check_id":"000153","amount":25990}`},
		{"GET", "/api/v1/payments/01JD", ""},
		{"GET", "/api/v1/payments/01JD/events", ""},
		{"POST", "/api/v1/payments/01JD/retry", ""},
		{"POST", "/api/v1/payments/01JD/cancel", ""},
		{"GET", "/api/v1/payments?state=paid", ""},
		{"GET", "/healthz", ""},
		{"GET", "/api/v1/nope", ""},
	}

	t.Run("required", func(t *testing.T) {
		for _, rt := range routes {
			// A server of its own per route: three wrong tokens each, below
			// the limit of wrong tokens (TestAuth_WrongTokensLimited).
			ts := newTestServer(t, &Server{Payments: pay, Search: recordSearch(&filter), Health: health, Token: token})
			for name, header := range map[string][]string{
				"missing":      nil,
				"wrong":        {"Authorization", "Bearer kiosk-07-tokeN"},
				"prefix":       {"Authorization", "Bearer kiosk-07"},
				"longer":       {"Authorization", "Bearer " + token + "x"},
				"empty bearer": {"Authorization", "Bearer "},
				"basic":        {"Authorization", "Basic " + token},
				"bare token":   {"Authorization", token},
			} {
				res := do(t, rt.method, ts.URL+rt.path, rt.body, header...)
				res.wantError(t, http.StatusUnauthorized, "unauthorized")
				if got := res.Header.Get("WWW-Authenticate"); got != "Bearer" {
					t.Errorf("%s %s (%s): WWW-Authenticate = %q", rt.method, rt.path, name, got)
				}
				if strings.Contains(string(res.Body), token) {
					t.Errorf("the token is in the answer: %s", res.Body)
				}
			}
		}
		// The right token opens every route; the scheme is case-insensitive.
		ts := newTestServer(t, &Server{Payments: pay, Search: recordSearch(&filter), Health: health, Token: token})
		for _, rt := range routes {
			if strings.HasSuffix(rt.path, "/events") {
				continue // a stream: checked below
			}
			res := do(t, rt.method, ts.URL+rt.path, rt.body, "Authorization", "bearer "+token)
			if res.Status == http.StatusUnauthorized {
				t.Errorf("%s %s with the token: %d %s", rt.method, rt.path, res.Status, res.Body)
			}
		}
		req, _ := http.NewRequest("GET", ts.URL+"/api/v1/payments/01JD/events", nil)
		req.Header.Set("Authorization", "Bearer "+token)
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		res, err := http.DefaultClient.Do(req.WithContext(ctx))
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != http.StatusOK {
			t.Errorf("events with the token: %d", res.StatusCode)
		}
	})

	t.Run("off", func(t *testing.T) {
		ts := newTestServer(t, &Server{Payments: pay, Search: recordSearch(&filter), Health: health})
		for _, rt := range routes {
			if strings.HasSuffix(rt.path, "/events") {
				continue
			}
			res := do(t, rt.method, ts.URL+rt.path, rt.body)
			if res.Status == http.StatusUnauthorized {
				t.Errorf("%s %s without a token configured: 401", rt.method, rt.path)
			}
		}
	})
}

func TestServer_TokenNotLogged(t *testing.T) {
	const token = "tok-9f8e7d6c5b4a"
	logger, logs := captureLogs()
	pay := &fakePayments{
		GetFn: getPayment(plugin.StatePaid),
		CancelFn: func(context.Context, string) (plugin.Payment, error) {
			return plugin.Payment{}, plugin.Errorf(plugin.EUnavailable, "PayMaster did not answer")
		},
		RetryFn: func(context.Context, string) (plugin.Payment, error) {
			panic("engine bug")
		},
	}
	ts := newTestServer(t, &Server{Payments: pay, Token: token, Logger: logger})
	bearer := []string{"Authorization", "Bearer " + token}

	do(t, "GET", ts.URL+"/api/v1/payments/01JD", "", bearer...).payment(t, http.StatusOK)
	do(t, "POST", ts.URL+"/api/v1/payments/01JD/cancel", "", bearer...).wantError(t, http.StatusBadGateway, "unavailable")
	do(t, "POST", ts.URL+"/api/v1/payments/01JD/retry", "", bearer...).wantError(t, http.StatusInternalServerError, "internal")
	do(t, "GET", ts.URL+"/api/v1/payments/01JD", "", "Authorization", "Bearer "+token+"-wrong").wantError(t, http.StatusUnauthorized, "unauthorized")
	do(t, "GET", ts.URL+"/api/v1/nope?token="+token[:3], "", bearer...).wantError(t, http.StatusNotFound, "not_found")

	out := logs.String()
	if !strings.Contains(out, "till api request") || !strings.Contains(out, "engine bug") {
		t.Fatalf("nothing was logged:\n%s", out)
	}
	for _, secret := range []string{token, "Authorization", "Bearer"} {
		if strings.Contains(out, secret) {
			t.Errorf("the log contains %q:\n%s", secret, out)
		}
	}
}

func TestServer_RequestLog(t *testing.T) {
	logger, logs := captureLogs()
	pay := &fakePayments{
		StartFn: func(context.Context, plugin.StartRequest) (plugin.Payment, bool, error) {
			return testPayment("01JDSTART", plugin.StateCreating), true, nil
		},
		GetFn: func(_ context.Context, id string) (plugin.Payment, error) {
			return plugin.Payment{}, plugin.Errorf(plugin.ENotFound, "no payment")
		},
	}
	ts := newTestServer(t, &Server{Payments: pay, Logger: logger})
	do(t, "POST", ts.URL+"/api/v1/payments", `{"check_id":"000153","amount":25990}`).payment(t, http.StatusCreated)
	do(t, "GET", ts.URL+"/api/v1/payments/01JDGET", "").wantError(t, http.StatusNotFound, "not_found")

	lines := strings.Split(strings.TrimSpace(logs.String()), "\n")
	if len(lines) != 2 {
		t.Fatalf("got %d log lines:\n%s", len(lines), logs)
	}
	for i, want := range [][]string{
		{"level=DEBUG", "method=POST", "path=/api/v1/payments", "status=201", "duration=", "payment_id=01JDSTART"},
		{"level=DEBUG", "method=GET", "path=/api/v1/payments/01JDGET", "status=404", "duration=", "payment_id=01JDGET", "error=not_found"},
	} {
		for _, w := range want {
			if !strings.Contains(lines[i], w) {
				t.Errorf("log line %q lacks %q", lines[i], w)
			}
		}
	}
}

func TestServer_Panic(t *testing.T) {
	logger, logs := captureLogs()
	pay := &fakePayments{} // every call panics
	ts := newTestServer(t, &Server{Payments: pay, Logger: logger})
	msg := do(t, "GET", ts.URL+"/api/v1/payments/01JD", "").wantError(t, http.StatusInternalServerError, "internal")
	if msg != "internal error" {
		t.Errorf("message = %q", msg)
	}
	if !strings.Contains(logs.String(), "unexpected call to Payments.Get") {
		t.Errorf("the panic is not logged:\n%s", logs)
	}
}

func TestServer_NilPayments(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Error("Handler did not panic without Payments")
		}
	}()
	(&Server{}).Handler()
}

// Wrong bearer tokens are limited: after MaxWrongTokens from loopback
// (any address of 127/8 counting as one), every wrong token is refused
// with 429 and Retry-After until the window ends on the injected clock;
// the right token always passes (the till is never locked out by another
// process's guesses); a request without a token is not a guess.
func TestAuth_WrongTokensLimited(t *testing.T) {
	const token = "till-token-9f2c"
	clock := plugintest.NewClock()
	h := (&Server{Payments: &fakePayments{GetFn: getPayment(plugin.StatePaid)}, Token: token, Clock: clock}).Handler()
	call := func(addr, tok string) *httptest.ResponseRecorder {
		req := httptest.NewRequest("GET", "http://127.0.0.1:8765/api/v1/payments/01JD", nil)
		req.RemoteAddr = addr
		if tok != "" {
			req.Header.Set("Authorization", "Bearer "+tok)
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		return rec
	}
	for i := range MaxWrongTokens {
		if rec := call(fmt.Sprintf("127.0.0.%d:5000", i+1), "guess"); rec.Code != http.StatusUnauthorized {
			t.Fatalf("guess %d: %d", i, rec.Code)
		}
	}
	if rec := call("127.0.0.1:5000", ""); rec.Code != http.StatusUnauthorized {
		t.Fatalf("no token while blocked: %d", rec.Code)
	}
	rec := call("127.0.0.99:5000", "guess")
	if rec.Code != http.StatusTooManyRequests || rec.Header().Get("Retry-After") != "600" || !strings.Contains(rec.Body.String(), `"too_many_attempts"`) {
		t.Fatalf("a wrong token after %d wrong ones: %d %q %s", MaxWrongTokens, rec.Code, rec.Header().Get("Retry-After"), rec.Body)
	}
	if rec := call("127.0.0.1:5000", token); rec.Code != http.StatusOK {
		t.Fatalf("the right token while wrong ones are refused: %d %s", rec.Code, rec.Body)
	}
	if rec := call("192.168.1.10:5000", "guess"); rec.Code != http.StatusUnauthorized {
		t.Fatalf("a wrong token from another address: %d", rec.Code)
	}
	clock.Advance(WrongTokenWindow)
	if rec := call("127.0.0.1:5000", "guess"); rec.Code != http.StatusUnauthorized {
		t.Fatalf("a wrong token after the window: %d", rec.Code)
	}
}

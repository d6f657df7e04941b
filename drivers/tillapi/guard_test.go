package tillapi

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/sbpd/sbpd/plugin"
)

// guarded serves a Server whose engine counts the calls that reach it,
// with a kiosk-like page and a screen button among the Extra routes.
func guarded(t *testing.T, s *Server) (*httptest.Server, *atomic.Int32) {
	t.Helper()
	var calls atomic.Int32
	s.Payments = &fakePayments{
		StartFn: func(_ context.Context, req plugin.StartRequest) (plugin.Payment, bool, error) {
			calls.Add(1)
			return testPayment("p-1", plugin.StateCreating), true, nil
		},
		CancelFn: func(context.Context, string) (plugin.Payment, error) {
			calls.Add(1)
			return testPayment("p-1", plugin.StateCanceling), nil
		},
	}
	s.Extra = map[string]http.Handler{
		"GET /{$}": http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			fmt.Fprint(w, "<!doctype html><title>kiosk</title>")
		}),
		"POST /screen/payments/{id}/cancel": http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			calls.Add(1)
			w.WriteHeader(http.StatusOK)
		}),
		"POST /backoffice/act": http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			calls.Add(1)
			w.WriteHeader(http.StatusOK)
		}),
	}
	s.Extra["GET /screen/events"] = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		fmt.Fprint(w, "event: idle\ndata: {}\n\n")
	})
	s.Metrics = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { fmt.Fprintln(w, "sbpd_up 1") })
	return newTestServer(t, s), &calls
}

// TestGuard_SimpleCrossSiteRequests: what a web page in the kiosk's
// browser can send without a CORS preflight (text/plain, a form, a Blob
// without a type, a no-cors fetch) or with its own Origin never reaches
// the engine; the till's own requests do.
func TestGuard_SimpleCrossSiteRequests(t *testing.T) {
	ts, calls := guarded(t, &Server{})
	self := "http://" + ts.Listener.Addr().String()
	_, port, _ := net.SplitHostPort(ts.Listener.Addr().String())
	body := `{"check_id":"CSRF","amount":31337}`
	for _, c := range []struct {
		name, path string
		header     []string
		status     int
		code       string
	}{
		{"text/plain (no-cors fetch)", "/api/v1/payments", []string{"Content-Type", "text/plain;charset=UTF-8"}, 415, "unsupported_media_type"},
		{"form", "/api/v1/payments", []string{"Content-Type", "application/x-www-form-urlencoded"}, 415, "unsupported_media_type"},
		{"multipart", "/api/v1/payments", []string{"Content-Type", "multipart/form-data; boundary=x"}, 415, "unsupported_media_type"},
		{"a Blob without a type", "/api/v1/payments", []string{"Content-Type", ""}, 415, "unsupported_media_type"},
		{"JSON-looking type", "/api/v1/payments", []string{"Content-Type", "application/json-seq"}, 415, "unsupported_media_type"},
		{"cross-site JSON", "/api/v1/payments", []string{"Origin", "http://evil.example", "Sec-Fetch-Site", "cross-site"}, 403, "cross_origin"},
		{"another port of this host", "/api/v1/payments", []string{"Origin", "http://127.0.0.1:8080", "Sec-Fetch-Site", "same-site"}, 403, "cross_origin"},
		{"an old browser: Origin only", "/api/v1/payments", []string{"Origin", "http://evil.example"}, 403, "cross_origin"},
		{"an opaque origin", "/api/v1/payments", []string{"Origin", "null"}, 403, "cross_origin"},
		{"Sec-Fetch-Site only", "/api/v1/payments", []string{"Sec-Fetch-Site", "cross-site"}, 403, "cross_origin"},
		{"a cross-site form that navigates", "/api/v1/payments", []string{"Sec-Fetch-Site", "cross-site", "Sec-Fetch-Mode", "navigate", "Content-Type", "application/x-www-form-urlencoded"}, 403, "cross_origin"},
		{"cancel from another page", "/api/v1/payments/p-1/cancel", []string{"Origin", "http://evil.example", "Sec-Fetch-Site", "cross-site"}, 403, "cross_origin"},
		{"the screen's button from another page", "/screen/payments/p-1/cancel", []string{"Origin", "http://evil.example", "Sec-Fetch-Site", "cross-site"}, 403, "cross_origin"},
		{"the screen's button as text/plain", "/screen/payments/p-1/cancel", []string{"Content-Type", "text/plain"}, 415, "unsupported_media_type"},
	} {
		t.Run(c.name, func(t *testing.T) {
			before := calls.Load()
			res := do(t, "POST", ts.URL+c.path, body, c.header...)
			res.wantError(t, c.status, c.code)
			if !res.Close {
				t.Errorf("the refused request's connection is kept for another")
			}
			if n := calls.Load() - before; n != 0 {
				t.Errorf("the engine got %d call(s)", n)
			}
		})
	}

	// The till (no browser headers), the kiosk's own pages, a typed URL.
	for _, c := range []struct {
		name, path string
		header     []string
	}{
		{"the till", "/api/v1/payments", nil},
		{"the till with a charset", "/api/v1/payments", []string{"Content-Type", "application/json; charset=utf-8"}},
		{"sbpd's own page", "/api/v1/payments", []string{"Origin", self, "Sec-Fetch-Site", "same-origin"}},
		{"sbpd's own page as localhost", "/api/v1/payments", []string{"Origin", "http://localhost:" + port, "Host", "localhost:" + port}},
		{"the screen's button", "/screen/payments/p-1/cancel", []string{"Origin", self, "Sec-Fetch-Site", "same-origin"}},
		{"the screen's button, no body", "/screen/payments/p-1/cancel", []string{"Sec-Fetch-Site", "same-origin"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			b := body
			if strings.HasPrefix(c.path, "/screen/") {
				b = ""
			}
			req, _ := http.NewRequest("POST", ts.URL+c.path, strings.NewReader(b))
			if b == "" {
				req.Body = http.NoBody
			} else {
				req.Header.Set("Content-Type", "application/json")
			}
			for i := 0; i+1 < len(c.header); i += 2 {
				if c.header[i] == "Host" {
					req.Host = c.header[i+1]
				} else {
					req.Header.Set(c.header[i], c.header[i+1])
				}
			}
			before := calls.Load()
			res := send(t, req)
			if res.Status >= 300 || calls.Load()-before != 1 {
				t.Fatalf("%d %s, engine calls %d: want it served", res.Status, res.Body, calls.Load()-before)
			}
		})
	}

	// A link from another site to the kiosk page is a navigation: served,
	// and the page cannot be framed.
	res := do(t, "GET", ts.URL+"/", "", "Sec-Fetch-Site", "cross-site", "Sec-Fetch-Mode", "navigate", "Sec-Fetch-Dest", "document")
	if res.Status != 200 {
		t.Errorf("a navigation from another site: %d %s", res.Status, res.Body)
	}
	// Reading the journal from another page is not.
	do(t, "GET", ts.URL+"/api/v1/payments", "", "Origin", "http://evil.example", "Sec-Fetch-Site", "cross-site", "Sec-Fetch-Mode", "cors").
		wantError(t, 403, "cross_origin")
}

// TestGuard_DNSRebinding: a page whose DNS name now points at the kiosk
// reaches sbpd with its own name in Host; every route answers 421, the
// kiosk page, /healthz, /metrics and the OpenAPI document included.
func TestGuard_DNSRebinding(t *testing.T) {
	ts, calls := guarded(t, &Server{Hosts: []string{"Kiosk-07.Store.Local."}, Listen: "kiosk-listen.lan:8765",
		Search: &fakeSearcher{}})
	_, port, _ := net.SplitHostPort(ts.Listener.Addr().String())
	routes := []struct{ method, path string }{
		{"GET", "/api/v1/payments"}, {"GET", "/api/v1/payments/p-1"}, {"GET", "/api/v1/payments/p-1/events"},
		{"POST", "/api/v1/payments"}, {"POST", "/api/v1/payments/p-1/retry"}, {"POST", "/api/v1/payments/p-1/cancel"},
		{"GET", "/healthz"}, {"GET", "/metrics"}, {"GET", "/api/v1/openapi.json"}, {"GET", "/"},
		{"POST", "/screen/payments/p-1/cancel"}, {"GET", "/no/such/route"},
	}
	for _, host := range []string{"evil.example:" + port, "evil.example", "127.0.0.1.evil.example:" + port, "localhost.evil.example",
		"kiosk-07.store.local.evil.example", "0.0.0.0:" + port, "[::]:" + port, "127.1", "evil.example:" + port + "."} {
		for _, r := range routes {
			req, _ := http.NewRequest(r.method, ts.URL+r.path, nil)
			req.Host = host
			res := send(t, req)
			res.wantError(t, http.StatusMisdirectedRequest, "unknown_host")
		}
	}
	if calls.Load() != 0 {
		t.Errorf("the engine got %d call(s)", calls.Load())
	}
	// An HTTP/1.0 client without Host is no browser, so no rebound page.
	if res := rawRequest(t, ts.Listener.Addr().String(), "GET /healthz HTTP/1.0\r\n\r\n"); !strings.HasPrefix(res, "HTTP/1.0 200") {
		t.Errorf("HTTP/1.0 without Host: %q", res)
	}
	for _, host := range []string{"localhost:" + port, "LOCALHOST", "127.0.0.1:" + port, "127.1.2.3", "[::1]:" + port,
		"kiosk-07.store.local:" + port, "KIOSK-07.store.local.", "kiosk-listen.lan:" + port} {
		req, _ := http.NewRequest("GET", ts.URL+"/healthz", nil)
		req.Host = host
		if res := send(t, req); res.Status != 200 {
			t.Errorf("Host %q: %d %s", host, res.Status, res.Body)
		}
	}
}

// rawRequest writes a request by hand and returns the first line of the
// answer.
func rawRequest(t *testing.T, addr, request string) string {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := c.Write([]byte(request)); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 256)
	n, _ := c.Read(buf)
	line, _, _ := strings.Cut(string(buf[:n]), "\r\n")
	return line
}

// TestGuard_HostOfTheConnection: a till on the store network that opens
// sbpd at the LAN address sbpd listens on sends that address as Host.
func TestGuard_HostOfTheConnection(t *testing.T) {
	h := (&Server{Payments: &fakePayments{}}).Handler()
	req := httptest.NewRequest("GET", "http://192.168.1.50:8765/healthz", nil)
	req = req.WithContext(context.WithValue(req.Context(), http.LocalAddrContextKey,
		&net.TCPAddr{IP: net.ParseIP("192.168.1.50"), Port: 8765}))
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if rec.Code != 200 {
		t.Fatalf("Host = the connection's address: %d %s", rec.Code, rec.Body)
	}
	req.Host = "192.168.1.51:8765"
	rec = httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if rec.Code != http.StatusMisdirectedRequest {
		t.Fatalf("Host = another address: %d %s", rec.Code, rec.Body)
	}
}

// TestGuard_SecurityHeaders: every HTML page gets a Content-Security-Policy
// that forbids framing, nosniff and no Referer; a page's own policy stays.
func TestGuard_SecurityHeaders(t *testing.T) {
	ts, _ := guarded(t, &Server{})
	res := do(t, "GET", ts.URL+"/", "")
	for k, want := range map[string]string{
		"Content-Security-Policy": DefaultCSP,
		"X-Frame-Options":         "DENY",
		"X-Content-Type-Options":  "nosniff",
		"Referrer-Policy":         "no-referrer",
	} {
		if got := res.Header.Get(k); got != want {
			t.Errorf("%s = %q, want %q", k, got, want)
		}
	}
	if !strings.Contains(DefaultCSP, "frame-ancestors 'none'") || strings.Contains(DefaultCSP, "unsafe-inline") {
		t.Errorf("DefaultCSP %q", DefaultCSP)
	}
	res = do(t, "GET", ts.URL+"/healthz", "")
	if res.Header.Get("X-Content-Type-Options") != "nosniff" || res.Header.Get("Content-Security-Policy") != "" {
		t.Errorf("JSON answer headers: %v", res.Header)
	}

	own := &Server{Payments: &fakePayments{}, Extra: map[string]http.Handler{"GET /page": http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		w.Header().Set("Content-Security-Policy", "default-src 'self'")
		w.Write([]byte("<p>"))
	})}}
	res = do(t, "GET", newTestServer(t, own).URL+"/page", "")
	if res.Header.Get("Content-Security-Policy") != "default-src 'self'" {
		t.Errorf("the page's own policy was replaced: %q", res.Header.Get("Content-Security-Policy"))
	}
}

// TestStart_DuplicateAndExponent: a field named twice is refused, not the
// last one taken; an exponent amount is told to send digits; no payment.
func TestStart_DuplicateAndExponent(t *testing.T) {
	ts, calls := guarded(t, &Server{})
	msg := do(t, "POST", ts.URL+"/api/v1/payments", `{"check_id":"1","amount":100,"amount":200}`).
		wantError(t, http.StatusUnprocessableEntity, "duplicate_field")
	if !strings.Contains(msg, `"amount"`) {
		t.Errorf("message %q does not name the field", msg)
	}
	do(t, "POST", ts.URL+"/api/v1/payments", `{"check_id":"1","check_id":"2","amount":100}`).
		wantError(t, http.StatusUnprocessableEntity, "duplicate_field")
	msg = do(t, "POST", ts.URL+"/api/v1/payments", `{"check_id":"1","amount":1e6}`).
		wantError(t, http.StatusUnprocessableEntity, "invalid_amount")
	if !strings.Contains(msg, "exponent") || !strings.Contains(msg, "1000000") {
		t.Errorf("message %q does not say to send digits", msg)
	}
	if calls.Load() != 0 {
		t.Errorf("the engine got %d call(s)", calls.Load())
	}
}

// TestGuard_StreamsAndFrames: another site may open the kiosk page as a
// top-level document (a link), but not frame it, and may not open an event
// stream in any way (to hold the places the kiosk page needs); the page's
// stream answers only an EventSource (Accept: text/event-stream), which a
// frame on sbpd's LAN address, where a browser sends no Sec-Fetch-*, is not.
func TestGuard_StreamsAndFrames(t *testing.T) {
	s := &Server{Streams: []string{"GET /screen/events"}}
	ts, _ := guarded(t, s)
	nav := func(dest string) []string {
		return []string{"Sec-Fetch-Site", "cross-site", "Sec-Fetch-Mode", "navigate", "Sec-Fetch-Dest", dest}
	}
	for _, c := range []struct {
		path   string
		header []string
		status int
	}{
		{"/", nav("document"), 200},
		{"/", nav("iframe"), 403},
		{"/", nav("embed"), 403},
		{"/screen/events", nav("document"), 403},
		{"/screen/events", nav("iframe"), 403},
		{"/screen/events", append(nav("document"), "Accept", "text/event-stream"), 403},
		{"/api/v1/payments/p-1/events", nav("document"), 403},
		{"/api/v1/payments", nav("document"), 403},
		{"/screen/events", []string{"Accept", "text/html,application/xhtml+xml"}, http.StatusNotAcceptable},
		{"/screen/events", nil, http.StatusNotAcceptable},
	} {
		res := do(t, "GET", ts.URL+c.path, "", c.header...)
		if res.Status != c.status {
			t.Errorf("GET %s %v: %d, want %d: %s", c.path, c.header, res.Status, c.status, res.Body)
		}
	}
	// The page's own EventSource.
	req, _ := http.NewRequest("GET", ts.URL+"/screen/events", nil)
	req.Header.Set("Accept", "text/event-stream")
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != 200 {
		t.Errorf("the page's EventSource: %d", res.StatusCode)
	}
}

// TestGuard_OriginIsTheRequestsOwn: an Origin passes only when it is
// exactly http:// and the Host the request names; another loopback form,
// https, or another port of the same address does not.
func TestGuard_OriginIsTheRequestsOwn(t *testing.T) {
	ts, _ := guarded(t, &Server{})
	_, port, _ := net.SplitHostPort(ts.Listener.Addr().String())
	for origin, ok := range map[string]bool{
		"http://127.0.0.1:" + port:          true,
		"http://127.0.0.1:" + port + "/":    true,
		"http://[::1]:" + port:              false,
		"http://127.0.0.2:" + port:          false,
		"https://127.0.0.1:" + port:         false,
		"http://localhost:" + port:          false, // the request names 127.0.0.1
		"http://user@127.0.0.1:" + port:     false,
		"http://127.0.0.1:" + port + "/x":   false,
		"http://127.0.0.1":                  false,
		"http://127.0.0.1:" + port + "?q=1": false,
	} {
		res := do(t, "POST", ts.URL+"/api/v1/payments", `{"check_id":"1","amount":1}`, "Origin", origin)
		if (res.Status < 300) != ok {
			t.Errorf("Origin %q: %d %s", origin, res.Status, res.Body)
		}
	}
}

// TestGuard_FormsOnlyWhereAllowed: an HTML form's body is taken only by the
// pages under Server.Forms, only from sbpd's own pages; everywhere else,
// and from any other page, it is refused before the handler runs.
func TestGuard_FormsOnlyWhereAllowed(t *testing.T) {
	ts, calls := guarded(t, &Server{Forms: []string{"/backoffice/"}})
	self := "http://" + ts.Listener.Addr().String()
	form := "application/x-www-form-urlencoded"
	for _, c := range []struct {
		name, path string
		header     []string
		status     int
		code       string
	}{
		{"own page, Origin", "/backoffice/act", []string{"Content-Type", form, "Origin", self}, 200, ""},
		{"own page, Sec-Fetch-Site", "/backoffice/act", []string{"Content-Type", form, "Sec-Fetch-Site", "same-origin"}, 200, ""},
		{"no browser headers", "/backoffice/act", []string{"Content-Type", form}, 403, "form_without_origin"},
		{"another site", "/backoffice/act", []string{"Content-Type", form, "Origin", "http://evil.example", "Sec-Fetch-Site", "cross-site"}, 403, "cross_origin"},
		{"another site, Sec-Fetch-Site only", "/backoffice/act", []string{"Content-Type", form, "Sec-Fetch-Site", "cross-site", "Sec-Fetch-Mode", "navigate", "Sec-Fetch-Dest", "document"}, 403, "cross_origin"},
		{"an opaque origin", "/backoffice/act", []string{"Content-Type", form, "Origin", "null"}, 403, "cross_origin"},
		{"multipart", "/backoffice/act", []string{"Content-Type", "multipart/form-data; boundary=x", "Origin", self}, 415, "unsupported_media_type"},
		{"text/plain", "/backoffice/act", []string{"Content-Type", "text/plain", "Origin", self}, 415, "unsupported_media_type"},
		{"a form to the screen's button", "/screen/payments/p-1/cancel", []string{"Content-Type", form, "Origin", self}, 415, "unsupported_media_type"},
		{"a form to the API", "/api/v1/payments", []string{"Content-Type", form, "Origin", self}, 415, "unsupported_media_type"},
	} {
		t.Run(c.name, func(t *testing.T) {
			before := calls.Load()
			res := do(t, "POST", ts.URL+c.path, "csrf=x&reason=y", c.header...)
			if c.status == 200 {
				if res.Status != 200 || calls.Load()-before != 1 {
					t.Fatalf("%d %s, handler calls %d: want it served", res.Status, res.Body, calls.Load()-before)
				}
				return
			}
			res.wantError(t, c.status, c.code)
			if n := calls.Load() - before; n != 0 {
				t.Errorf("the handler got %d call(s)", n)
			}
		})
	}
}

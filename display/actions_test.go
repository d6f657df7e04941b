package display_test

import (
	"context"
	"encoding/json"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sbpd/sbpd/display"
	"github.com/sbpd/sbpd/plugin"
)

// fakeActions records the shopper's choices the screen passes on and
// answers them as the engine would.
type fakeActions struct {
	mu    sync.Mutex
	calls []string // "retry P1", "cancel P1"
	err   error    // answered instead of a payment, if set
}

func (f *fakeActions) Retry(ctx context.Context, id string) (plugin.Payment, error) {
	return f.call("retry", id, plugin.StateAwaitingPayment)
}

func (f *fakeActions) Cancel(ctx context.Context, id string) (plugin.Payment, error) {
	return f.call("cancel", id, plugin.StateCanceling)
}

// call answers with the payment undecorated, so that the test sees the
// screen decorate it.
func (f *fakeActions) call(action, id string, st plugin.State) (plugin.Payment, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, action+" "+id)
	if f.err != nil {
		return plugin.Payment{}, f.err
	}
	return plugin.Payment{ID: id, CheckID: "1", Amount: 25990, Mode: plugin.ModeScreen, State: st}, nil
}

func (f *fakeActions) Calls() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.calls...)
}

// handler is the screen's routes on a mux, as the daemon mounts them.
func handler(s *display.Screen) http.Handler {
	mux := http.NewServeMux()
	for p, h := range s.Routes() {
		mux.Handle(p, h)
	}
	return mux
}

// request serves one request from remote (RemoteAddr) and returns the answer.
func request(h http.Handler, method, path, remote, body string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(method, path, strings.NewReader(body))
	req.RemoteAddr = remote
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

// apiError decodes {"error":{"code","message"}}.
func apiError(t *testing.T, rec *httptest.ResponseRecorder) plugin.APIError {
	t.Helper()
	if ct := rec.Header().Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Fatalf("content type %q, want JSON: %s", ct, rec.Body)
	}
	var body struct{ Error *plugin.APIError }
	if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil || body.Error == nil || body.Error.Message == "" {
		t.Fatalf("not a JSON error: %v: %s", err, rec.Body)
	}
	return *body.Error
}

// TestScreen_ButtonsActOnTheDialogOnShow: Повторить and Отменить on the
// payment on show in status_unknown reach the engine once each and answer
// with the payment, decorated as the till API returns it.
func TestScreen_ButtonsActOnTheDialogOnShow(t *testing.T) {
	for _, c := range []struct {
		action string
		state  plugin.State
	}{{"retry", plugin.StateAwaitingPayment}, {"cancel", plugin.StateCanceling}} {
		t.Run(c.action, func(t *testing.T) {
			s, fake := display.New(), &fakeActions{}
			s.Actions = fake
			h := handler(s)
			s.Show(payment("P1", plugin.StateStatusUnknown))
			rec := request(h, "POST", "/screen/payments/P1/"+c.action, "127.0.0.1:40000", "")
			if rec.Code != http.StatusOK {
				t.Fatalf("%d %s", rec.Code, rec.Body)
			}
			var p plugin.Payment
			if err := json.Unmarshal(rec.Body.Bytes(), &p); err != nil {
				t.Fatal(err)
			}
			if p.ID != "P1" || p.State != c.state || p.StateCode != c.state.Code() || p.Message == "" {
				t.Fatalf("answer %+v: want P1 %s decorated (state_code, message)", p, c.state)
			}
			if got := fake.Calls(); len(got) != 1 || got[0] != c.action+" P1" {
				t.Fatalf("engine calls %q, want one %s of P1", got, c.action)
			}
		})
	}
}

// TestScreen_ButtonsActOnlyOnTheDialogOnShow: the screen's routes touch no
// other payment and no other state (Повторить only the dialog, Отменить
// also awaiting_payment and canceling: TestScreen_CancelBeforeTheDialog);
// nothing reaches the engine.
func TestScreen_ButtonsActOnlyOnTheDialogOnShow(t *testing.T) {
	fake := &fakeActions{}
	for _, action := range []string{"retry", "cancel"} {
		s := display.New()
		s.Actions = fake
		h := handler(s)
		path := "/screen/payments/P1/" + action
		// Nothing on screen yet.
		if rec := request(h, "POST", path, "127.0.0.1:40000", ""); rec.Code != http.StatusConflict || apiError(t, rec).Code != "not_on_screen" {
			t.Fatalf("%s with nothing on screen: %d %s", action, rec.Code, rec.Body)
		}
		s.Show(payment("P1", plugin.StateStatusUnknown))
		for _, other := range []string{"P2", "p1", "P1x"} {
			rec := request(h, "POST", "/screen/payments/"+other+"/"+action, "127.0.0.1:40000", "")
			if rec.Code != http.StatusConflict || apiError(t, rec).Code != "not_on_screen" {
				t.Fatalf("%s of %s while P1 is on show: %d %s", action, other, rec.Code, rec.Body)
			}
		}
		refused := []plugin.State{plugin.StateCreating, plugin.StatePaid, plugin.StateNotPaid, plugin.StateNeedsAttention}
		if action == "retry" {
			refused = append(refused, plugin.StateAwaitingPayment, plugin.StateCanceling)
		}
		for _, st := range refused {
			s.Show(payment("P1", st))
			rec := request(h, "POST", path, "127.0.0.1:40000", "")
			if rec.Code != http.StatusConflict || apiError(t, rec).Code != "no_dialog" {
				t.Fatalf("%s of P1 in %s: %d %s", action, st, rec.Code, rec.Body)
			}
		}
		s.Show(payment("P1", plugin.StateStatusUnknown))
		if rec := request(h, "GET", path, "127.0.0.1:40000", ""); rec.Code != http.StatusMethodNotAllowed {
			t.Fatalf("GET %s: %d", path, rec.Code)
		}
		if rec := request(h, "POST", path, "127.0.0.1:40000", strings.Repeat("x", 5<<10)); rec.Code != http.StatusRequestEntityTooLarge {
			t.Fatalf("%s with a 5 KiB body: %d %s", action, rec.Code, rec.Body)
		}
	}
	if got := fake.Calls(); len(got) != 0 {
		t.Fatalf("the engine was called: %q", got)
	}
}

// TestScreen_CancelBeforeTheDialog: the page's own Отменить on the QR,
// printed-QR and sticker screens (awaiting_payment) reaches the engine, and
// a second tap while canceling too (the engine answers it with the payment
// and sends nothing); with HideCancel (screen.cancel_button = false) the
// request is refused in awaiting_payment, the dialog's Отменить still acts.
func TestScreen_CancelBeforeTheDialog(t *testing.T) {
	for _, mode := range []plugin.Mode{plugin.ModePrint, plugin.ModeScreen, plugin.ModeSticker} {
		s, fake := display.New(), &fakeActions{}
		s.Actions = fake
		h := handler(s)
		p := payment("P1", plugin.StateAwaitingPayment)
		p.Mode = mode
		s.Show(p)
		for _, st := range []plugin.State{plugin.StateAwaitingPayment, plugin.StateCanceling} {
			p.State = st
			s.Show(p)
			rec := request(h, "POST", "/screen/payments/P1/cancel", "127.0.0.1:40000", "")
			if rec.Code != http.StatusOK {
				t.Fatalf("mode %d: cancel in %s: %d %s", mode, st, rec.Code, rec.Body)
			}
		}
		if got := fake.Calls(); len(got) != 2 || got[0] != "cancel P1" || got[1] != "cancel P1" {
			t.Fatalf("mode %d: engine calls %q", mode, got)
		}
	}

	s, fake := display.New(), &fakeActions{}
	s.Actions, s.HideCancel = fake, true
	h := handler(s)
	s.Show(payment("P1", plugin.StateAwaitingPayment))
	rec := request(h, "POST", "/screen/payments/P1/cancel", "127.0.0.1:40000", "")
	if rec.Code != http.StatusConflict || apiError(t, rec).Code != "no_cancel_button" {
		t.Fatalf("HideCancel, awaiting_payment: %d %s", rec.Code, rec.Body)
	}
	if got := fake.Calls(); len(got) != 0 {
		t.Fatalf("HideCancel: the engine was called: %q", got)
	}
	s.Show(payment("P1", plugin.StateStatusUnknown))
	if rec := request(h, "POST", "/screen/payments/P1/cancel", "127.0.0.1:40000", ""); rec.Code != http.StatusOK {
		t.Fatalf("HideCancel, the dialog's Отменить: %d %s", rec.Code, rec.Body)
	}
}

// TestScreen_ButtonsWithoutActions: a screen not given the engine says so.
func TestScreen_ButtonsWithoutActions(t *testing.T) {
	s := display.New()
	h := handler(s)
	s.Show(payment("P1", plugin.StateStatusUnknown))
	for _, action := range []string{"retry", "cancel"} {
		rec := request(h, "POST", "/screen/payments/P1/"+action, "127.0.0.1:40000", "")
		if rec.Code != http.StatusNotImplemented {
			t.Fatalf("%s: %d %s", action, rec.Code, rec.Body)
		}
		if e := apiError(t, rec); e.Code != "not_implemented" || !strings.Contains(e.Message, "/api/v1/payments/{id}/"+action) {
			t.Fatalf("%s: %+v", action, e)
		}
	}
}

// statusOf stands for the till API's mapping the daemon gives the screen
// (Screen.Status; cmd/sbpd's TestDaemon_ScreenStatusIsTheTillAPIs checks
// the wiring).
func statusOf(code string) int {
	return map[string]int{plugin.EConflict: http.StatusConflict, plugin.ENotFound: http.StatusNotFound,
		plugin.EUnavailable: http.StatusBadGateway, plugin.EStorage: http.StatusServiceUnavailable}[code]
}

// TestScreen_ButtonsEngineErrors: the engine's refusal is answered with
// the status Screen.Status gives its code; an unexpected error, or any
// error without Status, shows nothing of its cause.
func TestScreen_ButtonsEngineErrors(t *testing.T) {
	for _, c := range []struct {
		err    error
		status int
		code   string
	}{
		{&plugin.Error{Code: plugin.EConflict, Reason: "invalid_state", Message: "cannot retry"}, http.StatusConflict, "invalid_state"},
		{plugin.Errorf(plugin.ENotFound, "no payment P1"), http.StatusNotFound, plugin.ENotFound},
		{plugin.Errorf(plugin.EUnavailable, "PayMaster down"), http.StatusBadGateway, plugin.EUnavailable},
		{plugin.Errorf(plugin.EStorage, "disk full"), http.StatusServiceUnavailable, plugin.EStorage},
		{context.DeadlineExceeded, http.StatusInternalServerError, plugin.EInternal},
		{plugin.Errorf(plugin.EInvalid, "a code Status does not map"), http.StatusInternalServerError, plugin.EInternal},
	} {
		s, fake := display.New(), &fakeActions{err: c.err}
		s.Actions, s.Status = fake, statusOf
		s.Show(payment("P1", plugin.StateStatusUnknown))
		rec := request(handler(s), "POST", "/screen/payments/P1/retry", "127.0.0.1:40000", "")
		e := apiError(t, rec)
		if rec.Code != c.status || e.Code != c.code {
			t.Errorf("%v: %d %+v, want %d %s", c.err, rec.Code, e, c.status, c.code)
		}
		if c.code == plugin.EInternal && strings.Contains(e.Message, "deadline") {
			t.Errorf("the answer shows the cause: %q", e.Message)
		}
	}
	s := display.New()
	s.Actions = &fakeActions{err: plugin.Errorf(plugin.EConflict, "cannot retry")}
	s.Show(payment("P1", plugin.StateStatusUnknown))
	rec := request(handler(s), "POST", "/screen/payments/P1/retry", "127.0.0.1:40000", "")
	if e := apiError(t, rec); rec.Code != http.StatusInternalServerError || e.Code != plugin.EInternal || strings.Contains(e.Message, "retry") {
		t.Errorf("without Status: %d %+v, want 500 internal", rec.Code, e)
	}
}

// TestScreen_LocalOnly: with LocalOnly every screen route answers only
// the kiosk's own browser, whatever X-Forwarded-For says; without it,
// anyone.
func TestScreen_LocalOnly(t *testing.T) {
	s, fake := display.New(), &fakeActions{}
	s.Actions = fake
	s.LocalOnly = true
	h := handler(s)
	s.Show(payment("P1", plugin.StateStatusUnknown))
	routes := [][2]string{
		{"GET", "/"},
		{"GET", "/screen/screen.js"},
		{"GET", "/screen/screen.css"},
		{"GET", "/screen/events"},
		{"GET", "/screen/qr/P1"},
		{"GET", "/screen/current.json"},
		{"POST", "/screen/payments/P1/retry"},
		{"POST", "/screen/payments/P1/cancel"},
	}
	if len(routes) != len(s.Routes()) {
		t.Fatalf("the test covers %d routes, the screen has %d", len(routes), len(s.Routes()))
	}
	for _, r := range routes {
		for _, remote := range []string{"192.0.2.7:5555", "[2001:db8::7]:5555", "[fe80::1%eth0]:5555", "10.0.0.1:80", "", "garbage"} {
			// Bounded: a stream served by mistake would not end by itself.
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
			req := httptest.NewRequestWithContext(ctx, r[0], r[1], nil)
			req.RemoteAddr = remote
			req.Header.Set("X-Forwarded-For", "127.0.0.1")
			req.Header.Set("X-Real-IP", "127.0.0.1")
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			cancel()
			if rec.Code != http.StatusForbidden || !strings.Contains(rec.Body.String(), display.TextLoopbackOnly) {
				t.Errorf("%s %s from %q: %d %.80q, want 403", r[0], r[1], remote, rec.Code, rec.Body)
			}
			if strings.Contains(rec.Body.String(), "25990") || strings.Contains(rec.Body.String(), "qr.nspk.ru") {
				t.Errorf("%s %s from %q: the refusal shows the payment", r[0], r[1], remote)
			}
		}
	}
	if got := fake.Calls(); len(got) != 0 {
		t.Fatalf("a refused request reached the engine: %q", got)
	}

	// The kiosk's own browser: every route answers (the event stream is
	// only opened: it would not end by itself).
	for _, remote := range []string{"127.0.0.1:40000", "127.8.9.10:40000", "[::1]:40000", "[::ffff:127.0.0.1]:40000"} {
		for _, r := range routes {
			if r[1] == "/screen/events" {
				continue
			}
			s.Show(payment("P1", plugin.StateStatusUnknown))
			if rec := request(h, r[0], r[1], remote, ""); rec.Code != http.StatusOK {
				t.Errorf("%s %s from %s: %d %s", r[0], r[1], remote, rec.Code, rec.Body)
			}
		}
		ctx, cancel := context.WithCancel(context.Background())
		req := httptest.NewRequestWithContext(ctx, "GET", "/screen/events", nil)
		req.RemoteAddr = remote
		rec := httptest.NewRecorder()
		done := make(chan struct{})
		go func() { h.ServeHTTP(rec, req); close(done) }()
		cancel()
		<-done
		if rec.Code != http.StatusOK || rec.Header().Get("Content-Type") != "text/event-stream" {
			t.Errorf("GET /screen/events from %s: %d %s", remote, rec.Code, rec.Header().Get("Content-Type"))
		}
	}
	if got := fake.Calls(); len(got) != 8 {
		t.Fatalf("engine calls %q, want one retry and one cancel from each of 4 loopback peers", got)
	}

	// The browser on the kiosk opening the page at the one LAN address sbpd
	// listens on connects from that address.
	for _, c := range []struct {
		local, remote string
		ok            bool
	}{
		{"192.0.2.7:8765", "192.0.2.7:5555", true},
		{"192.0.2.1:8765", "192.0.2.7:5555", false},
		{"[2001:db8::7]:8765", "[2001:db8::7]:5555", true},
		{"0.0.0.0:8765", "0.0.0.0:5555", false},
	} {
		la, err := net.ResolveTCPAddr("tcp", c.local)
		if err != nil {
			t.Fatal(err)
		}
		req := httptest.NewRequest("GET", "/", nil)
		req = req.WithContext(context.WithValue(req.Context(), http.LocalAddrContextKey, la))
		req.RemoteAddr = c.remote
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if got := rec.Code == http.StatusOK; got != c.ok {
			t.Errorf("GET / from %s to %s: %d, want served %t", c.remote, c.local, rec.Code, c.ok)
		}
	}

	// Without LocalOnly the screen is anyone's, as before.
	s.LocalOnly = false
	if rec := request(h, "GET", "/", "192.0.2.7:5555", ""); rec.Code != http.StatusOK {
		t.Fatalf("GET / without LocalOnly: %d", rec.Code)
	}
}

// TestScreen_LocalOnlyOverTheNetwork: the same through a real listener,
// where the peer address comes from the connection.
func TestScreen_LocalOnlyOverTheNetwork(t *testing.T) {
	s := display.New()
	s.LocalOnly = true
	srv := serve(t, s)
	req, _ := http.NewRequest("GET", srv.URL+"/", nil)
	req.Header.Set("X-Forwarded-For", "192.0.2.7")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET / from 127.0.0.1: %d", resp.StatusCode)
	}
}

// TestScreen_RefusalClipsTheID: a button's request for an id of 30 000
// bytes is refused quoting a short prefix of it.
func TestScreen_RefusalClipsTheID(t *testing.T) {
	s, fake := display.New(), &fakeActions{}
	s.Actions = fake
	h := handler(s)
	s.Show(payment("P1", plugin.StateStatusUnknown))
	long := strings.Repeat("A", 30000)
	for _, action := range []string{"retry", "cancel"} {
		rec := request(h, "POST", "/screen/payments/"+long+"/"+action, "127.0.0.1:40000", "")
		msg := apiError(t, rec).Message
		if rec.Code != http.StatusConflict || len(msg) > 400 || !strings.Contains(msg, "payment "+plugin.Clip(long)+" is not") {
			t.Errorf("%s: %d, a message of %d bytes: %.200s", action, rec.Code, len(msg), msg)
		}
	}
	if got := fake.Calls(); len(got) != 0 {
		t.Fatalf("the engine was called: %q", got)
	}
}

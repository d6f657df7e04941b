package notify_test

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sbpd/sbpd/drivers/notify"
	"github.com/sbpd/sbpd/plugin"
	"github.com/sbpd/sbpd/plugin/plugintest"
)

const secret = "s3cr3t-hmac-key-7f1e"

// memQueue is an in-memory notify.Queue.
type memQueue struct {
	mu    sync.Mutex
	items map[string]*item
	order []string
}

type item struct {
	d         notify.Delivery
	status    string
	nextAt    time.Time
	lastError string
	attempts  int
}

func newQueue(now time.Time, ps ...plugin.Payment) *memQueue {
	q := &memQueue{items: map[string]*item{}}
	for _, p := range ps {
		id := p.ID + ":" + string(p.State)
		q.items[id] = &item{d: notify.Delivery{Delivery: plugin.Delivery{ID: id}, Payment: p}, status: "pending", nextAt: now}
		q.order = append(q.order, id)
	}
	return q
}

func (q *memQueue) Due(ctx context.Context, now time.Time, limit int) ([]notify.Delivery, error) {
	q.mu.Lock()
	defer q.mu.Unlock()
	var out []notify.Delivery
	for _, id := range q.order {
		it := q.items[id]
		if it.status == "pending" && !it.nextAt.After(now) && len(out) < limit {
			d := it.d
			d.Attempts = it.attempts
			out = append(out, d)
		}
	}
	return out, nil
}

func (q *memQueue) NextDue(ctx context.Context) (time.Time, bool, error) {
	q.mu.Lock()
	defer q.mu.Unlock()
	var at time.Time
	ok := false
	for _, it := range q.items {
		if it.status == "pending" && (!ok || it.nextAt.Before(at)) {
			at, ok = it.nextAt, true
		}
	}
	return at, ok, nil
}

func (q *memQueue) MarkDelivered(ctx context.Context, id string, at time.Time) error {
	q.mu.Lock()
	defer q.mu.Unlock()
	it := q.items[id]
	it.status, it.attempts = "delivered", it.attempts+1
	return nil
}

func (q *memQueue) MarkFailed(ctx context.Context, id, reason string, nextAt time.Time, exhausted bool) error {
	q.mu.Lock()
	defer q.mu.Unlock()
	it := q.items[id]
	it.attempts++
	it.nextAt, it.lastError = nextAt, reason
	if exhausted {
		it.status = "exhausted"
	}
	return nil
}

func (q *memQueue) get(id string) item {
	q.mu.Lock()
	defer q.mu.Unlock()
	return *q.items[id]
}

// receiver is an accounting system that fails its first fail requests.
type receiver struct {
	t    *testing.T
	now  func() time.Time // the receiver's clock
	fail int
	code int
	echo string // written in failed answers

	mu       sync.Mutex
	requests int
	accepted []string // delivery ids
	bodies   [][]byte
	bad      []string
}

func (r *receiver) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	body, _ := io.ReadAll(req.Body)
	r.mu.Lock()
	defer r.mu.Unlock()
	r.requests++
	id := req.Header.Get(notify.HeaderDeliveryID)
	switch {
	case req.Method != http.MethodPost || req.Header.Get("Content-Type") != "application/json":
		r.bad = append(r.bad, "method or content type: "+req.Method+" "+req.Header.Get("Content-Type"))
	default:
		if err := notify.Verify(secret, body, req.Header.Get(notify.HeaderTimestamp), req.Header.Get(notify.HeaderSignature),
			r.now(), notify.DefaultTolerance); err != nil {
			r.bad = append(r.bad, err.Error())
		}
	}
	var m map[string]any
	if err := json.Unmarshal(body, &m); err != nil || m["delivery_id"] != id {
		r.bad = append(r.bad, "body delivery_id does not match the header: "+string(body))
	}
	if r.requests <= r.fail {
		code := r.code
		if code == 0 {
			code = http.StatusInternalServerError
		}
		w.WriteHeader(code)
		io.WriteString(w, "try later "+r.echo)
		return
	}
	for _, a := range r.accepted {
		if a == id {
			w.WriteHeader(http.StatusOK) // a duplicate: dropped
			return
		}
	}
	r.accepted = append(r.accepted, id)
	r.bodies = append(r.bodies, body)
	w.WriteHeader(http.StatusNoContent)
}

func (r *receiver) counts() (requests int, accepted []string, bad []string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.requests, append([]string(nil), r.accepted...), append([]string(nil), r.bad...)
}

func paid(id string, at time.Time) plugin.Payment {
	return plugin.Payment{ID: id, CheckID: "4711", OrderNo: "K07-4711-1", Amount: 25990, Mode: plugin.ModeScreen,
		State: plugin.StatePaid, PayMasterID: "40211873", CreatedAt: at, UpdatedAt: at, ExpiresAt: at.Add(5 * time.Minute)}
}

type harness struct {
	t     *testing.T
	clock *plugintest.Clock
	q     *memQueue
	r     *receiver
	srv   *httptest.Server
	d     *notify.Deliverer
	logs  *bytes.Buffer
	logMu *sync.Mutex
	stop  func()

	outcomes []string // what Outcome heard, under logMu
}

type lockedWriter struct {
	mu *sync.Mutex
	b  *bytes.Buffer
}

func (w lockedWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.Write(p)
}

func newHarness(t *testing.T, r *receiver, maxAttempts int, ps ...plugin.Payment) *harness {
	t.Helper()
	h := &harness{t: t, clock: plugintest.NewClock(), r: r, logs: &bytes.Buffer{}, logMu: &sync.Mutex{}}
	r.t, r.now = t, h.clock.Now
	h.srv = httptest.NewServer(r)
	t.Cleanup(h.srv.Close)
	h.q = newQueue(h.clock.Now(), ps...)
	h.d = &notify.Deliverer{URL: h.srv.URL + "/hook", Secret: secret, MaxAttempts: maxAttempts, Queue: h.q,
		Clock: h.clock, HTTP: h.srv.Client(), Poll: time.Hour,
		Logger: slog.New(slog.NewTextHandler(lockedWriter{h.logMu, h.logs}, &slog.HandlerOptions{Level: slog.LevelDebug})),
		Outcome: func(o string) {
			h.logMu.Lock()
			h.outcomes = append(h.outcomes, o)
			h.logMu.Unlock()
		}}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- h.d.Run(ctx) }()
	var once sync.Once
	h.stop = func() {
		once.Do(func() {
			cancel()
			if err := <-done; err != nil {
				t.Errorf("Run: %v", err)
			}
		})
	}
	t.Cleanup(h.stop)
	return h
}

// waitAttempts waits (real time, for a broken test only) until the
// delivery has n recorded attempts and the deliverer sleeps.
func (h *harness) waitAttempts(id string, n int) {
	h.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for h.q.get(id).attempts < n {
		if time.Now().After(deadline) {
			h.t.Fatalf("delivery %s: %d attempts, want %d", id, h.q.get(id).attempts, n)
		}
		time.Sleep(time.Millisecond)
	}
	h.clock.WaitForTimers(h.t, 1)
}

func (h *harness) outcomeList() string {
	h.logMu.Lock()
	defer h.logMu.Unlock()
	return strings.Join(h.outcomes, " ")
}

func (h *harness) logText() string {
	h.logMu.Lock()
	defer h.logMu.Unlock()
	return h.logs.String()
}

func TestDeliverRetriesUntilAccepted(t *testing.T) {
	const fails = 3
	r := &receiver{fail: fails}
	h := newHarness(t, r, 50, paid("P1", plugintest.NewClock().Now()))
	id := "P1:paid"
	for i := 1; i <= fails; i++ {
		h.waitAttempts(id, i)
		it := h.q.get(id)
		if it.status != "pending" || !strings.Contains(it.lastError, "HTTP 500") {
			t.Fatalf("after failure %d: %+v", i, it)
		}
		if want := h.clock.Now().Add(notify.Backoff(i)); !it.nextAt.Equal(want) {
			t.Fatalf("after failure %d: next try at %s, want %s (backoff %s)", i, it.nextAt, want, notify.Backoff(i))
		}
		if n, _, _ := r.counts(); n != i {
			t.Fatalf("receiver saw %d requests before the backoff passed, want %d", n, i)
		}
		h.clock.Advance(notify.Backoff(i))
	}
	h.waitAttempts(id, fails+1)
	if it := h.q.get(id); it.status != "delivered" {
		t.Fatalf("status %s, want delivered: %+v", it.status, it)
	}
	if got := h.outcomeList(); got != "failed failed failed delivered" {
		t.Errorf("outcomes %q, want three failures and a delivery", got)
	}
	h.clock.Advance(24 * time.Hour) // nothing more is sent
	h.clock.WaitForTimers(t, 1)
	requests, accepted, bad := r.counts()
	if requests != fails+1 || len(accepted) != 1 || accepted[0] != id || len(bad) != 0 {
		t.Fatalf("requests %d, accepted %v, problems %v; want %d requests, one accepted %s", requests, accepted, bad, fails+1, id)
	}
	var got map[string]any
	json.Unmarshal(r.bodies[0], &got)
	if got["id"] != "P1" || got["state"] != "paid" || got["state_code"] != float64(5) || got["amount"] != float64(25990) ||
		got["message"] != plugin.TextPaid || got["delivery_id"] != id {
		t.Errorf("body %s", r.bodies[0])
	}
	if strings.Contains(h.logText(), secret) {
		t.Errorf("the secret is in the log:\n%s", h.logText())
	}
}

func TestDeliverExhausted(t *testing.T) {
	r := &receiver{fail: 1 << 30, code: http.StatusServiceUnavailable, echo: "your key was " + secret}
	h := newHarness(t, r, 3, paid("P1", plugintest.NewClock().Now()))
	id := "P1:paid"
	for i := 1; i < 3; i++ {
		h.waitAttempts(id, i)
		h.clock.Advance(notify.Backoff(i))
	}
	h.waitAttempts(id, 3)
	it := h.q.get(id)
	if it.status != "exhausted" {
		t.Fatalf("status %s after 3 of 3 attempts, want exhausted", it.status)
	}
	if strings.Contains(it.lastError, secret) || !strings.Contains(it.lastError, "HTTP 503") {
		t.Errorf("last error %q: want HTTP 503 and no secret", it.lastError)
	}
	h.clock.Advance(48 * time.Hour)
	h.clock.WaitForTimers(t, 1)
	if n, _, _ := r.counts(); n != 3 {
		t.Errorf("%d requests, want 3", n)
	}
	if got := h.outcomeList(); got != "failed failed gave_up" {
		t.Errorf("outcomes %q, want two failures and giving up", got)
	}
	logs := h.logText()
	if !strings.Contains(logs, "paid but the accounting system was not notified") {
		t.Errorf("no error about a paid payment left unnotified:\n%s", logs)
	}
	if strings.Contains(logs, secret) {
		t.Errorf("the secret is in the log:\n%s", logs)
	}
}

func TestDeliverNetworkErrorHidesCredentials(t *testing.T) {
	clock := plugintest.NewClock()
	q := newQueue(clock.Now(), paid("P1", clock.Now()))
	srv := httptest.NewServer(http.NotFoundHandler())
	u := strings.Replace(srv.URL, "http://", "http://acct:"+secret+"@", 1)
	srv.Close() // nobody listens
	d := &notify.Deliverer{URL: u, Secret: secret, Queue: q, Clock: clock, MaxAttempts: 5}
	if n := d.Flush(context.Background()); n != 0 {
		t.Fatalf("accepted %d", n)
	}
	it := q.get("P1:paid")
	if it.attempts != 1 || it.status != "pending" || strings.Contains(it.lastError, secret) || it.lastError == "" {
		t.Fatalf("after a network error: %+v", it)
	}
}

// querySecret is a token given in notify.url's query, as accounting
// systems often take one: https://host/hook?token=….
const querySecret = "QUERY/SECRET123"

// TestDeliverNetworkErrorHidesQuery: a failed attempt's error, recorded in
// the journal and logged, shows notify.url with its query's values masked
// (it quoted ?token=… in clear).
func TestDeliverNetworkErrorHidesQuery(t *testing.T) {
	clock := plugintest.NewClock()
	q := newQueue(clock.Now(), paid("P1", clock.Now()))
	srv := httptest.NewServer(http.NotFoundHandler())
	u := srv.URL + "/hook?token=" + url.QueryEscape(querySecret)
	srv.Close() // nobody listens
	var logs bytes.Buffer
	d := &notify.Deliverer{URL: u, Secret: secret, Queue: q, Clock: clock, MaxAttempts: 5, Logger: slog.New(slog.NewTextHandler(&logs, nil))}
	if n := d.Flush(context.Background()); n != 0 {
		t.Fatalf("accepted %d", n)
	}
	it := q.get("P1:paid")
	if it.attempts != 1 || !strings.Contains(it.lastError, "POST "+srv.URL+"/hook?token="+plugin.Redacted+": ") {
		t.Fatalf("after a network error: %+v", it)
	}
	for what, text := range map[string]string{"the recorded error": it.lastError, "the log": logs.String()} {
		if strings.Contains(text, "SECRET123") || !strings.Contains(text, "token="+plugin.Redacted) {
			t.Errorf("%s shows the query's token or not the masked URL: %s", what, text)
		}
	}
}

// TestDeliverEchoedQueryHidden: a receiver that quotes the request's URL
// in its refusal (as many 4xx pages do), escaped or not, has the query's
// token cut out of the recorded error.
func TestDeliverEchoedQueryHidden(t *testing.T) {
	clock := plugintest.NewClock()
	q := newQueue(clock.Now(), paid("P1", clock.Now()))
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		w.WriteHeader(http.StatusForbidden)
		io.WriteString(w, "forbidden: "+req.URL.RequestURI()+" token "+req.URL.Query().Get("token"))
	}))
	t.Cleanup(srv.Close)
	d := &notify.Deliverer{URL: srv.URL + "/hook?token=" + url.QueryEscape(querySecret), Secret: secret, Queue: q, Clock: clock,
		HTTP: srv.Client(), MaxAttempts: 5}
	d.Flush(context.Background())
	it := q.get("P1:paid")
	if !strings.Contains(it.lastError, "HTTP 403: forbidden") || strings.Contains(it.lastError, "SECRET123") {
		t.Fatalf("recorded error %q: want the 403 without the query's token", it.lastError)
	}
}

func TestDeliverKickAndShutdown(t *testing.T) {
	r := &receiver{}
	h := newHarness(t, r, 50)
	h.clock.WaitForTimers(t, 1) // idle
	h.q.mu.Lock()
	p := paid("P2", h.clock.Now())
	h.q.items["P2:paid"] = &item{d: notify.Delivery{Delivery: plugin.Delivery{ID: "P2:paid"}, Payment: p}, status: "pending", nextAt: h.clock.Now()}
	h.q.order = append(h.q.order, "P2:paid")
	h.q.mu.Unlock()
	h.d.Kick() // no clock movement needed
	h.waitAttempts("P2:paid", 1)
	if _, acc, _ := r.counts(); len(acc) != 1 {
		t.Fatalf("accepted %v", acc)
	}
	h.stop()
}

func TestRunRefusesBadURL(t *testing.T) {
	d := &notify.Deliverer{URL: "accounting.local/hook", Queue: newQueue(time.Now())}
	if err := d.Run(context.Background()); err == nil || !strings.Contains(err.Error(), "notify.url") {
		t.Fatalf("Run with a relative URL: %v", err)
	}
}

// TestRedactHidesCredentials: a notify.url with a user and password is
// shown in errors without either, as plugin.Redacted.
func TestRedactHidesCredentials(t *testing.T) {
	d := &notify.Deliverer{URL: "ftp://acct:p4ss@acc.example/hook?x=1", Queue: newQueue(time.Now())}
	err := d.Run(context.Background())
	if err == nil || strings.Contains(err.Error(), "p4ss") || !strings.Contains(err.Error(), "ftp://"+plugin.Redacted+"@acc.example/hook?x="+plugin.Redacted) {
		t.Fatalf("Run with credentials in a bad URL: %v", err)
	}
}

// The signature covers the timestamp and the body; Verify refuses a
// timestamp outside the window either way, and anything tampered with.
func TestVerify(t *testing.T) {
	at := plugintest.NewClock().Now()
	body := []byte(`{"delivery_id":"P1:paid","id":"P1"}`)
	ts, sig := notify.Sign(secret, at, body)
	if ts != "1780308000" {
		t.Fatalf("timestamp %q, want Unix seconds 1780308000", ts)
	}
	// Computed independently, as the docs tell a receiver to:
	// python3 -c 'import hmac,hashlib; print(hmac.new(b"s3cr3t-hmac-key-7f1e",
	//   b"1780308000." + b"{\"delivery_id\":\"P1:paid\",\"id\":\"P1\"}", hashlib.sha256).hexdigest())'
	if want := "v1=" + knownMAC; sig != want {
		t.Fatalf("signature %q, want %q", sig, want)
	}
	tol := notify.DefaultTolerance
	for name, now := range map[string]time.Time{
		"at once":                at,
		"at the window's end":    at.Add(tol),
		"receiver's clock slow":  at.Add(-tol),
		"a little later":         at.Add(90 * time.Second),
		"tolerance 0 is default": at.Add(tol - time.Second),
	} {
		if err := notify.Verify(secret, body, ts, sig, now, 0); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
	farTS := "999999999999999999"
	_, farSig := notify.Sign(secret, time.Unix(999999999999999999, 0), body)
	tsPlus := strconv.FormatInt(at.Unix()+1, 10)
	tsNow := strconv.FormatInt(at.Add(time.Hour).Unix(), 10)
	for name, c := range map[string]struct {
		secret, ts, sig string
		body            []byte
		now             time.Time
		want            string
	}{
		"tampered body":      {secret, ts, sig, []byte(`{"delivery_id":"P1:paid","id":"P2"}`), at, "does not match"},
		"tampered timestamp": {secret, tsPlus, sig, body, at, "does not match"},
		// A captured request replayed an hour later, with its timestamp
		// as captured, then with a fresh one.
		"replayed later":                 {secret, ts, sig, body, at.Add(time.Hour), "outside the tolerance"},
		"replayed, timestamp made fresh": {secret, tsNow, sig, body, at.Add(time.Hour), "does not match"},
		"old, just outside":              {secret, ts, sig, body, at.Add(tol + time.Second), "outside the tolerance"},
		"from the future":                {secret, ts, sig, body, at.Add(-tol - time.Second), "outside the tolerance"},
		"wrong secret":                   {"other", ts, sig, body, at, "does not match"},
		"no secret":                      {"", ts, sig, body, at, "no secret"},
		"body-only signature":            {secret, ts, "sha256=" + bodyOnlyMAC(secret, body), body, at, "must start with"},
		"no prefix":                      {secret, ts, strings.TrimPrefix(sig, "v1="), body, at, "must start with"},
		"not hex":                        {secret, ts, "v1=zz", body, at, "hex"},
		"short":                          {secret, ts, sig[:len(sig)-2], body, at, "hex"},
		"empty signature":                {secret, ts, "", body, at, "must start with"},
		"no timestamp":                   {secret, "", sig, body, at, "Unix seconds"},
		"RFC 3339 timestamp":             {secret, at.Format(time.RFC3339), sig, body, at, "Unix seconds"},
		"signed timestamp":               {secret, "+" + ts, sig, body, at, "Unix seconds"},
		"negative":                       {secret, "-1", sig, body, at, "Unix seconds"},
		"huge":                           {secret, "99999999999999999999", sig, body, at, "Unix seconds"},
		"year 3e10, signed":              {secret, farTS, farSig, body, at, "outside the tolerance"},
	} {
		err := notify.Verify(c.secret, c.body, c.ts, c.sig, c.now, tol)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v, want an error saying %q", name, err, c.want)
		}
	}
}

const knownMAC = "965a0c8ea67c32b0b8e56e32221308d1ebd816204220d98ed86c852f625622f2"

func bodyOnlyMAC(secret string, body []byte) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write(body)
	return hex.EncodeToString(m.Sum(nil))
}

// What the deliverer sends: the timestamp from its clock, signed with the
// body, so that a request captured on the way is refused by the receiver
// once older than the tolerance, and cannot be refreshed.
func TestDeliverSignsTimestamp(t *testing.T) {
	clock := plugintest.NewClock()
	clock.Advance(42 * time.Second)
	type captured struct {
		body    []byte
		ts, sig string
	}
	got := make(chan captured, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		got <- captured{body, req.Header.Get(notify.HeaderTimestamp), req.Header.Get(notify.HeaderSignature)}
		w.WriteHeader(http.StatusNoContent)
	}))
	t.Cleanup(srv.Close)
	q := newQueue(clock.Now(), paid("P1", clock.Now()))
	d := &notify.Deliverer{URL: srv.URL, Secret: secret, Queue: q, Clock: clock}
	if n := d.Flush(context.Background()); n != 1 {
		t.Fatalf("accepted %d", n)
	}
	c := <-got
	if want := strconv.FormatInt(clock.Now().Unix(), 10); c.ts != want {
		t.Fatalf("X-Sbpd-Timestamp %q, want %q: the deliverer's clock in Unix seconds", c.ts, want)
	}
	if err := notify.Verify(secret, c.body, c.ts, c.sig, clock.Now(), notify.DefaultTolerance); err != nil {
		t.Fatalf("the request as sent: %v", err)
	}
	later := clock.Now().Add(notify.DefaultTolerance + time.Second)
	if err := notify.Verify(secret, c.body, c.ts, c.sig, later, notify.DefaultTolerance); err == nil {
		t.Error("the captured request still verifies after the tolerance")
	}
	fresh := strconv.FormatInt(later.Unix(), 10)
	if err := notify.Verify(secret, c.body, fresh, c.sig, later, notify.DefaultTolerance); err == nil {
		t.Error("the captured request with a fresh timestamp verifies")
	}
}

func TestBackoff(t *testing.T) {
	want := []time.Duration{5 * time.Second, 10 * time.Second, 20 * time.Second, 40 * time.Second, 80 * time.Second}
	for i, w := range want {
		if got := notify.Backoff(i + 1); got != w {
			t.Errorf("Backoff(%d) = %s, want %s", i+1, got, w)
		}
	}
	if got := notify.Backoff(11); got != time.Hour {
		t.Errorf("Backoff(11) = %s, want the 1h cap", got)
	}
	if got := notify.Backoff(50); got != time.Hour {
		t.Errorf("Backoff(50) = %s, want 1h", got)
	}
}

// seen records every request a server gets: it must get none.
type seen struct {
	mu   sync.Mutex
	reqs []string
}

func (s *seen) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	body, _ := io.ReadAll(req.Body)
	s.mu.Lock()
	s.reqs = append(s.reqs, req.Method+" "+req.URL.String()+" signature="+req.Header.Get(notify.HeaderSignature)+
		" body="+string(body))
	s.mu.Unlock()
	w.WriteHeader(http.StatusOK)
}

func (s *seen) list() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.reqs...)
}

// A receiver that answers with a redirect is a failed attempt: the
// redirect is not followed (so neither the body nor the signature reach
// the other address, and a 200 from there cannot count as delivery), and
// the reason, naming only the target's scheme and host, is recorded.
func TestDeliverRefusesRedirects(t *testing.T) {
	for _, c := range []struct {
		name   string
		code   int
		host   func(port string) string // the redirect target's host
		client func() *http.Client      // the deliverer's HTTP client
	}{
		// A 302 to another port: a following client would GET there,
		// bodiless, and count its 200 as delivery.
		{"302 to another port", http.StatusFound, func(p string) string { return "127.0.0.1:" + p }, nil},
		// A 307 to another host: a following client would POST the signed
		// body and its signature there.
		{"307 to another host", http.StatusTemporaryRedirect, func(p string) string { return "localhost:" + p }, nil},
		{"308 with a client that follows", http.StatusPermanentRedirect, func(p string) string { return "localhost:" + p },
			func() *http.Client { return &http.Client{} }},
		{"301 to https", http.StatusMovedPermanently, func(p string) string { return "localhost:" + p }, nil},
		{"303", http.StatusSeeOther, func(p string) string { return "127.0.0.1:" + p }, nil},
	} {
		t.Run(c.name, func(t *testing.T) {
			other := &seen{}
			otherSrv := httptest.NewServer(other)
			t.Cleanup(otherSrv.Close)
			_, port, _ := strings.Cut(strings.TrimPrefix(otherSrv.URL, "http://"), ":")
			target := "http://" + c.host(port)
			if c.code == http.StatusMovedPermanently {
				target = "https://" + c.host(port)
			}
			location := strings.Replace(target, "://", "://acct:pa55word@", 1) + "/steal/path?token=leak-me#frag"
			redirector := &seen{}
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
				io.Copy(io.Discard, req.Body)
				redirector.mu.Lock()
				redirector.reqs = append(redirector.reqs, req.Method)
				redirector.mu.Unlock()
				w.Header().Set("Location", location)
				w.WriteHeader(c.code)
			}))
			t.Cleanup(srv.Close)

			clock := plugintest.NewClock()
			q := newQueue(clock.Now(), paid("P1", clock.Now()))
			var outcomes []string
			d := &notify.Deliverer{URL: srv.URL + "/hook", Secret: secret, Queue: q, Clock: clock, MaxAttempts: 5,
				Outcome: func(o string) { outcomes = append(outcomes, o) }}
			if c.client != nil {
				d.HTTP = c.client()
			}
			if n := d.Flush(context.Background()); n != 0 {
				t.Errorf("Flush accepted %d deliveries, want 0", n)
			}
			if got := other.list(); len(got) != 0 {
				t.Errorf("the redirect target got %d request(s): %q", len(got), got)
			}
			if got := redirector.list(); len(got) != 1 || got[0] != http.MethodPost {
				t.Errorf("the receiver got %q, want one POST", got)
			}
			it := q.get("P1:paid")
			if it.status != "pending" || it.attempts != 1 || !it.nextAt.Equal(clock.Now().Add(notify.Backoff(1))) {
				t.Errorf("after a %d: status %s, attempts %d, next at %s; want pending, 1, a retry after the backoff",
					c.code, it.status, it.attempts, it.nextAt)
			}
			if strings.Join(outcomes, " ") != "failed" {
				t.Errorf("outcomes %q, want failed", outcomes)
			}
			want := fmt.Sprintf("redirect %d to %s refused: sbpd does not follow redirects; set notify.url to the final address",
				c.code, target)
			if !strings.Contains(it.lastError, want) {
				t.Errorf("reason %q, want it to contain %q", it.lastError, want)
			}
			for _, leak := range []string{"acct", "pa55word", "steal", "token", "leak-me", "frag"} {
				if strings.Contains(it.lastError, leak) {
					t.Errorf("reason %q holds %q from the Location", it.lastError, leak)
				}
			}
		})
	}
}

// genuine is the Go check of doc.go for receivers that do not import this
// module, verbatim (TestDocSnippets holds them equal).
func genuine(secret string, body []byte, ts, sig string, now time.Time) bool {
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil || now.Sub(time.Unix(sec, 0)).Abs() > 5*time.Minute {
		return false
	}
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(ts + "."))
	m.Write(body)
	return hmac.Equal([]byte(sig), []byte("v1="+hex.EncodeToString(m.Sum(nil))))
}

// docBlock returns the code block of src that starts with the line holding
// first, without prefix, until the next line of prose or the end of a
// function.
func docBlock(t *testing.T, src, first string, prefix string) string {
	t.Helper()
	var out []string
	in := false
	for _, line := range strings.Split(src, "\n") {
		if !in && strings.Contains(line, first) {
			in = true
		}
		if !in {
			continue
		}
		code, ok := strings.CutPrefix(line, prefix)
		if !ok {
			if strings.TrimSpace(strings.TrimPrefix(line, "//")) != "" {
				break
			}
			code = "" // a blank line inside the block
		}
		out = append(out, code)
		if code == "}" { // the end of a Go function
			break
		}
	}
	if !in {
		t.Fatalf("no block starting with %q", first)
	}
	return strings.TrimSpace(strings.Join(out, "\n"))
}

// The receiver's checks shown in doc.go and README.md (Go and Python)
// accept what the deliverer signs and refuse a tampered, stale or future request, as
// Verify does.
func TestDocSnippets(t *testing.T) {
	doc, err := os.ReadFile("doc.go")
	if err != nil {
		t.Fatal(err)
	}
	self, err := os.ReadFile("notify_test.go")
	if err != nil {
		t.Fatal(err)
	}
	goCheck, pyCheck := docBlock(t, string(doc), "func genuine(", "//\t"), docBlock(t, string(doc), "import hashlib, hmac, time", "//\t")
	if want := docBlock(t, string(self), "func genuine(", ""); goCheck != want {
		t.Fatalf("the Go check in doc.go is not the one tested here:\n%s\n---\n%s", goCheck, want)
	}
	// README.md's section on the delivery shows the same two checks.
	readme, err := os.ReadFile(filepath.Join("..", "..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ fence, code string }{{"```go\n", goCheck}, {"```python\n", pyCheck}} {
		if !strings.Contains(string(readme), c.fence+c.code+"\n```\n") {
			t.Errorf("README.md does not show the check of doc.go:\n%s%s\n```", c.fence, c.code)
		}
	}

	now := plugintest.NewClock().Now()
	body := []byte(`{"delivery_id":"P1:paid","id":"P1","amount":25990}`)
	ts, sig := notify.Sign(secret, now, body)
	staleTS, staleSig := notify.Sign(secret, now.Add(-6*time.Minute), body)
	aheadTS, aheadSig := notify.Sign(secret, now.Add(6*time.Minute), body)
	cases := []struct {
		name    string
		body    string
		ts, sig string
		want    bool
	}{
		{"valid", string(body), ts, sig, true},
		{"tampered body", strings.Replace(string(body), "25990", "2599", 1), ts, sig, false},
		{"tampered timestamp", string(body), strconv.FormatInt(now.Unix()+1, 10), sig, false},
		{"stale", string(body), staleTS, staleSig, false},
		{"ahead", string(body), aheadTS, aheadSig, false},
		{"not a number", string(body), "x" + ts, sig, false},
		{"a huge number", string(body), strings.Repeat("1", 5000), sig, false}, // Python's int() refuses over 4300 digits: refused first

		{"empty signature", string(body), ts, "", false},
	}
	for _, c := range cases {
		if got := genuine(secret, []byte(c.body), c.ts, c.sig, now); got != c.want {
			t.Errorf("Go check, %s: %v, want %v", c.name, got, c.want)
		}
		if got := notify.Verify(secret, []byte(c.body), c.ts, c.sig, now, 0) == nil; got != c.want {
			t.Errorf("Verify, %s: %v, want %v", c.name, got, c.want)
		}
	}

	python, err := exec.LookPath("python3")
	if err != nil {
		t.Skip("no python3 for the Python check")
	}
	py := pyCheck
	// The snippet reads the wall clock: it is run with time.time at the
	// test's fake now.
	var in []map[string]any
	for _, c := range cases {
		in = append(in, map[string]any{"body": c.body, "ts": c.ts, "sig": c.sig})
	}
	input, _ := json.Marshal(map[string]any{"secret": secret, "now": now.Unix(), "cases": in})
	script := py + `

import json, sys
data = json.load(sys.stdin)
time.time = lambda: float(data["now"])
print(json.dumps([genuine(data["secret"].encode(), c["body"].encode(), c["ts"], c["sig"]) for c in data["cases"]]))
`
	cmd := exec.Command(python, "-c", script)
	cmd.Stdin = bytes.NewReader(input)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("python3: %v\n%s\n%s", err, out, script)
	}
	var got []bool
	if err := json.Unmarshal(out, &got); err != nil || len(got) != len(cases) {
		t.Fatalf("python3 printed %s", out)
	}
	for i, c := range cases {
		if got[i] != c.want {
			t.Errorf("Python check, %s: %v, want %v", c.name, got[i], c.want)
		}
	}
}

// Start refuses a URL that cannot be delivered to at once, with nothing
// left running; with a good one it delivers until stop, and stop waits.
func TestStart(t *testing.T) {
	for _, bad := range []string{"accounting.local/hook", "ftp://acc.example/hook", "https://"} {
		d := &notify.Deliverer{URL: bad, Queue: newQueue(time.Now())}
		if stop, err := d.Start(context.Background()); err == nil || stop != nil || !strings.Contains(err.Error(), "notify.url") {
			t.Errorf("Start(%q): %v", bad, err)
		}
	}
	if _, err := (&notify.Deliverer{URL: "https://acc.example/hook"}).Start(context.Background()); err == nil {
		t.Error("Start without a queue")
	}
	r := &receiver{t: t}
	clock := plugintest.NewClock()
	r.now = clock.Now
	srv := httptest.NewServer(r)
	defer srv.Close()
	q := newQueue(clock.Now(), paid("P1", clock.Now()))
	d := &notify.Deliverer{URL: srv.URL + "/hook", Secret: secret, Queue: q, Clock: clock, HTTP: srv.Client(), Poll: time.Hour}
	stop, err := d.Start(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	clock.WaitForTimers(t, 1) // P1 sent, then idle
	stop()
	if _, acc, _ := r.counts(); len(acc) != 1 {
		t.Fatalf("accepted %v", acc)
	}
}

// StartIfSet does nothing without a URL; with one it starts, logging a
// warning when the requests go unsigned, and a refused URL starts nothing.
func TestStartIfSet(t *testing.T) {
	var logs strings.Builder
	log := slog.New(slog.NewTextHandler(&logs, nil))
	stop, err := (&notify.Deliverer{Logger: log}).StartIfSet(context.Background())
	if err != nil || stop == nil || logs.Len() != 0 {
		t.Fatalf("without a URL: %v, logged %q", err, logs.String())
	}
	stop()
	if stop, err := (&notify.Deliverer{URL: "ftp://acc.example/hook", Queue: newQueue(time.Now()), Logger: log}).StartIfSet(context.Background()); err == nil || stop != nil {
		t.Fatalf("a refused URL: %v", err)
	}
	logs.Reset()
	clock := plugintest.NewClock()
	d := &notify.Deliverer{URL: "https://acc.example/hook", MaxAttempts: 7, Queue: newQueue(clock.Now()), Clock: clock, Logger: log, Poll: time.Hour}
	if stop, err = d.StartIfSet(context.Background()); err != nil {
		t.Fatal(err)
	}
	stop()
	got := logs.String()
	if !strings.Contains(got, "level=WARN msg=\"notify.secret is empty") || !strings.Contains(got, "level=INFO msg=\"notify: delivering final payments to the accounting system\" max_attempts=7") {
		t.Errorf("logs:\n%s", got)
	}
}

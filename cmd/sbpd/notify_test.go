package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sbpd/sbpd/config"
	"github.com/sbpd/sbpd/drivers/notify"
	"github.com/sbpd/sbpd/drivers/sqlite"
	"github.com/sbpd/sbpd/plugin"
)

const notifySecret = "n0tify-s3cret-9c2d"

// acct is the accounting system's receiver: it verifies every request and
// drops duplicates by delivery id, as the contract asks.
type acct struct {
	mu       sync.Mutex
	now      func() time.Time // the receiver's clock: the test's fake clock
	down     bool
	requests []string // delivery id of every request
	stored   []string // delivery ids accepted the first time
	dups     int
	bad      []string
	captured []*http.Request // every request as received, body included, to replay
}

func (a *acct) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	a.mu.Lock()
	defer a.mu.Unlock()
	id := r.Header.Get(notify.HeaderDeliveryID)
	a.requests = append(a.requests, id)
	c := r.Clone(context.Background())
	c.Body = io.NopCloser(bytes.NewReader(body))
	a.captured = append(a.captured, c)
	if a.down {
		http.Error(w, "accounting is down for maintenance", http.StatusServiceUnavailable)
		return
	}
	if err := notify.Verify(notifySecret, body, r.Header.Get(notify.HeaderTimestamp), r.Header.Get(notify.HeaderSignature),
		a.now(), notify.DefaultTolerance); err != nil {
		a.bad = append(a.bad, id+": "+err.Error())
		http.Error(w, "bad signature", http.StatusUnauthorized)
		return
	}
	var p struct {
		DeliveryID string `json:"delivery_id"`
		ID         string `json:"id"`
		State      string `json:"state"`
	}
	if err := json.Unmarshal(body, &p); err != nil || p.DeliveryID != id || id != p.ID+":"+p.State {
		a.bad = append(a.bad, "bad body "+string(body))
	}
	for _, s := range a.stored {
		if s == id {
			a.dups++
			w.WriteHeader(http.StatusOK)
			return
		}
	}
	a.stored = append(a.stored, id)
	w.WriteHeader(http.StatusNoContent)
}

func (a *acct) setClock(now func() time.Time) {
	a.mu.Lock()
	a.now = now
	a.mu.Unlock()
}

func (a *acct) setDown(down bool) {
	a.mu.Lock()
	a.down = down
	a.mu.Unlock()
}

func (a *acct) snapshot() (requests, stored []string, dups int, bad []string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	return append([]string(nil), a.requests...), append([]string(nil), a.stored...), a.dups, append([]string(nil), a.bad...)
}

// notifyE2E is the end-to-end harness with delivery to a test receiver.
type notifyE2E struct {
	*e2e
	acct    *acct
	acctURL string // the accounting system's address
	url     string // notify.url given to startNotify
	logs    *syncBuffer
	stop    func()
}

func newNotifyE2E(t *testing.T, maxAttempts int) *notifyE2E {
	t.Helper()
	a := &acct{}
	srv := httptest.NewServer(a)
	t.Cleanup(srv.Close)
	h := newE2E(t, func(c *config.Config) {
		// The daemon itself does not deliver (notify.url stays empty):
		// startNotify starts delivery once the test's payments are final,
		// so that its timer does not confuse e2e.until.
		c.Notify.Secret, c.Notify.MaxAttempts = notifySecret, maxAttempts
	})
	a.setClock(h.clock.Now)
	return &notifyE2E{e2e: h, acct: a, acctURL: srv.URL + "/sbp/hook", url: srv.URL + "/sbp/hook", logs: &syncBuffer{}}
}

// startNotify starts delivery to the test receiver as Daemon.Open does.
func (h *notifyE2E) startNotify() {
	h.t.Helper()
	h.d.Logger = slog.New(slog.NewTextHandler(h.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	stop, err := h.d.deliverer(notify.Target{URL: h.url, Secret: notifySecret, MaxAttempts: h.cfg.Notify.MaxAttempts}).StartIfSet(context.Background())
	if err != nil {
		h.t.Fatal(err)
	}
	h.sleepers = 1 // the deliverer's timer (until)
	var once sync.Once
	h.stop = func() { once.Do(stop) }
	h.t.Cleanup(h.stop)
}

func (h *notifyE2E) restartNotify() {
	h.t.Helper()
	h.stop()
	h.restart()
	h.startNotify()
}

// paid takes a payment to paid through the till API and the sandbox.
func (h *notifyE2E) paid(check string, amount int64) plugin.Payment {
	h.t.Helper()
	p := h.start(check, amount, false)
	if err := h.sb.Pay(p.PayMasterID); err != nil {
		h.t.Fatal(err)
	}
	return h.until(p.ID, plugin.StatePaid, poll, 1)
}

func (h *notifyE2E) delivery(id string) sqlite.Delivery {
	h.t.Helper()
	s, err := h.d.DB.Outbox().Status(context.Background(), id)
	if err != nil {
		h.t.Fatal(err)
	}
	if len(s.Deliveries) != 1 {
		h.t.Fatalf("payment %s: deliveries %+v, want one", id, s.Deliveries)
	}
	return s.Deliveries[0]
}

// advanceUntil moves the fake clock a second at a time, each time the
// deliverer sleeps, until ok holds or an hour of fake time has passed.
func (h *notifyE2E) advanceUntil(what string, ok func() bool) {
	h.t.Helper()
	for i := 0; !ok(); i++ {
		if i > 3600 {
			h.t.Fatalf("%s: not after an hour of fake time", what)
		}
		h.clock.WaitForTimers(h.t, 1)
		if ok() {
			return
		}
		h.clock.Advance(time.Second)
	}
}

func (h *notifyE2E) cli(args ...string) (string, error) {
	h.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	stdout, stderr, done := runCLI(ctx, append(append([]string{"journal"}, args...), "--data_dir", h.dataDir)...)
	err := <-done
	out := stdout.String() + stderr.String()
	if strings.Contains(out, notifySecret) || (err != nil && strings.Contains(err.Error(), notifySecret)) {
		h.t.Errorf("the secret is in the output of %v", args)
	}
	return out, err
}

func (h *notifyE2E) checkNoSecretInLogs() {
	h.t.Helper()
	if s := h.logs.String(); strings.Contains(s, notifySecret) {
		h.t.Errorf("the notify secret is in the log:\n%s", s)
	}
}

// A paid payment is delivered exactly once, though the receiver was down
// and the daemon restarted in between.
func TestNotifyDeliverResumesAfterRestart(t *testing.T) {
	h := newNotifyE2E(t, 50)
	h.acct.setDown(true)
	p := h.paid("000153", 25990)
	id := p.ID + ":paid"
	h.startNotify()
	waitFor(t, "the first, failed attempt", func() bool { return h.delivery(p.ID).Attempts == 1 })
	if d := h.delivery(p.ID); d.Status != plugin.DeliveryPending || !strings.Contains(d.LastError, "HTTP 503") {
		t.Fatalf("after a failed attempt: %+v", d)
	}

	h.restartNotify()
	h.acct.setDown(false)
	h.advanceUntil("delivery after the restart", func() bool { return h.delivery(p.ID).Status == plugin.DeliveryDelivered })

	requests, stored, dups, bad := h.acct.snapshot()
	if len(stored) != 1 || stored[0] != id || dups != 0 || len(bad) != 0 {
		t.Fatalf("receiver stored %v (duplicates %d, problems %v), want exactly %s", stored, dups, bad, id)
	}
	if len(requests) != 2 {
		t.Errorf("receiver saw %d requests %v, want 2 (one refused, one accepted)", len(requests), requests)
	}
	if d := h.delivery(p.ID); d.Attempts != 2 {
		t.Errorf("attempts %d, want 2", d.Attempts)
	}
	h.clock.Advance(24 * time.Hour)
	h.clock.WaitForTimers(t, 1)
	if requests, _, _, _ := h.acct.snapshot(); len(requests) != 2 {
		t.Errorf("sent again after delivery: %v", requests)
	}
	h.checkNoSecretInLogs()
}

// A token in notify.url's query (found by the red team) shows neither in
// the daemon's log of a failed delivery nor in the journal's record of it
// (sbpd journal show): only as ?token=***.
func TestNotifyQueryTokenNotShown(t *testing.T) {
	const token = "QUERYSECRET123"
	h := newNotifyE2E(t, 50)
	h.url = h.acctURL + "?token=" + token
	h.acct.setDown(true)
	p := h.paid("000153", 25990)
	h.startNotify()
	waitFor(t, "the first, failed attempt", func() bool { return h.delivery(p.ID).Attempts == 1 })
	d := h.delivery(p.ID)
	out, err := h.cli("show", p.ID)
	if err != nil {
		t.Fatal(err)
	}
	for what, text := range map[string]string{"the recorded error": d.LastError, "the log": h.logs.String(), "journal show": out} {
		if strings.Contains(text, token) || !strings.Contains(text, "/sbp/hook?token=***: HTTP 503") {
			t.Errorf("%s shows the token or not the masked URL:\n%s", what, text)
		}
	}
}

// resync sends a delivered payment again with the same delivery id.
func TestNotifyResyncSameDeliveryID(t *testing.T) {
	h := newNotifyE2E(t, 50)
	p := h.paid("000153", 25990)
	h.startNotify()
	waitFor(t, "delivery", func() bool { return h.delivery(p.ID).Status == plugin.DeliveryDelivered })

	out, err := h.cli("resync", p.ID, "--by", "ivan", "--reason", "1C lost it")
	if err != nil || !strings.Contains(out, p.ID+":paid") {
		t.Fatalf("resync: %v\n%s", err, out)
	}
	h.advanceUntil("the resent delivery", func() bool { return h.delivery(p.ID).Status == plugin.DeliveryDelivered })
	requests, stored, dups, bad := h.acct.snapshot()
	if len(requests) != 2 || requests[0] != requests[1] || len(stored) != 1 || dups != 1 || len(bad) != 0 {
		t.Fatalf("requests %v stored %v dups %d problems %v: want the same delivery id twice, dropped once", requests, stored, dups, bad)
	}
	kinds := h.events(p.ID)
	if kinds[len(kinds)-1] != plugin.EvResync {
		t.Errorf("events %v, want resync last", kinds)
	}

	if out, err := h.cli("resync", "01NOSUCHPAYMENT"); err == nil || !strings.Contains(err.Error(), `resync refused: no payment with id, order number or PayMaster id "01NOSUCHPAYMENT"`) {
		t.Errorf("resync of an unknown payment: %v %s", err, out)
	}
	q := h.start("000154", 100, false)
	if _, err := h.cli("resync", q.ID); err == nil || !strings.Contains(err.Error(), "not final") {
		t.Errorf("resync of a payment in progress: %v", err)
	}
}

// A payment entered by hand in the accounting system is never sent, and
// resync refuses it.
func TestNotifyEnteredByHandNeverSent(t *testing.T) {
	h := newNotifyE2E(t, 50)
	p := h.paid("000153", 25990)
	if _, err := h.cli("mark-entered", p.ID); err == nil || !strings.Contains(err.Error(), "--reason is required") {
		t.Fatalf("mark-entered without a reason: %v", err)
	}
	out, err := h.cli("mark-entered", p.ID, "--reason", "typed into 1C, ticket 4417", "--by", "olga")
	if err != nil {
		t.Fatalf("mark-entered: %v\n%s", err, out)
	}
	h.startNotify()
	for i := 0; i < 10; i++ {
		h.clock.WaitForTimers(t, 1)
		h.clock.Advance(time.Minute)
	}
	if requests, _, _, _ := h.acct.snapshot(); len(requests) != 0 {
		t.Fatalf("a payment entered by hand was sent: %v", requests)
	}
	if d := h.delivery(p.ID); d.Status != plugin.DeliveryCancelled {
		t.Errorf("delivery %+v, want cancelled", d)
	}
	if _, err := h.cli("resync", p.ID); err == nil || !strings.Contains(err.Error(), "entered by hand") {
		t.Errorf("resync of a payment entered by hand: %v", err)
	}
	if _, err := h.cli("mark-entered", p.ID, "--reason", "again"); err == nil || !strings.Contains(err.Error(), "already") {
		t.Errorf("mark-entered twice: %v", err)
	}
}

// After notify.max_attempts failures a paid payment is stuck until resync.
func TestNotifyStuckThenResync(t *testing.T) {
	h := newNotifyE2E(t, 3)
	h.acct.setDown(true)
	p := h.paid("000153", 25990)
	h.startNotify()
	h.advanceUntil("exhaustion", func() bool { return h.delivery(p.ID).Status == plugin.DeliveryExhausted })
	if requests, _, _, _ := h.acct.snapshot(); len(requests) != 3 {
		t.Fatalf("%d requests, want 3 (notify.max_attempts)", len(requests))
	}
	if !strings.Contains(h.logs.String(), "paid but the accounting system was not notified") {
		t.Errorf("no error logged for a paid payment left unnotified:\n%s", h.logs.String())
	}
	out, err := h.cli("stuck")
	if err != nil || !strings.Contains(out, p.ID) || !strings.Contains(out, "259,90") || !strings.Contains(out, "Совершён без оповещения") {
		t.Fatalf("stuck: %v\n%s", err, out)
	}
	if st, body := h.do("GET", "/healthz", ""); st != 200 || !strings.Contains(string(body), `"notify":{"status":"stuck","stuck_paid":1}`) {
		t.Fatalf("healthz does not show the stuck payment: %d %s", st, body)
	}
	if out, err := h.cli("show", p.ID); err != nil || !strings.Contains(out, "NOT DELIVERED after 3 attempts") || !strings.Contains(out, "sbpd journal resync "+p.ID) {
		t.Fatalf("show does not tell the payment is stuck: %v\n%s", err, out)
	}
	out, err = h.cli("stuck", "--json")
	var got []sqlite.Stuck
	if err != nil || json.Unmarshal([]byte(out), &got) != nil || len(got) != 1 || got[0].Payment.ID != p.ID || got[0].Delivery.Attempts != 3 {
		t.Fatalf("stuck --json: %v\n%s", err, out)
	}

	h.acct.setDown(false)
	if _, err := h.cli("resync", p.ID, "--reason", "receiver fixed"); err != nil {
		t.Fatal(err)
	}
	h.advanceUntil("delivery after resync", func() bool { return h.delivery(p.ID).Status == plugin.DeliveryDelivered })
	if out, err := h.cli("show", p.ID); err != nil || !regexp.MustCompile(`notification:\s+delivered `).MatchString(out) {
		t.Fatalf("show after delivery: %v\n%s", err, out)
	}
	if _, stored, _, _ := h.acct.snapshot(); len(stored) != 1 {
		t.Fatalf("stored %v", stored)
	}
	out, _ = h.cli("stuck", "--json")
	if strings.TrimSpace(out) != "[]" {
		t.Errorf("stuck --json after delivery: %s", out)
	}
	h.checkNoSecretInLogs()
	if bytes.Contains([]byte(h.logs.String()), []byte(notifySecret)) {
		t.Error("secret in logs")
	}
}

// The daemon delivers by itself when notify.url is set, once daemon.go
// calls startDelivery from Open and stops it from Close.
func TestNotifyDaemonWiring(t *testing.T) {
	if !reflect.ValueOf(Daemon{}).FieldByName("delivery").IsValid() {
		t.Skip("daemon.go does not call startDelivery yet (no Daemon.delivery)")
	}
	a := &acct{}
	srv := httptest.NewServer(a)
	t.Cleanup(srv.Close)
	h := newE2E(t, func(c *config.Config) {
		c.Notify.URL, c.Notify.Secret = srv.URL+"/hook", notifySecret
	})
	a.setClock(h.clock.Now)
	h.sleepers = 1 // the deliverer's timer: without waiting for the runner too, the steps could all pass while it polls
	p := h.start("000153", 25990, false)
	h.sb.Pay(p.PayMasterID)
	h.until(p.ID, plugin.StatePaid, poll, 50)
	nh := &notifyE2E{e2e: h, acct: a}
	nh.advanceUntil("delivery by the daemon", func() bool { return nh.delivery(p.ID).Status == plugin.DeliveryDelivered })
	h.restart() // stops delivery before the journal closes
	if _, stored, dups, bad := a.snapshot(); len(stored) != 1 || dups != 0 || len(bad) != 0 {
		t.Fatalf("stored %v dups %d problems %v", stored, dups, bad)
	}
}

// TestNotifyURLChangeApplies: a running daemon takes a changed notify.url
// (and secret) from the settings watch as it says it does: a daemon
// started without one delivers what waited once it is set, and a changed
// one is where the next goes, without a restart.
func TestNotifyURLChangeApplies(t *testing.T) {
	a, b := &acct{}, &acct{}
	srvA, srvB := httptest.NewServer(a), httptest.NewServer(b)
	t.Cleanup(srvA.Close)
	t.Cleanup(srvB.Close)
	h := newE2E(t)
	a.setClock(h.clock.Now)
	b.setClock(h.clock.Now)
	nh := &notifyE2E{e2e: h, acct: a}
	p := h.start("000153", 25990, false)
	h.sb.Pay(p.PayMasterID)
	h.until(p.ID, plugin.StatePaid, poll, 50)

	apply := func(url string) {
		next := *h.cfg
		next.Notify.URL, next.Notify.Secret = url, notifySecret
		if err := h.d.applySettings(&next); err != nil {
			t.Fatal(err)
		}
	}
	apply(srvA.URL + "/hook")
	h.sleepers = 1 // the deliverer's timer, now running
	nh.advanceUntil("delivery once notify.url is set", func() bool { return nh.delivery(p.ID).Status == plugin.DeliveryDelivered })

	apply(srvB.URL + "/hook")
	q := h.start("000154", 100, false)
	h.sb.Pay(q.PayMasterID)
	h.until(q.ID, plugin.StatePaid, poll, 50)
	nh.advanceUntil("delivery to the changed notify.url", func() bool { return nh.delivery(q.ID).Status == plugin.DeliveryDelivered })
	if _, stored, _, _ := a.snapshot(); len(stored) != 1 {
		t.Errorf("the first receiver got %v, want only the first payment", stored)
	}
	if _, stored, _, _ := b.snapshot(); len(stored) != 1 {
		t.Errorf("the changed receiver got %v, want the second payment", stored)
	}
}

// The journal's outbox makes what waits out a backoff due at once when
// notify.url is fixed (notify.Running hastens a Queue that can).
var _ interface {
	DueNow(context.Context, time.Time) (int64, error)
} = (*sqlite.Outbox)(nil)

// Without notify.url nothing is started; the outbox still fills.
func TestNotifyDisabledWithoutURL(t *testing.T) {
	h := newE2E(t)
	if err := h.d.startDelivery(context.Background()); err != nil {
		t.Fatal(err)
	}
	h.d.delivery.Stop()
}

// elsewhere is a server a redirect points to: it must get nothing.
type elsewhere struct {
	mu   sync.Mutex
	reqs []string
}

func (e *elsewhere) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	e.mu.Lock()
	e.reqs = append(e.reqs, r.Method+" "+r.URL.Path+" "+r.Header.Get(notify.HeaderSignature)+" "+string(body))
	e.mu.Unlock()
	w.WriteHeader(http.StatusOK) // what would have marked the payment delivered
}

func (e *elsewhere) got() []string {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]string(nil), e.reqs...)
}

// An accounting endpoint answering with a redirect: sbpd does not follow
// it, so the other address gets neither the body nor the signature and its
// 200 does not mark the paid payment delivered; the attempt fails, its
// reason is in the journal, and it is retried like any other failure until
// notify.url is set to the final address.
func TestNotifyRedirectNotFollowed(t *testing.T) {
	for _, c := range []struct {
		name string
		code int
		host string // the redirect target's host name
	}{
		{"302 to another port", http.StatusFound, "127.0.0.1"},
		{"307 to another host", http.StatusTemporaryRedirect, "localhost"},
	} {
		t.Run(c.name, func(t *testing.T) {
			h := newNotifyE2E(t, 50)
			other := &elsewhere{}
			otherSrv := httptest.NewServer(other)
			t.Cleanup(otherSrv.Close)
			_, port, _ := strings.Cut(strings.TrimPrefix(otherSrv.URL, "http://"), ":")
			target := "http://" + c.host + ":" + port
			redirector := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				io.Copy(io.Discard, r.Body)
				w.Header().Set("Location", strings.Replace(target, "://", "://acct:pa55@", 1)+"/sbp/hook?key=k3y")
				w.WriteHeader(c.code)
			}))
			t.Cleanup(redirector.Close)
			h.url = redirector.URL + "/sbp/hook"

			p := h.paid("000153", 25990)
			h.startNotify()
			waitFor(t, "the first attempt", func() bool { return h.delivery(p.ID).Attempts == 1 })
			if d := h.delivery(p.ID); d.Status != plugin.DeliveryPending {
				t.Fatalf("after a %d: %+v, want pending (the redirect target got %q)", c.code, d, other.got())
			}
			h.advanceUntil("the second attempt", func() bool { return h.delivery(p.ID).Attempts == 2 })
			d := h.delivery(p.ID)
			want := fmt.Sprintf("redirect %d to %s refused: sbpd does not follow redirects; set notify.url to the final address", c.code, target)
			if d.Status != plugin.DeliveryPending || d.LastError != want {
				t.Fatalf("after two redirects: status %s, last error %q; want pending and %q", d.Status, d.LastError, want)
			}
			if got := other.got(); len(got) != 0 {
				t.Fatalf("the redirect target got %q", got)
			}
			if requests, _, _, _ := h.acct.snapshot(); len(requests) != 0 {
				t.Fatalf("the accounting system got %v", requests)
			}
			out, err := h.cli("show", p.ID)
			if err != nil || !strings.Contains(out, "retrying: 2 attempt(s) failed ("+want+")") {
				t.Fatalf("journal show does not give the reason: %v\n%s", err, out)
			}
			for _, leak := range []string{"pa55", "k3y"} {
				if strings.Contains(out, leak) || strings.Contains(h.logs.String(), leak) {
					t.Errorf("%q from the Location is in the journal or the log", leak)
				}
			}

			// The technician sets notify.url to the final address.
			h.stop()
			h.url = h.acctURL
			h.startNotify()
			h.advanceUntil("delivery to the final address", func() bool { return h.delivery(p.ID).Status == plugin.DeliveryDelivered })
			if _, stored, _, bad := h.acct.snapshot(); len(stored) != 1 || stored[0] != p.ID+":paid" || len(bad) != 0 {
				t.Fatalf("stored %v, problems %v", stored, bad)
			}
			if got := other.got(); len(got) != 0 {
				t.Fatalf("the redirect target got %q", got)
			}
			h.checkNoSecretInLogs()
		})
	}
}

// A notification captured on the way (from a log, a proxy, an open
// network) and sent again later is refused by a receiver that checks as
// the docs say, whether its timestamp is left as it was or made fresh: the
// signature covers the timestamp, which comes from the daemon's clock.
func TestNotifyReplayRefused(t *testing.T) {
	h := newNotifyE2E(t, 50)
	p := h.paid("000153", 25990)
	h.startNotify()
	waitFor(t, "delivery", func() bool { return h.delivery(p.ID).Status == plugin.DeliveryDelivered })
	h.acct.mu.Lock()
	orig := h.acct.captured[0]
	h.acct.mu.Unlock()
	if ts := orig.Header.Get(notify.HeaderTimestamp); ts != strconv.FormatInt(h.clock.Now().Unix(), 10) {
		t.Fatalf("X-Sbpd-Timestamp %q, want the daemon's clock %d", ts, h.clock.Now().Unix())
	}

	h.stop()
	h.clock.Advance(notify.DefaultTolerance + time.Minute)
	replay := func(fresh bool) (int, string) {
		t.Helper()
		body, _ := io.ReadAll(orig.Body)
		orig.Body = io.NopCloser(bytes.NewReader(body))
		req, _ := http.NewRequest(http.MethodPost, h.acctURL, bytes.NewReader(body))
		req.Header = orig.Header.Clone()
		if fresh {
			req.Header.Set(notify.HeaderTimestamp, strconv.FormatInt(h.clock.Now().Unix(), 10))
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	for _, fresh := range []bool{false, true} {
		if code, body := replay(fresh); code != http.StatusUnauthorized {
			t.Errorf("replay (fresh timestamp %v): HTTP %d %s, want 401", fresh, code, body)
		}
	}
	_, stored, dups, bad := h.acct.snapshot()
	if len(stored) != 1 || dups != 0 || len(bad) != 2 ||
		!strings.Contains(bad[0], "outside the tolerance") || !strings.Contains(bad[1], "does not match") {
		t.Fatalf("stored %v, duplicates %d, refusals %q: want the two replays refused, as stale, then as forged", stored, dups, bad)
	}
}

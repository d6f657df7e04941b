package web_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sbpd/sbpd/drivers/sqlite"
	"github.com/sbpd/sbpd/plugin"
	"github.com/sbpd/sbpd/plugin/backoffice"
	"github.com/sbpd/sbpd/plugin/backoffice/web"
	"github.com/sbpd/sbpd/plugin/plugintest"
)

const (
	apiToken = "tok-3f9a-secret-api"
	pmToken  = "pm-token-7c1e-secret"
)

// fakePM is PayMaster for the back office: its payments by id.
type fakePM struct {
	byID   map[string]plugin.Remote
	onList func() // called as List starts, when set
	asked  atomic.Int64
}

func (pm *fakePM) GetPayment(_ context.Context, id string) (plugin.Remote, error) {
	pm.asked.Add(1)
	r, ok := pm.byID[id]
	if !ok {
		return plugin.Remote{}, plugin.Errorf(plugin.ENotFound, "no payment %s", id)
	}
	return r, nil
}

func (pm *fakePM) FindPayment(_ context.Context, orderNo string, _ time.Time) (plugin.Remote, bool, error) {
	pm.asked.Add(1)
	for _, r := range pm.byID {
		if r.OrderNo == orderNo {
			return r, true, nil
		}
	}
	return plugin.Remote{}, false, nil
}

func (pm *fakePM) List(_ context.Context, from, to time.Time) ([]plugin.Remote, error) {
	pm.asked.Add(1)
	if pm.onList != nil {
		pm.onList()
	}
	var out []plugin.Remote
	for _, r := range pm.byID {
		if !r.Created.Before(from) && r.Created.Before(to) {
			out = append(out, r)
		}
	}
	return out, nil
}

// fixture is the back office over a real SQLite journal file, served by
// httptest, with a browser-like client (cookies, no redirects followed).
type fixture struct {
	t     *testing.T
	svc   *backoffice.Service
	db    *sqlite.DB
	pm    *fakePM
	clock *plugintest.Clock
	srv   *httptest.Server
	c     *http.Client
	// export, when set, is the back office's export.
	export func(ctx context.Context, w io.Writer, flt plugin.Filter, format string) (int64, error)
}

var t0 = time.Date(2026, 6, 1, 9, 0, 0, 0, time.UTC)

func newFixture(t *testing.T, token string) *fixture {
	t.Helper()
	db, err := sqlite.Open(filepath.Join(t.TempDir(), "sbpd.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	f := &fixture{t: t, db: db, pm: &fakePM{byID: map[string]plugin.Remote{}}, clock: plugintest.NewClock()}
	svc := &backoffice.Service{Journal: db.Journal(), Outbox: db.Outbox(), PayMaster: f.pm, TillID: "K07", PageSize: 1000,
		Secrets: []string{pmToken, token}}
	f.svc = svc
	h := web.New(web.Options{Service: svc, Token: token, Clock: f.clock, Zone: time.UTC, Version: "1.2.3",
		Export: func(ctx context.Context, w io.Writer, flt plugin.Filter, format string) (int64, error) {
			if f.export != nil {
				return f.export(ctx, w, flt, format)
			}
			fmt.Fprintf(w, "format=%s state=%s\n", format, flt.State)
			return 1, nil
		},
		Doctor: func(context.Context) []web.Check {
			return []web.Check{{Name: "PayMaster token", Status: "fail", Message: "refused " + pmToken, Fix: "set paymaster.token"}}
		},
		Settings: func() []web.Setting {
			return []web.Setting{{Key: "paymaster.token", Value: pmToken, Source: "env file", Secret: true},
				{Key: "notify.secret", Value: "(not set)", Source: "default", Secret: true},
				{Key: "till.id", Value: "K07", Source: "till settings"}}
		},
		Printer: func(context.Context) string { return "ok" },
	})
	f.srv = httptest.NewServer(h)
	t.Cleanup(f.srv.Close)
	jar, _ := cookiejar.New(nil)
	f.c = &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	return f
}

// newActing is a fixture with api.token set and logged in: the web's
// acts need a login (without a token the back office is read-only).
func newActing(t *testing.T) *fixture {
	t.Helper()
	f := newFixture(t, apiToken)
	if a := f.post("/backoffice/login", url.Values{"token": {apiToken}}); a.status != http.StatusSeeOther {
		t.Fatalf("login: %d %s", a.status, a.body)
	}
	return f
}

// plant records a payment for check in state, created n minutes after t0.
func (f *fixture) plant(check string, amount int64, state plugin.State, pmID string, n int) *plugin.Payment {
	f.t.Helper()
	ctx := context.Background()
	at := t0.Add(time.Duration(n) * time.Minute)
	p := &plugin.Payment{ID: "P-" + check, CheckID: check, OrderNo: "K07-" + check + "-1", Amount: amount, Mode: plugin.ModeScreen,
		State: plugin.StateCreating, IdempotencyKey: "key-" + check, ExpiresAt: at.Add(5 * time.Minute), CreatedAt: at, UpdatedAt: at}
	if err := f.db.Journal().Create(ctx, p, plugin.Event{Kind: plugin.EvCreated, Actor: "till", At: at}); err != nil {
		f.t.Fatal(err)
	}
	p.PayMasterID = pmID
	if state != plugin.StateCreating || pmID != "" {
		p.State = state
		if state == plugin.StateNeedsAttention {
			p.Reason = plugin.ReasonCancelFailed
		}
		if err := f.db.Journal().Update(ctx, p, plugin.Event{Kind: "planted", At: at}); err != nil {
			f.t.Fatal(err)
		}
	}
	return p
}

type answer struct {
	status int
	body   string
	header http.Header
}

func (f *fixture) get(path string) answer {
	f.t.Helper()
	return f.send("GET", path, nil)
}

// post sends a form as sbpd's own page does (Origin is checked by the
// daemon's guard, in front of this handler).
func (f *fixture) post(path string, form url.Values) answer {
	f.t.Helper()
	return f.send("POST", path, form)
}

func (f *fixture) send(method, path string, form url.Values) answer {
	f.t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, _ := http.NewRequest(method, f.srv.URL+path, body)
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	res, err := f.c.Do(req)
	if err != nil {
		f.t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	a := answer{status: res.StatusCode, body: string(b), header: res.Header}
	for _, secret := range []string{apiToken, pmToken} {
		if strings.Contains(a.body, secret) {
			f.t.Fatalf("%s %s shows a secret:\n%s", method, path, a.body)
		}
	}
	return a
}

var csrfRE = regexp.MustCompile(`name="csrf" value="([0-9a-f]{64})"`)

// csrf is the session's CSRF token, read from a page with a form.
func (f *fixture) csrf(path string) string {
	f.t.Helper()
	m := csrfRE.FindStringSubmatch(f.get(path).body)
	if m == nil {
		f.t.Fatalf("no CSRF token on %s", path)
	}
	return m[1]
}

var rowRE = regexp.MustCompile(`<tr data-id="([^"]+)" data-state="([^"]+)">`)

// rows are the ids and states of the journal's rows on a page, in order.
func rows(body string) [][2]string {
	var out [][2]string
	for _, m := range rowRE.FindAllStringSubmatch(body, -1) {
		out = append(out, [2]string{m[1], m[2]})
	}
	return out
}

func (f *fixture) state(id string) plugin.State {
	f.t.Helper()
	p, err := f.db.Journal().Get(context.Background(), id)
	if err != nil {
		f.t.Fatal(err)
	}
	return p.State
}

func (f *fixture) lastEvent(id string) plugin.Event {
	f.t.Helper()
	evs, err := f.db.Journal().Events(context.Background(), id)
	if err != nil {
		f.t.Fatal(err)
	}
	return evs[len(evs)-1]
}

func want(t *testing.T, a answer, status int, parts ...string) {
	t.Helper()
	if a.status != status {
		t.Fatalf("status %d, want %d:\n%s", a.status, status, a.body)
	}
	for _, p := range parts {
		if !strings.Contains(a.body, p) {
			t.Errorf("the page does not say %q:\n%s", p, a.body)
		}
	}
}

package web_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/sbpd/sbpd/plugin"
	"github.com/sbpd/sbpd/plugin/backoffice"
	"github.com/sbpd/sbpd/plugin/backoffice/web"
)

// With a token, nothing of the journal shows before the login; the login
// sets a session cookie that is HttpOnly, SameSite=Strict and expires; the
// token never appears in a page (fixture.send checks every answer).
func TestAccess_LoginWithToken(t *testing.T) {
	f := newFixture(t, apiToken)
	f.plant("777001", 25990, plugin.StatePaid, "PM-SECRET-ROW", 1)
	for _, path := range []string{"/backoffice/", "/backoffice/?state=paid", "/backoffice/payments/P-777001",
		"/backoffice/payments/P-777001/resync", "/backoffice/export?format=csv", "/backoffice/kiosk", "/backoffice/reconcile?from=2026-06-01&to=2026-06-01", "/backoffice/stuck"} {
		a := f.get(path)
		want(t, a, 401, `action="/backoffice/login"`, `name="token"`)
		if strings.Contains(a.body, "777001") || strings.Contains(a.body, "PM-SECRET-ROW") || strings.Contains(a.body, "format=") {
			t.Fatalf("%s shows the journal before login:\n%s", path, a.body)
		}
	}
	if a := f.post("/backoffice/payments/P-777001/resync", url.Values{"reason": {"x"}}); a.status != 401 {
		t.Fatalf("an act before login: %d", a.status)
	}
	want(t, f.post("/backoffice/login", url.Values{"token": {"wrong"}}), 401, "Неверный токен")
	want(t, f.post("/backoffice/login", url.Values{"token": {apiToken[:len(apiToken)-1]}}), 401)

	a := f.post("/backoffice/login", url.Values{"token": {apiToken}, "name": {"Иванов"}})
	if a.status != http.StatusSeeOther {
		t.Fatalf("login: %d %s", a.status, a.body)
	}
	var c *http.Cookie
	for _, k := range (&http.Response{Header: a.header}).Cookies() {
		if k.Name == "sbpd_backoffice" {
			c = k
		}
	}
	if c == nil || !c.HttpOnly || c.SameSite != http.SameSiteStrictMode || c.MaxAge <= 0 || c.Path != "/backoffice/" || strings.Contains(c.Value, apiToken) {
		t.Fatalf("session cookie %+v: want HttpOnly, SameSite=Strict, Max-Age, Path /backoffice/", c)
	}
	want(t, f.get("/backoffice/"), 200, "777001", "Иванов", "Выйти")

	// The session ends on the injected clock.
	f.clock.Advance(8*time.Hour + time.Second)
	want(t, f.get("/backoffice/"), 401, `name="token"`)

	// Log in again, then out.
	f.post("/backoffice/login", url.Values{"token": {apiToken}})
	csrf := f.csrf("/backoffice/")
	if a := f.post("/backoffice/logout", url.Values{"csrf": {csrf}}); a.status != http.StatusSeeOther || !strings.Contains(a.header.Get("Set-Cookie"), "Max-Age=0") {
		t.Fatalf("logout: %d %v", a.status, a.header)
	}
	want(t, f.get("/backoffice/"), 401)
}

// Without a token (the daemon on loopback) the pages open at once.
func TestAccess_OpenWithoutToken(t *testing.T) {
	f := newFixture(t, "")
	f.plant("1", 100, plugin.StatePaid, "", 1)
	want(t, f.get("/backoffice/"), 200, "P-1")
	if strings.Contains(f.get("/backoffice/").body, "Выйти") {
		t.Errorf("a logout without a login")
	}
}

// A form without the session's CSRF token changes nothing.
func TestAccess_CSRF(t *testing.T) {
	f := newActing(t)
	f.plant("1", 100, plugin.StatePaid, "", 1)
	f.get("/backoffice/")
	for _, form := range []url.Values{{"reason": {"x"}}, {"reason": {"x"}, "csrf": {strings.Repeat("0", 64)}}} {
		want(t, f.post("/backoffice/payments/P-1/mark-entered", form), 403, "Форма устарела")
	}
	if ev := f.lastEvent("P-1"); ev.Kind != "planted" {
		t.Fatalf("refused, but recorded %+v", ev)
	}
	csrf := f.csrf("/backoffice/payments/P-1/mark-entered")
	if a := f.post("/backoffice/payments/P-1/mark-entered", url.Values{"reason": {"typed into 1C"}, "csrf": {csrf}, "by": {"olga"}}); a.status != 303 {
		t.Fatalf("with the token: %d %s", a.status, a.body)
	}
}

// The kiosk page: version, printer, settings with sources and secrets
// masked, doctor's checks on demand.
func TestKiosk(t *testing.T) {
	f := newFixture(t, "")
	a := f.get("/backoffice/kiosk")
	want(t, a, 200, "1.2.3", "готов к печати (ok)", "paymaster.token", "*** (set)", "notify.secret", "(not set)", "env file", "till settings", "Запустить проверки")
	if strings.Contains(a.body, "PayMaster token") {
		t.Errorf("the checks ran before they were asked for")
	}
	// Doctor runs on the posted form only, never on a GET.
	if a := f.get("/backoffice/kiosk?doctor=1"); strings.Contains(a.body, "PayMaster token") {
		t.Errorf("a GET ran the checks")
	}
	csrf := f.csrf("/backoffice/kiosk")
	want(t, f.post("/backoffice/kiosk", url.Values{}), 403, "Форма устарела")
	want(t, f.post("/backoffice/kiosk", url.Values{"csrf": {csrf}}), 200, "PayMaster token", "fail", "refused ***", "set paymaster.token")
}

// Every page is sent with headers that keep it out of frames, caches and
// other pages' reach, and with a referrer policy under which a browser
// still sends the page's own Origin with a form (no-referrer makes it
// "null", which the daemon's browser rules refuse).
func TestAccess_Headers(t *testing.T) {
	f := newFixture(t, apiToken)
	for _, path := range []string{"/backoffice/", "/backoffice/static/style.css"} {
		a := f.get(path)
		h := a.header
		if h.Get("X-Frame-Options") != "DENY" || h.Get("Cache-Control") != "no-store" || h.Get("Referrer-Policy") != "same-origin" ||
			!strings.Contains(h.Get("Content-Security-Policy"), "default-src 'none'") || !strings.Contains(h.Get("Content-Security-Policy"), "frame-ancestors 'none'") {
			t.Errorf("%s: headers %v", path, h)
		}
	}
	// The style sheet is no secret: served before login.
	want(t, f.get("/backoffice/static/style.css"), 200, "min-height: 48px")
}

// Guessing the token: after MaxFailedLogins wrong tokens from one address,
// its wrong tokens get 429 until the window ends on the injected clock;
// the right token always logs in (guesses never lock the technician out).
func TestAccess_FailedLoginsLimited(t *testing.T) {
	f := newFixture(t, apiToken)
	for i := range web.MaxFailedLogins {
		if a := f.post("/backoffice/login", url.Values{"token": {fmt.Sprintf("guess-%d", i)}}); a.status != 401 {
			t.Fatalf("guess %d: %d", i, a.status)
		}
	}
	want(t, f.post("/backoffice/login", url.Values{"token": {"guess-more"}}), 429, "Слишком много неверных попыток", "too_many_logins")
	want(t, f.get("/backoffice/"), 401)
	if a := f.post("/backoffice/login", url.Values{"token": {apiToken}}); a.status != 303 {
		t.Fatalf("the right token while wrong ones are refused: %d %s", a.status, a.body)
	}
	want(t, f.get("/backoffice/"), 200, "Платежи")
	f.clock.Advance(web.FailedLoginWindow)
	if a := f.post("/backoffice/login", url.Values{"token": {"guess-after"}}); a.status != 401 {
		t.Fatalf("a wrong token after the window: %d", a.status)
	}
}

// loginFrom posts a login form from addr straight to the handler.
func (f *fixture) loginFrom(addr, token string) *httptest.ResponseRecorder {
	req := httptest.NewRequest("POST", "/backoffice/login", strings.NewReader(url.Values{"token": {token}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.RemoteAddr = addr
	rec := httptest.NewRecorder()
	f.srv.Config.Handler.ServeHTTP(rec, req)
	return rec
}

// Guesses spread over many addresses are counted too: every loopback
// address is one, a full table of addresses shares one count, and all of
// them together are limited; each block ends with its window.
func TestAccess_FailedLoginsLimitedOverAddresses(t *testing.T) {
	f := newFixture(t, apiToken)
	for i := range web.MaxFailedLogins {
		if rec := f.loginFrom(fmt.Sprintf("127.0.%d.%d:4000", i/200, i%200+1), "guess"); rec.Code != 401 {
			t.Fatalf("loopback guess %d: %d", i, rec.Code)
		}
	}
	if rec := f.loginFrom("127.8.8.8:1", "guess"); rec.Code != 429 {
		t.Fatalf("another loopback address after %d guesses over 127/8: %d", web.MaxFailedLogins, rec.Code)
	}
	f.clock.Advance(web.FailedLoginWindow)
	for i := range web.MaxFailedLoginsTotal {
		f.loginFrom(fmt.Sprintf("10.%d.%d.1:4000", i/250, i%250), "guess")
	}
	if rec := f.loginFrom("192.168.7.7:4000", apiToken); rec.Code != 303 {
		t.Fatalf("the right token from a fresh address while guesses are refused: %d", rec.Code)
	}
	rec := f.loginFrom("192.168.7.7:4000", "guess")
	if rec.Code != 429 || rec.Header().Get("Retry-After") != fmt.Sprint(int(web.FailedLoginWindow/time.Second)) {
		t.Fatalf("a fresh address after %d guesses from many: %d, Retry-After %q", web.MaxFailedLoginsTotal, rec.Code, rec.Header().Get("Retry-After"))
	}
	f.clock.Advance(web.FailedLoginWindow)
	if rec := f.loginFrom("192.168.7.7:4000", "guess"); rec.Code != 401 {
		t.Fatalf("a wrong token after the window: %d", rec.Code)
	}
}

// A name holding a secret is refused at the login (it would be shown and
// journaled as the actor); a name given at an act is cut by the service.
func TestAccess_NameWithSecret(t *testing.T) {
	f := newFixture(t, apiToken)
	for _, name := range []string{apiToken, "olga " + pmToken} {
		a := f.post("/backoffice/login", url.Values{"token": {apiToken}, "name": {name}})
		want(t, a, 422, "Имя содержит секрет", "name_has_secret")
		if len(f.c.Jar.Cookies(mustURL(t, f.srv.URL+"/backoffice/"))) != 0 {
			t.Fatal("a session was made for a name with a secret")
		}
	}
	if a := f.post("/backoffice/login", url.Values{"token": {apiToken}, "name": {"olga"}}); a.status != 303 {
		t.Fatalf("login: %d", a.status)
	}
	f.plant("1", 25990, plugin.StatePaid, "PM-1", 1)
	csrf := f.csrf("/backoffice/payments/P-1/mark-entered")
	if a := f.post("/backoffice/payments/P-1/mark-entered", url.Values{"csrf": {csrf}, "reason": {"typed into 1C"}, "by": {"x" + apiToken}}); a.status != 303 {
		t.Fatalf("mark-entered: %d %s", a.status, a.body)
	}
	ns, _ := f.db.Outbox().Status(context.Background(), "P-1")
	if !ns.EnteredByHand || strings.Contains(fmt.Sprint(ns), apiToken) || strings.Contains(fmt.Sprint(f.lastEvent("P-1")), apiToken) {
		t.Errorf("the token is recorded: %+v %+v", ns, f.lastEvent("P-1"))
	}
}

// A form over the bound is answered 413 with a page that says so, not as
// a stale form (403 csrf).
func TestAccess_FormTooLarge(t *testing.T) {
	f := newActing(t)
	f.plant("1", 25990, plugin.StatePaid, "PM-1", 1)
	csrf := f.csrf("/backoffice/payments/P-1/mark-entered")
	a := f.post("/backoffice/payments/P-1/mark-entered", url.Values{"csrf": {csrf}, "reason": {strings.Repeat("x", 17<<10)}})
	want(t, a, 413, "Слишком большая форма", "form_too_large")
}

func mustURL(t *testing.T, raw string) *url.URL {
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// The back office of the settings in force is asked per request: a
// secret added by a reload is cut from the next page; Memo builds one per
// settings.
func TestAccess_SettingsInForce(t *testing.T) {
	f := newFixture(t, "")
	const rotated = "rotated-secret-5e1d"
	builds := 0
	settings := 1
	cur := web.Memo(func() int { return settings }, func(n int) (*backoffice.Service, error) {
		builds++
		svc := &backoffice.Service{Journal: f.db.Journal(), Outbox: f.db.Outbox(), TillID: "K07"}
		if n == 2 {
			svc.Secrets = []string{rotated}
		}
		return svc, nil
	}, nil)
	h := web.New(web.Options{Service: &backoffice.Service{Journal: f.db.Journal(), Outbox: f.db.Outbox()}, Current: cur, Clock: f.clock,
		Doctor: func(context.Context) []web.Check {
			return []web.Check{{Name: "token", Status: "fail", Message: "refused " + rotated}}
		}})
	run := func() string {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest("GET", "/backoffice/kiosk", nil))
		c := rec.Result().Cookies()[0]
		m := csrfRE.FindStringSubmatch(rec.Body.String())
		req := httptest.NewRequest("POST", "/backoffice/kiosk", strings.NewReader("csrf="+m[1]))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.AddCookie(c)
		rec = httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		return rec.Body.String()
	}
	if !strings.Contains(run(), rotated) {
		t.Fatal("the first settings have no such secret: it should show (the test's premise)")
	}
	settings = 2
	if body := run(); strings.Contains(body, rotated) || !strings.Contains(body, "refused ***") {
		t.Errorf("after the reload the new secret shows")
	}
	if builds != 2 {
		t.Errorf("%d back offices built for 2 settings", builds)
	}
}

// Without a token, only the kiosk's browser opening a page gets a kept
// session: another site's navigations are refused, OPTIONS gets a passing
// session and no cookie, and neither can push the real session out; the
// static folder is not listed.
func TestAccess_NoTokenSessionsKeptForPagesOnly(t *testing.T) {
	f := newFixture(t, "")
	f.plant("1", 25990, plugin.StatePaid, "PM-1", 1)
	csrf := f.csrf("/backoffice/kiosk") // the real session
	h := f.srv.Config.Handler
	for i := range web.MaxSessions + 10 {
		method, site := "GET", "cross-site"
		if i%2 == 1 {
			method, site = "OPTIONS", ""
		}
		req := httptest.NewRequest(method, "/backoffice/", nil)
		if site != "" {
			req.Header.Set("Sec-Fetch-Site", site)
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if c := rec.Result().Cookies(); len(c) != 0 {
			t.Fatalf("%s (%s) got a session cookie", method, site)
		}
		if method == "GET" && rec.Code != 403 {
			t.Fatalf("another site's link: %d, want 403", rec.Code)
		}
	}
	if a := f.post("/backoffice/kiosk", url.Values{"csrf": {csrf}}); a.status != 200 {
		t.Fatalf("the real session was pushed out: %d", a.status)
	}
	want(t, f.get("/backoffice/static/"), 404)
	want(t, f.get("/backoffice/static/style.css"), 200)
}

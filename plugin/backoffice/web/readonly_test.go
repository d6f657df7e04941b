package web_test

import (
	"context"
	"io"
	"net/http/httptest"
	"net/url"
	"reflect"
	"strings"
	"testing"

	"github.com/sbpd/sbpd/plugin"
	"github.com/sbpd/sbpd/plugin/backoffice"
	"github.com/sbpd/sbpd/plugin/backoffice/web"
)

// readOnlyWords are what a refused act's page says: a login is needed,
// how to get one, and the CLI on the kiosk.
var readOnlyWords = []string{"Только просмотр", "api.token", "sbpd settings set api.token -", "sudo -u sbpd sbpd journal",
	"acts from the web need a login", web.RLoginRequired}

// Without api.token the back office is read-only: every act (the
// confirmation page and the posted form, even forced, with the session's
// CSRF token) is refused with 403 and a page saying why, and changes
// nothing: the journal, the outbox and PayMaster untouched.
func TestReadOnly_ActsRefusedWithoutToken(t *testing.T) {
	f := newFixture(t, "")
	f.plant("1", 25990, plugin.StateNotPaid, "PM-1", 1)
	f.plant("2", 25990, plugin.StatePaid, "PM-2", 2)
	f.pm.byID["PM-1"] = plugin.Remote{ID: "PM-1", OrderNo: "K07-1-1", Status: plugin.RemoteSettled, Amount: 25990, Created: t0.Add(1)}
	csrf := f.csrf("/backoffice/kiosk")
	before := map[string]backoffice.Notice{}
	for _, id := range []string{"P-1", "P-2"} {
		before[id], _ = f.svc.Outbox.Status(context.Background(), id)
	}
	for _, c := range []struct{ id, act string }{
		{"P-1", "mark-paid"}, {"K07-1-1", "mark-paid"}, {"P-2", "mark-not-paid"}, {"P-2", "mark-entered"}, {"P-2", "resync"}, {"nope", "resync"},
	} {
		path := "/backoffice/payments/" + c.id + "/" + c.act
		a := f.get(path)
		want(t, a, 403, readOnlyWords...)
		if strings.Contains(a.body, `action="`+path) {
			t.Errorf("%s: the act's form is shown", path)
		}
		want(t, f.post(path, url.Values{"csrf": {csrf}, "reason": {"x"}, "force": {"on"}, "by": {"shopper"}}), 403, readOnlyWords...)
	}
	// Reconcile: the report runs; its apply is refused.
	rec := url.Values{"csrf": {csrf}, "from": {"2026-06-01"}, "to": {"2026-06-01"}}
	a := f.post("/backoffice/reconcile", rec)
	want(t, a, 200, "Расхождений: 2, исправлено: 0", "можно исправить", "Только просмотр")
	if strings.Contains(a.body, "Применить безопасные исправления") || strings.Contains(a.body, `name="apply"`) {
		t.Errorf("the apply form is offered without a login:\n%s", a.body)
	}
	asked := f.pm.asked.Load()
	rec.Set("apply", "1")
	want(t, f.post("/backoffice/reconcile", rec), 403, readOnlyWords...)
	if n := f.pm.asked.Load(); n != asked {
		t.Errorf("PayMaster asked %d times by refused acts", n-asked)
	}
	for _, id := range []string{"P-1", "P-2"} {
		if ev := f.lastEvent(id); ev.Kind != "planted" {
			t.Errorf("%s changed by a refused act: %+v", id, ev)
		}
		ns, err := f.svc.Outbox.Status(context.Background(), id)
		if err != nil || !reflect.DeepEqual(ns, before[id]) {
			t.Errorf("%s's outbox changed by a refused act: %+v %v", id, ns, err)
		}
	}
	if f.state("P-1") != plugin.StateNotPaid {
		t.Errorf("P-1 is %s", f.state("P-1"))
	}
}

// Without a token the pages that offer acts show none and say why,
// once; doctor's run stays (it only reads).
func TestReadOnly_PagesOfferNoActs(t *testing.T) {
	f := newFixture(t, "")
	f.plant("1", 25990, plugin.StatePaid, "PM-1", 1)
	d, err := f.db.Outbox().Requeue(context.Background(), "P-1", "test", "planted")
	if err != nil {
		t.Fatal(err)
	}
	if err := f.db.Outbox().MarkFailed(context.Background(), d.ID, "HTTP 500", t0, true); err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{"/backoffice/payments/P-1", "/backoffice/stuck"} {
		a := f.get(path)
		want(t, a, 200, "Только просмотр", "sbpd settings set api.token -", "K07-1-1")
		if n := strings.Count(a.body, "Только просмотр"); n != 1 {
			t.Errorf("%s says it %d times", path, n)
		}
		for _, act := range []string{"/resync\"", "/mark-paid\"", "/mark-not-paid\"", "/mark-entered\""} {
			if strings.Contains(a.body, act) {
				t.Errorf("%s links an act %s:\n%s", path, act, a.body)
			}
		}
	}
	want(t, f.post("/backoffice/kiosk", url.Values{"csrf": {f.csrf("/backoffice/kiosk")}}), 200, "PayMaster token")
	// With a login the same pages offer the acts.
	g := newActing(t)
	g.plant("1", 25990, plugin.StatePaid, "PM-1", 1)
	a := g.get("/backoffice/payments/P-1")
	want(t, a, 200, `/backoffice/payments/P-1/resync"`, `/backoffice/payments/P-1/mark-entered"`)
	if strings.Contains(a.body, "Только просмотр") {
		t.Errorf("a logged-in page says read-only")
	}
}

// Another site cannot navigate the kiosk's browser to the back office:
// Sec-Fetch-Site cross-site or same-site is refused with 403 on every
// route (no export started, no session kept); same-origin, none (a typed
// address, a bookmark) and no header (curl) pass.
func TestAccess_CrossSiteNavigationRefused(t *testing.T) {
	for _, token := range []string{"", apiToken} {
		f := newFixture(t, token)
		f.plant("777001", 25990, plugin.StatePaid, "PM-1", 1)
		exports := 0
		f.export = func(_ context.Context, w io.Writer, _ plugin.Filter, _ string) (int64, error) {
			exports++
			io.WriteString(w, "777001\n")
			return 1, nil
		}
		h := f.srv.Config.Handler
		for _, path := range []string{"/backoffice/", "/backoffice/export?format=csv", "/backoffice/kiosk", "/backoffice/payments/P-777001",
			"/backoffice/payments/P-777001/mark-paid", "/backoffice/reconcile", "/backoffice/stuck", "/backoffice/static/style.css", "/backoffice/nope"} {
			for _, site := range []string{"cross-site", "same-site", "Cross-Site", "bogus"} {
				req := httptest.NewRequest("GET", path, nil)
				req.Header.Set("Sec-Fetch-Site", site)
				rec := httptest.NewRecorder()
				h.ServeHTTP(rec, req)
				body := rec.Body.String()
				if rec.Code != 403 || !strings.Contains(body, "cross_site") || strings.Contains(body, "777001") || len(rec.Result().Cookies()) != 0 {
					t.Fatalf("token %q, %s from %s: %d %v\n%s", token, path, site, rec.Code, rec.Result().Cookies(), body)
				}
			}
		}
		for _, method := range []string{"POST", "HEAD"} {
			req := httptest.NewRequest(method, "/backoffice/login", nil)
			req.Header.Set("Sec-Fetch-Site", "cross-site")
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			if rec.Code != 403 {
				t.Fatalf("%s /backoffice/login from another site: %d", method, rec.Code)
			}
		}
		if exports != 0 {
			t.Fatalf("another site's navigation started %d exports", exports)
		}
		if token != "" {
			continue
		}
		for _, site := range []string{"same-origin", "none", ""} {
			req := httptest.NewRequest("GET", "/backoffice/export?format=csv", nil)
			if site != "" {
				req.Header.Set("Sec-Fetch-Site", site)
			}
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			if rec.Code != 200 || !strings.Contains(rec.Body.String(), "777001") {
				t.Fatalf("%q: %d %s", site, rec.Code, rec.Body.String())
			}
		}
	}
}

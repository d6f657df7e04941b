package main

import (
	"context"
	"encoding/json"
	"fmt"
	"html"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/sbpd/sbpd/config"
	"github.com/sbpd/sbpd/plugin"
	"github.com/sbpd/sbpd/plugin/backoffice"
)

// One truth: the web back office and `sbpd journal` give the same answers
// and refusals. Every act runs twice on the same journal, on two payments
// in the same situation, once by the CLI and once by the web (the daemon's
// own wiring, backofficeWeb); the outcome, the refusal's reason and
// sentence, the state and the event written must be the same.

// truth is the fixture's journal served by the daemon's back office.
type truth struct {
	*actFixture
	h      http.Handler
	d      *Daemon
	cookie *http.Cookie
	csrf   string
}

// truthToken is the fixture's api.token: the web's acts need a login.
const truthToken = "truth-api-token-9c41e07b"

// newTruth is the fixture with api.token set and logged in (no name: the
// web's acts are recorded as "web" unless a form names someone).
func newTruth(t *testing.T) *truth {
	t.Helper()
	tr := newTruthWith(t, truthToken)
	if rec := tr.web("POST", "/backoffice/login", url.Values{"token": {truthToken}}); rec.Code != http.StatusSeeOther {
		t.Fatalf("login: %d %s", rec.Code, rec.Body.String())
	}
	return tr
}

// newTruthWith is the fixture with api.token token ("": none), not
// logged in.
func newTruthWith(t *testing.T, token string) *truth {
	t.Helper()
	f := newActFixture(t)
	cfg, err := config.Load(f.cfgPath, true, nil)
	if err != nil {
		t.Fatal(err)
	}
	cfg.APIToken = token
	d := &Daemon{Config: cfg, DB: f.db, Logger: slog.New(slog.DiscardHandler), Clock: plugin.RealClock{}}
	d.current.Store(cfg)
	return &truth{actFixture: f, h: d.backofficeWeb(), d: d}
}

func (tr *truth) web(method, path string, form url.Values) *httptest.ResponseRecorder {
	tr.t.Helper()
	var req *http.Request
	if form != nil {
		form.Set("csrf", tr.csrf)
		req = httptest.NewRequest(method, path, strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	} else {
		req = httptest.NewRequest(method, path, nil)
	}
	if tr.cookie != nil {
		req.AddCookie(tr.cookie)
	}
	rec := httptest.NewRecorder()
	tr.h.ServeHTTP(rec, req)
	if cs := rec.Result().Cookies(); len(cs) > 0 {
		tr.cookie = cs[0]
	}
	if m := regexp.MustCompile(`name="csrf" value="([0-9a-f]{64})"`).FindStringSubmatch(rec.Body.String()); m != nil {
		tr.csrf = m[1]
	}
	if strings.Contains(rec.Body.String(), tr.sb.Token()) || strings.Contains(rec.Body.String(), truthToken) {
		tr.t.Fatalf("%s %s shows the PayMaster token or api.token", method, path)
	}
	return rec
}

// flashRE reads a refusal of the web: its code and the service's sentence
// beneath the Russian one.
var flashRE = regexp.MustCompile(`(?s)<div class="flash bad" id="flash" data-code="([^"]*)">\s*<strong>[^<]*</strong><p>[^<]*</p><p class="detail">([^<]*)</p>`)

// outcome is what an act did, with the payment's own names replaced, so
// that two payments in the same situation compare equal.
type outcome struct {
	refused bool
	reason  string // the web's refusal code
	message string // the service's sentence (web) / the CLI's error
	state   plugin.State
	event   string // the last event's kind and detail
}

func (tr *truth) outcome(p *plugin.Payment, refused bool, reason, message string) outcome {
	tr.t.Helper()
	q := tr.get(p.ID)
	ev := tr.lastEvent(p.ID)
	pairs := []string{p.ID, "<id>", p.OrderNo, "<order>", p.CheckID, "<check>"}
	if q.PayMasterID != "" {
		pairs = append(pairs, q.PayMasterID, "<pm>")
	}
	norm := strings.NewReplacer(pairs...)
	detail := ev.Kind + ": " + ev.Detail
	return outcome{refused: refused, reason: reason, message: norm.Replace(message), state: q.State, event: norm.Replace(detail)}
}

func TestOneTruth_ActsWebAndCLI(t *testing.T) {
	tr := newTruth(t)
	n := 0
	type situation struct {
		state  plugin.State
		remote bool
		pay    bool // PayMaster settles it
	}
	for _, c := range []struct {
		name    string
		sit     situation
		act     string // the CLI's command and the web's act
		reason  string
		force   bool
		reason2 string // the refusal's reason, "" when it succeeds
		ref     string // how both name the payment: "" our id, "order", "paymaster", "unknown"
	}{
		{"mark-paid, PayMaster settled", situation{plugin.StateNeedsAttention, true, true}, "mark-paid", "bank confirmed", false, "", ""},
		{"mark-paid, PayMaster disagrees", situation{plugin.StateNeedsAttention, true, false}, "mark-paid", "bank confirmed", false, backoffice.RPayMasterDisagrees, ""},
		{"mark-paid forced", situation{plugin.StateNeedsAttention, true, false}, "mark-paid", "seen in the cabinet", true, "", ""},
		{"mark-paid without a reason", situation{plugin.StateNeedsAttention, true, true}, "mark-paid", "", false, backoffice.RReasonRequired, ""},
		{"mark-paid while active", situation{plugin.StateAwaitingPayment, true, false}, "mark-paid", "x", true, backoffice.RPaymentActive, ""},
		{"mark-paid already paid", situation{plugin.StatePaid, true, true}, "mark-paid", "x", false, "already_paid", ""},
		{"mark-not-paid, still open at PayMaster", situation{plugin.StateNeedsAttention, true, false}, "mark-not-paid", "cancelled", false, backoffice.RPayMasterDisagrees, ""},
		{"mark-not-paid, unknown to PayMaster", situation{plugin.StateNeedsAttention, false, false}, "mark-not-paid", "never reached PayMaster", false, "", ""},
		{"resync paid", situation{plugin.StatePaid, true, true}, "resync", "1C is back", false, "", ""},
		{"resync not final", situation{plugin.StateNeedsAttention, true, false}, "resync", "", false, backoffice.RNotFinal, ""},
		{"mark-entered", situation{plugin.StatePaid, true, true}, "mark-entered", "typed into 1C", false, "", ""},
		{"mark-entered without a reason", situation{plugin.StatePaid, true, true}, "mark-entered", " ", false, backoffice.RReasonRequired, ""},
		{"mark-entered, a reason too long", situation{plugin.StatePaid, true, true}, "mark-entered", strings.Repeat("x", 600), false, backoffice.RReasonTooLong, ""},
		{"mark-paid, a reason too long", situation{plugin.StateNeedsAttention, true, true}, "mark-paid", strings.Repeat("я", 501), false, backoffice.RReasonTooLong, ""},
		// The kiosk's needs-attention screen shows the order number: every
		// act takes it, and PayMaster's id, as show does.
		{"mark-paid by order number", situation{plugin.StateNeedsAttention, true, true}, "mark-paid", "bank confirmed", false, "", "order"},
		{"mark-not-paid by order number, unknown to PayMaster", situation{plugin.StateNeedsAttention, false, false}, "mark-not-paid", "never reached PayMaster", false, "", "order"},
		{"resync by PayMaster id", situation{plugin.StatePaid, true, true}, "resync", "1C is back", false, "", "paymaster"},
		{"mark-entered by order number", situation{plugin.StatePaid, true, true}, "mark-entered", "typed into 1C", false, "", "order"},
		{"mark-paid, an unknown reference", situation{plugin.StateNeedsAttention, true, true}, "mark-paid", "x", false, backoffice.RNoPayment, "unknown"},
		{"resync, an unknown reference", situation{plugin.StatePaid, true, true}, "resync", "x", false, backoffice.RNoPayment, "unknown"},
	} {
		t.Run(c.name, func(t *testing.T) {
			var got [2]outcome
			for i, via := range []string{"cli", "web"} {
				n++
				check := fmt.Sprintf("%d%03d", i+1, n)
				p := tr.plant(check, 25990, c.sit.state, c.sit.remote)
				if c.sit.pay {
					if err := tr.sb.Pay(p.PayMasterID); err != nil {
						t.Fatal(err)
					}
				}
				ref := map[string]string{"": p.ID, "order": p.OrderNo, "paymaster": p.PayMasterID, "unknown": "K07-NOPE-1"}[c.ref]
				if via == "cli" {
					args := []string{"journal", c.act, ref, "--reason", c.reason, "--by", "tester"}
					if c.force {
						args = append(args, "--force")
					}
					_, err := tr.run(args...)
					msg := ""
					if err != nil {
						msg = err.Error()
					}
					got[i] = tr.outcome(p, err != nil, c.reason2, msg)
					continue
				}
				form := url.Values{"reason": {c.reason}, "by": {"tester"}}
				if c.force {
					form.Set("force", "on")
				}
				tr.web("GET", "/backoffice/payments/"+url.PathEscape(ref)+"/"+c.act, nil) // the confirmation, with its form
				rec := tr.web("POST", "/backoffice/payments/"+url.PathEscape(ref)+"/"+c.act, form)
				m := flashRE.FindStringSubmatch(rec.Body.String())
				if (rec.Code == http.StatusSeeOther) == (m != nil) {
					t.Fatalf("web: %d, flash %q", rec.Code, m)
				}
				reason, msg := "", ""
				if m != nil {
					reason, msg = m[1], html.UnescapeString(m[2])
				}
				got[i] = tr.outcome(p, m != nil, reason, msg)
			}
			cli, web := got[0], got[1]
			if cli.refused != web.refused || cli.refused != (c.reason2 != "") {
				t.Fatalf("refused: CLI %v (%s), web %v (%s); want %v", cli.refused, cli.message, web.refused, web.message, c.reason2 != "")
			}
			// The codes and the service's sentences are compared, not the
			// language: the web says it in Russian, the sentence beneath.
			if web.reason != c.reason2 {
				t.Errorf("web's reason %q, want %q", web.reason, c.reason2)
			}
			if web.refused && !strings.Contains(cli.message, web.message) {
				t.Errorf("the refusals differ:\n CLI: %s\n web: %s", cli.message, web.message)
			}
			if cli.state != web.state {
				t.Errorf("state: CLI %s, web %s", cli.state, web.state)
			}
			// The event differs only in who did it.
			if strings.ReplaceAll(web.event, "web:tester", "tester") != cli.event {
				t.Errorf("the events differ:\n CLI: %s\n web: %s", cli.event, web.event)
			}
		})
	}
}

// The journal's list, one payment's page and the reconciliation: the web
// shows what `sbpd journal list/show/reconcile` print.
func TestOneTruth_ReadsWebAndCLI(t *testing.T) {
	tr := newTruth(t)
	paid := tr.plant("501", 25990, plugin.StatePaid, true)
	tr.sb.Pay(paid.PayMasterID)
	att := tr.plant("502", 10000, plugin.StateNeedsAttention, true)
	tr.sb.Pay(att.PayMasterID)
	tr.plant("503", 10000, plugin.StateNotPaid, false)
	rowRE := regexp.MustCompile(`<tr data-id="([^"]+)"`)
	for _, flt := range [][2]string{{"", ""}, {"--state", "paid"}, {"-q", "100,00"}, {"--state", "needs_attention"}, {"-q", paid.OrderNo}} {
		args := []string{"journal", "list", "--json"}
		q := url.Values{}
		if flt[0] != "" {
			args = append(args, flt[0], flt[1])
			q.Set(map[string]string{"--state": "state", "-q": "q"}[flt[0]], flt[1])
		}
		out, err := tr.run(args...)
		if err != nil {
			t.Fatal(err)
		}
		var ps []plugin.Payment
		json.Unmarshal([]byte(out[:strings.LastIndex(out, "]")+1]), &ps)
		var cli, web []string
		for _, p := range ps {
			cli = append(cli, p.ID)
		}
		for _, m := range rowRE.FindAllStringSubmatch(tr.web("GET", "/backoffice/?"+q.Encode(), nil).Body.String(), -1) {
			web = append(web, m[1])
		}
		if fmt.Sprint(cli) != fmt.Sprint(web) {
			t.Errorf("%v: CLI lists %v, web %v", flt, cli, web)
		}
	}
	// One payment: the web shows what `show` prints of its notification.
	out, err := tr.run("journal", "show", paid.OrderNo)
	if err != nil {
		t.Fatal(err)
	}
	notice := regexp.MustCompile(`(?m)^notification:\s+(.+)$`).FindStringSubmatch(out)
	page := tr.web("GET", "/backoffice/payments/"+url.PathEscape(paid.OrderNo), nil).Body.String()
	if notice == nil || !strings.Contains(html.UnescapeString(page), strings.TrimSpace(notice[1])) || !strings.Contains(page, paid.PayMasterID) {
		t.Errorf("show says %q; the web page:\n%.600s", notice, page)
	}
	// The export through the daemon's wiring: a real XLSX file.
	rec := tr.web("GET", "/backoffice/export?format=xlsx&state=paid", nil)
	if rec.Code != 200 || !strings.HasPrefix(rec.Body.String(), "PK") || !strings.Contains(rec.Header().Get("Content-Type"), "spreadsheetml") {
		t.Errorf("xlsx export: %d %s %.40q", rec.Code, rec.Header().Get("Content-Type"), rec.Body.String())
	}

	// A filter both refuse.
	_, err = tr.run("journal", "list", "--state", "bogus")
	body := tr.web("GET", "/backoffice/?state=bogus", nil).Body.String()
	if err == nil || !strings.Contains(body, "not a state") || !strings.Contains(err.Error(), "not a state") {
		t.Errorf("a bad state: CLI %v, web %.200s", err, body)
	}

	// A period longer than the service allows: both refuse, with its reason.
	long := time.Now().AddDate(0, -2, 0).Format(time.DateOnly)
	_, err = tr.run("journal", "reconcile", "--from", long, "--to", time.Now().Format(time.DateOnly))
	tr.web("GET", "/backoffice/reconcile", nil)
	rec = tr.web("POST", "/backoffice/reconcile", url.Values{"from": {long}, "to": {time.Now().Format(time.DateOnly)}})
	m := flashRE.FindStringSubmatch(rec.Body.String())
	if err == nil || m == nil || m[1] != backoffice.RPeriodTooLong || !strings.Contains(err.Error(), html.UnescapeString(m[2])) {
		t.Errorf("two months: CLI %v; web %d %q", err, rec.Code, m)
	}

	// Reconcile: the same summary, and an apply from the web seen by the CLI.
	day := time.Now().Format(time.DateOnly)
	out, _ = tr.run("journal", "reconcile", "--from", day, "--to", day, "--json")
	var rep backoffice.Report
	if err := json.Unmarshal([]byte(out[:strings.LastIndex(out, "}")+1]), &rep); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	tr.web("GET", "/backoffice/reconcile", nil) // the form, with its token
	page = tr.web("POST", "/backoffice/reconcile", url.Values{"from": {day}, "to": {day}}).Body.String()
	webSummary := fmt.Sprintf("Расхождений: %d, исправлено: %d, осталось: %d", len(rep.Differences), rep.Resolved, rep.Remaining) // the same numbers, in Russian
	if !strings.Contains(page, webSummary) || rep.Remaining == 0 {
		t.Fatalf("CLI says %q; web, want %q:\n%s", rep.Summary(), webSummary, page)
	}
	tr.web("POST", "/backoffice/reconcile", url.Values{"from": {day}, "to": {day}, "apply": {"1"}})
	out, _ = tr.run("journal", "reconcile", "--from", day, "--to", day, "--json")
	var after backoffice.Report
	json.Unmarshal([]byte(out[:strings.LastIndex(out, "}")+1]), &after)
	if tr.get(att.ID).State != plugin.StatePaid || after.Remaining >= rep.Remaining {
		t.Errorf("after the web's apply: %s, CLI %q (before %q)", tr.get(att.ID).State, after.Summary(), rep.Summary())
	}
	// Who applied it is recorded, as for every other act.
	if ev := tr.lastEvent(att.ID); ev.Actor != "web" || ev.Kind != backoffice.EvReconciledPaid {
		t.Errorf("the web's apply is recorded as %q (%s)", ev.Actor, ev.Kind)
	}
}

// The web back office is the one of the settings in force: after a reload
// (d.current) a new notify.secret is cut from its pages, as a new CLI
// command would cut it.
func TestBackofficeWeb_SettingsInForce(t *testing.T) {
	tr := newTruth(t)
	const rotated = "rotated-notify-secret-77"
	tr.plant(rotated, 25990, plugin.StatePaid, false)
	cell := "<td>" + rotated + "</td>" // the check id's cell (the payment's own id is ours, never cut)
	if page := tr.web("GET", "/backoffice/", nil).Body.String(); !strings.Contains(page, cell) {
		t.Fatal("the premise: not yet a secret, the check id shows")
	}
	cfg := *tr.d.current.Load()
	cfg.Notify.Secret = rotated
	tr.d.current.Store(&cfg)
	if page := tr.web("GET", "/backoffice/", nil).Body.String(); strings.Contains(page, cell) || !strings.Contains(page, "<td>***</td>") {
		t.Error("after the reload the new secret shows on the journal page")
	}
}

// Without PayMaster's settings the CLI and the web refuse alike: the
// service's own checks first (a reason too long, a reversed period), then
// paymaster_unset with the settings' problem in its sentence.
func TestOneTruth_WithoutPayMaster(t *testing.T) {
	tr := newTruth(t)
	raw, err := os.ReadFile(tr.cfgPath)
	if err != nil {
		t.Fatal(err)
	}
	noToken := regexp.MustCompile(`(?m)^  token: .*\n`).ReplaceAll(raw, nil)
	if err := os.WriteFile(tr.cfgPath, noToken, 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Load(tr.cfgPath, true, nil)
	if err != nil {
		t.Fatal(err)
	}
	tr.d.current.Store(cfg)
	day := time.Now().Format(time.DateOnly)
	yesterday := time.Now().AddDate(0, 0, -1).Format(time.DateOnly)
	for i, c := range []struct {
		name, act, reason, from, to, want string
	}{
		{"mark-paid, a reason too long", "mark-paid", strings.Repeat("я", 501), "", "", backoffice.RReasonTooLong},
		{"mark-paid", "mark-paid", "bank confirmed", "", "", backoffice.RPayMasterUnset},
		{"mark-not-paid", "mark-not-paid", "cancelled", "", "", backoffice.RPayMasterUnset},
		{"reconcile, a reversed period", "reconcile", "", day, yesterday, backoffice.RPeriod},
		{"reconcile", "reconcile", "", day, day, backoffice.RPayMasterUnset},
	} {
		t.Run(c.name, func(t *testing.T) {
			p := tr.plant(fmt.Sprintf("6%02d", i), 25990, plugin.StateNeedsAttention, true)
			args, path, form := []string{"journal", c.act, p.ID, "--reason", c.reason}, "/backoffice/payments/"+p.ID+"/"+c.act, url.Values{"reason": {c.reason}}
			if c.act == "reconcile" {
				args, path, form = []string{"journal", "reconcile", "--from", c.from, "--to", c.to}, "/backoffice/reconcile", url.Values{"from": {c.from}, "to": {c.to}}
			}
			_, cliErr := tr.run(args...)
			tr.web("GET", path, nil) // the form, with its token
			m := flashRE.FindStringSubmatch(tr.web("POST", path, form).Body.String())
			if cliErr == nil || m == nil || m[1] != c.want || !strings.Contains(cliErr.Error(), html.UnescapeString(m[2])) {
				t.Fatalf("CLI %v; web %q; want %s, the same sentence", cliErr, m, c.want)
			}
			if c.want == backoffice.RPayMasterUnset && !strings.Contains(m[2], "paymaster.token") {
				t.Errorf("the refusal does not name the missing setting: %s", m[2])
			}
			if got := tr.get(p.ID); got.State != plugin.StateNeedsAttention {
				t.Errorf("changed: %s", got.State)
			}
		})
	}
}

// Without api.token the daemon's web back office only reads: the red
// team's attack (a declined payment force-marked paid by a local process
// with the page's own CSRF token) and every other act, forced or not, by
// any reference, are refused with 403 login_required and change nothing:
// the journal, the outbox and PayMaster untouched. The CLI (the journal
// file's owner) still acts; the reconciliation's report still runs.
func TestBackofficeWeb_ActsNeedALogin(t *testing.T) {
	tr := newTruthWith(t, "")
	declined := tr.plant("c3", 25990, plugin.StateNotPaid, true)
	att := tr.plant("c4", 10000, plugin.StateNeedsAttention, true)
	paid := tr.plant("c5", 10000, plugin.StatePaid, true)
	for _, p := range []*plugin.Payment{att, paid} {
		if err := tr.sb.Pay(p.PayMasterID); err != nil {
			t.Fatal(err)
		}
	}
	ctx := context.Background()
	type snap struct {
		p      plugin.Payment
		events int
		notice backoffice.Notice
	}
	look := func(p *plugin.Payment) snap {
		evs, err := tr.db.Journal().Events(ctx, p.ID)
		ns, err2 := tr.db.Outbox().Status(ctx, p.ID)
		if err != nil || err2 != nil {
			t.Fatal(err, err2)
		}
		return snap{*tr.get(p.ID), len(evs), ns}
	}
	before := map[string]snap{}
	for _, p := range []*plugin.Payment{declined, att, paid} {
		before[p.ID] = look(p)
	}
	asked := len(tr.sb.Requests())
	tr.web("GET", "/backoffice/kiosk", nil) // a page, its session and its CSRF token
	for _, c := range []struct {
		p   *plugin.Payment
		ref string
		act string
	}{
		{declined, declined.ID, "mark-paid"}, {declined, declined.OrderNo, "mark-paid"}, {att, att.PayMasterID, "mark-paid"},
		{att, att.ID, "mark-not-paid"}, {paid, paid.ID, "mark-entered"}, {paid, paid.OrderNo, "resync"},
	} {
		path := "/backoffice/payments/" + url.PathEscape(c.ref) + "/" + c.act
		if rec := tr.web("GET", path, nil); rec.Code != http.StatusForbidden || strings.Contains(rec.Body.String(), `id="confirm"`) {
			t.Errorf("GET %s: %d, the form shown", path, rec.Code)
		}
		rec := tr.web("POST", path, url.Values{"reason": {"x"}, "force": {"on"}, "by": {"shopper"}})
		m := flashRE.FindStringSubmatch(rec.Body.String())
		if rec.Code != http.StatusForbidden || m == nil || m[1] != "login_required" || !strings.Contains(m[2], "sudo -u sbpd sbpd journal") {
			t.Errorf("POST %s: %d %q", path, rec.Code, m)
		}
	}
	day := time.Now().Format(time.DateOnly)
	if rec := tr.web("POST", "/backoffice/reconcile", url.Values{"from": {day}, "to": {day}, "apply": {"1"}}); rec.Code != http.StatusForbidden {
		t.Errorf("reconcile --apply from the web: %d", rec.Code)
	}
	if n := len(tr.sb.Requests()); n != asked {
		t.Errorf("PayMaster asked %d times by refused acts", n-asked)
	}
	for _, p := range []*plugin.Payment{declined, att, paid} {
		if got := look(p); !reflect.DeepEqual(got, before[p.ID]) {
			t.Errorf("%s changed by refused acts:\n before %+v\n after  %+v", p.ID, before[p.ID], got)
		}
	}
	if rec := tr.web("POST", "/backoffice/reconcile", url.Values{"from": {day}, "to": {day}}); rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), "Расхождений:") {
		t.Errorf("the reconciliation's report without a login: %d", rec.Code)
	}
	if _, err := tr.run("journal", "mark-paid", declined.ID, "--reason", "bank confirmed", "--force", "--by", "tester"); err != nil {
		t.Fatalf("the CLI on the kiosk: %v", err)
	}
	if tr.get(declined.ID).State != plugin.StatePaid {
		t.Error("the CLI's act did not take")
	}
}

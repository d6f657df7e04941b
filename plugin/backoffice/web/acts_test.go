package web_test

import (
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/sbpd/sbpd/plugin"
	"github.com/sbpd/sbpd/plugin/backoffice"
)

// The payment page: every field, PayMaster's id, the history, and the
// acts, «Отправить оповещение» among them; found by our id, order number
// or PayMaster id.
func TestPayment_Page(t *testing.T) {
	f := newActing(t)
	f.plant("2001", 25990, plugin.StatePaid, "PM-2001", 1)
	for _, ref := range []string{"P-2001", "K07-2001-1", "PM-2001"} {
		a := f.get("/backoffice/payments/" + url.PathEscape(ref))
		want(t, a, 200, "PM-2001", "Отправить оповещение", "Отметить оплаченным", "Отметить неоплаченным", "Внесено вручную",
			"Сверить с PayMaster", "Информация о платеже", "История", "planted", "259,90 ₽ (25990 коп.)", "Оплачен")
	}
	want(t, f.get("/backoffice/payments/nope"), 404, "Платёж не найден", "no_payment")
	want(t, f.get("/backoffice/payments/P-2001/explode"), 404)
}

// Resend: confirmed, queued with who did it; a payment not final is
// refused with the service's reason.
func TestActs_Resync(t *testing.T) {
	f := newActing(t)
	f.plant("1", 100, plugin.StatePaid, "PM-1", 1)
	f.plant("2", 100, plugin.StateNeedsAttention, "PM-2", 2)
	want(t, f.get("/backoffice/payments/P-1/resync"), 200, "Отправить оповещение в учётную систему ещё раз", `action="/backoffice/payments/P-1/resync"`)
	csrf := f.csrf("/backoffice/payments/P-1/resync")
	a := f.post("/backoffice/payments/P-1/resync", url.Values{"csrf": {csrf}, "reason": {"1C is back"}, "by": {"petrov"}})
	if a.status != 303 || a.header.Get("Location") != "/backoffice/payments/P-1" {
		t.Fatalf("resync: %d %v %s", a.status, a.header, a.body)
	}
	want(t, f.get("/backoffice/payments/P-1"), 200, "Отправить оповещение: готово", "P-1:paid", "ждёт отправки")
	if ev := f.lastEvent("P-1"); ev.Actor != "web:petrov" || !strings.Contains(ev.Detail, "1C is back") {
		t.Fatalf("event %+v", ev)
	}
	a = f.post("/backoffice/payments/P-2/resync", url.Values{"csrf": {csrf}})
	want(t, a, 409, "Платёж не завершён", backoffice.RNotFinal, "not final")
}

// Resend without notify.url: still queued, and the outcome says the
// address is not set instead of promising a delivery within seconds.
func TestActs_ResyncWithoutNotifyURL(t *testing.T) {
	f := newActing(t)
	f.svc.NoNotify = true
	f.plant("1", 100, plugin.StatePaid, "PM-1", 1)
	csrf := f.csrf("/backoffice/payments/P-1/resync")
	if a := f.post("/backoffice/payments/P-1/resync", url.Values{"csrf": {csrf}}); a.status != 303 {
		t.Fatalf("resync: %d %s", a.status, a.body)
	}
	a := f.get("/backoffice/payments/P-1")
	want(t, a, 200, "Отправить оповещение: готово", "P-1:paid", "ждёт отправки", "адрес учётной системы (notify.url) не задан")
	if strings.Contains(a.body, "в течение нескольких секунд") {
		t.Errorf("promises a delivery that cannot happen:\n%s", a.body)
	}
}

// Mark paid asks PayMaster first: refused when PayMaster does not say
// Settled, and nothing changes; done when it does.
func TestActs_MarkPaid(t *testing.T) {
	f := newActing(t)
	f.plant("1", 25990, plugin.StateNeedsAttention, "PM-1", 1)
	f.pm.byID["PM-1"] = plugin.Remote{ID: "PM-1", OrderNo: "K07-1-1", Status: plugin.RemoteCancelled, Amount: 25990}
	csrf := f.csrf("/backoffice/payments/P-1/mark-paid")
	form := url.Values{"csrf": {csrf}, "reason": {"bank confirmed, ticket 4411"}, "by": {"ivanov"}}
	a := f.post("/backoffice/payments/P-1/mark-paid", form)
	want(t, a, 409, "PayMaster не подтверждает", backoffice.RPayMasterDisagrees, "does not say it is settled", "bank confirmed, ticket 4411")
	if st := f.state("P-1"); st != plugin.StateNeedsAttention {
		t.Fatalf("refused, but now %s", st)
	}
	want(t, f.post("/backoffice/payments/P-1/mark-paid", url.Values{"csrf": {csrf}}), 422, "Укажите причину", backoffice.RReasonRequired)
	want(t, f.post("/backoffice/payments/P-1/mark-paid", url.Values{"csrf": {csrf}, "reason": {strings.Repeat("я", 501)}}), 422, "Слишком длинная причина")

	f.pm.byID["PM-1"] = plugin.Remote{ID: "PM-1", OrderNo: "K07-1-1", Status: plugin.RemoteSettled, Amount: 25990}
	if a := f.post("/backoffice/payments/P-1/mark-paid", form); a.status != 303 {
		t.Fatalf("mark paid: %d %s", a.status, a.body)
	}
	if st, ev := f.state("P-1"), f.lastEvent("P-1"); st != plugin.StatePaid || ev.Kind != backoffice.EvManualPaid || ev.Actor != "web:ivanov" {
		t.Fatalf("state %s, event %+v", st, ev)
	}
	want(t, f.get("/backoffice/payments/P-1"), 200, "Отметить оплаченным: готово", "PayMaster says Settled")
}

// Reconcile shows the differences and applies the safe ones on request.
func TestReconcile(t *testing.T) {
	f := newActing(t)
	f.plant("1", 25990, plugin.StateNeedsAttention, "PM-1", 1)
	f.pm.byID["PM-1"] = plugin.Remote{ID: "PM-1", OrderNo: "K07-1-1", Status: plugin.RemoteSettled, Amount: 25990, Created: t0.Add(1)}
	want(t, f.get("/backoffice/reconcile"), 200, "Сверка с PayMaster")
	// A GET only fills the form: a reconciliation is a POST with the token.
	calls := 0
	f.pm.onList = func() { calls++ }
	a := f.get("/backoffice/reconcile?from=2026-06-01&to=2026-06-01")
	want(t, a, 200, `value="2026-06-01"`)
	if calls != 0 || strings.Contains(a.body, "Расхождений:") {
		t.Fatalf("a GET ran the reconciliation (%d lists)", calls)
	}
	csrf := f.csrf("/backoffice/reconcile")
	if a := f.post("/backoffice/reconcile", url.Values{"from": {"2026-06-01"}, "to": {"2026-06-01"}}); a.status != 403 || calls != 0 {
		t.Fatalf("without the token: %d, %d lists", a.status, calls)
	}
	want(t, f.post("/backoffice/reconcile", url.Values{"csrf": {csrf}, "from": {"2026-06-01"}}), 400, "required")
	want(t, f.post("/backoffice/reconcile", url.Values{"csrf": {csrf}, "from": {"2025-06-01"}, "to": {"2026-06-01"}}), 422,
		"Слишком длинный период", "at most 31 days")
	// The day's `sbpd paymaster probe`: counted, not a difference.
	probe := plugin.ProbeOrderNo("K07", t0.Add(time.Hour))
	f.pm.byID["PM-PROBE"] = plugin.Remote{ID: "PM-PROBE", OrderNo: probe, Status: plugin.RemoteCancelled, Amount: 100, Created: t0.Add(time.Hour)}
	a = f.post("/backoffice/reconcile", url.Values{"csrf": {csrf}, "from": {"2026-06-01"}, "to": {"2026-06-01"}})
	want(t, a, 200, "Расхождений: 1, исправлено: 0, осталось: 1", backoffice.DiffPaidAtPayMaster, "можно исправить", "Применить безопасные исправления",
		"пробных платежей sbpd paymaster probe: 1 (не сравниваются)")
	if strings.Contains(a.body, probe) {
		t.Errorf("the probe's payment %s is listed as a difference", probe)
	}
	if st := f.state("P-1"); st != plugin.StateNeedsAttention {
		t.Fatalf("a look changed the payment: %s", st)
	}
	a = f.post("/backoffice/reconcile", url.Values{"csrf": {csrf}, "from": {"2026-06-01"}, "to": {"2026-06-01"}, "apply": {"1"}})
	want(t, a, 200, "Расхождений: 1, исправлено: 1, осталось: 0", "исправлено")
	if st := f.state("P-1"); st != plugin.StatePaid {
		t.Fatalf("applied, but %s", st)
	}
}

// One reconciliation (or doctor's run) at a time: another is told to
// wait; the page lists at most maxDiffs differences and counts the rest.
func TestReconcile_OneAtATimeAndBounded(t *testing.T) {
	f := newFixture(t, "")
	for i := range 205 {
		id := fmt.Sprintf("PM-%d", i)
		f.pm.byID[id] = plugin.Remote{ID: id, OrderNo: fmt.Sprintf("K07-%d-1", i), Status: plugin.RemoteSettled, Amount: 100, Created: t0.Add(time.Minute)}
	}
	csrf := f.csrf("/backoffice/reconcile")
	form := url.Values{"csrf": {csrf}, "from": {"2026-06-01"}, "to": {"2026-06-01"}}
	entered, release := make(chan struct{}), make(chan struct{})
	f.pm.onList = func() { entered <- struct{}{}; <-release }
	first := make(chan answer)
	go func() { first <- f.post("/backoffice/reconcile", form) }()
	<-entered
	a := f.post("/backoffice/reconcile", form)
	want(t, a, 429, "уже идёт сверка")
	if a.header.Get("Retry-After") == "" {
		t.Error("429 without Retry-After")
	}
	want(t, f.post("/backoffice/kiosk", url.Values{"csrf": {csrf}}), 429, "уже идёт проверка киоска")
	close(release)
	a = <-first
	want(t, a, 200, "Расхождений: 205", "ещё 5 не показаны (missing_here: 5)")
	if n := strings.Count(a.body, "<td>missing_here</td>"); n != 200 {
		t.Errorf("%d differences listed, want 200", n)
	}
}

// An act on an unknown payment is refused as the CLI refuses it: the id
// goes to the service as given.
func TestActs_UnknownPayment(t *testing.T) {
	f := newActing(t)
	f.plant("1", 100, plugin.StatePaid, "", 1)
	csrf := f.csrf("/backoffice/payments/P-1/resync")
	for _, act := range []string{"mark-paid", "mark-not-paid", "mark-entered", "resync"} {
		want(t, f.post("/backoffice/payments/nope/"+act, url.Values{"csrf": {csrf}, "reason": {"x"}}), 404,
			"Платёж не найден", backoffice.RNoPayment, "no payment with id, order number or PayMaster id &#34;nope&#34;")
	}
}

// Every act takes what the payment page takes: the order number (what
// the kiosk's needs-attention screen shows), PayMaster's id or our id;
// done, it goes back to the payment under our id. A reference two
// payments share is refused, as by the CLI, and changes nothing.
func TestActs_ByReference(t *testing.T) {
	f := newActing(t)
	p := f.plant("K07/200", 25990, plugin.StateNeedsAttention, "40211873", 1)
	f.plant("2", 100, plugin.StatePaid, "PM-TWICE", 2)
	f.plant("3", 100, plugin.StatePaid, "PM-TWICE", 3)
	f.pm.byID["40211873"] = plugin.Remote{ID: "40211873", OrderNo: p.OrderNo, Status: plugin.RemoteSettled, Amount: 25990}
	csrf := f.csrf("/backoffice/payments/P-2/resync")
	home := "/backoffice/payments/" + url.PathEscape(p.ID)
	for _, c := range []struct{ act, ref string }{
		{"mark-paid", p.OrderNo}, {"resync", "40211873"}, {"mark-entered", p.OrderNo},
	} {
		path := "/backoffice/payments/" + url.PathEscape(c.ref) + "/" + c.act
		want(t, f.get(path), 200, `action="`+home+"/"+c.act+`"`)
		a := f.post(path, url.Values{"csrf": {csrf}, "reason": {"bank confirmed"}, "by": {"ivanov"}})
		if a.status != 303 || a.header.Get("Location") != home {
			t.Fatalf("%s %s: %d %v %s", c.act, c.ref, a.status, a.header, a.body)
		}
	}
	if st := f.state(p.ID); st != plugin.StatePaid {
		t.Fatalf("%s is %s, want paid", p.ID, st)
	}
	want(t, f.get(home), 200, "Внесено вручную: готово")
	for _, act := range []string{"mark-not-paid", "mark-entered", "resync"} {
		want(t, f.post("/backoffice/payments/PM-TWICE/"+act, url.Values{"csrf": {csrf}, "reason": {"x"}}), 409,
			backoffice.RAmbiguous, "matches 2 payments (P-3, P-2): give our id")
	}
	for _, id := range []string{"P-2", "P-3"} {
		if ev := f.lastEvent(id); ev.Kind != "planted" {
			t.Errorf("%s changed by an ambiguous act: %+v", id, ev)
		}
	}
}

package main

// The web back office in a real headless Chromium, driven with chromedp
// against the running daemon (its till API server, browser rules and
// all) and the PayMaster sandbox: log in, filter, open a payment, resend
// its notification, a mark-paid that PayMaster refuses, reconcile, and a
// real download of the export. With SBPD_SCREENSHOTS=docs/backoffice the
// test writes the screenshots docs/backoffice.md shows.

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/browser"
	"github.com/chromedp/chromedp"

	"github.com/sbpd/sbpd/config"
	"github.com/sbpd/sbpd/drivers/paymaster"
	"github.com/sbpd/sbpd/plugin"
)

const browserAPIToken = "bo-browser-token-5e2d9a7c41f0b388"

// boPlant records a payment of the e2e daemon's journal in state, with a
// payment at the sandbox when remote (settled when paid).
func boPlant(t *testing.T, h *e2e, gw *paymaster.Gateway, check string, amount int64, state plugin.State, remote, paid bool) *plugin.Payment {
	t.Helper()
	ctx := context.Background()
	now := h.clock.Now()
	p := &plugin.Payment{ID: "P-" + check, CheckID: check, OrderNo: "K07-" + check + "-1", Amount: amount, Mode: plugin.ModeScreen,
		State: plugin.StateCreating, IdempotencyKey: "key-" + check, ExpiresAt: now.Add(5 * time.Minute), CreatedAt: now, UpdatedAt: now}
	j := h.d.DB.Journal()
	if err := j.Create(ctx, p, plugin.Event{Kind: plugin.EvCreated, Actor: "till", At: now}); err != nil {
		t.Fatal(err)
	}
	if remote {
		r, err := gw.CreatePayment(ctx, plugin.CreateRequest{OrderNo: p.OrderNo, Amount: amount, Description: "test",
			Expires: now.Add(30 * time.Minute), IdempotencyKey: "idem-" + check})
		if err != nil {
			t.Fatal(err)
		}
		p.PayMasterID, p.PayMasterStatus = r.ID, string(r.Status)
		if paid {
			if err := h.sb.Pay(r.ID); err != nil {
				t.Fatal(err)
			}
			p.PayMasterStatus, p.ResultCode = "Settled", "Success"
		}
	}
	p.State = state
	switch state {
	case plugin.StateNeedsAttention:
		p.Reason, p.Message = plugin.ReasonLifetimeEnded, "Требует проверки"
	case plugin.StateNotPaid:
		p.Reason = plugin.ReasonExpired
	}
	if err := j.Update(ctx, p, plugin.Event{Kind: plugin.EvFinal, Actor: "sbpd", At: now}); err != nil {
		t.Fatal(err)
	}
	h.clock.Advance(7 * time.Minute)
	return p
}

// boTab is one browser tab on the back office.
type boTab struct {
	*kioskPage
}

// wait waits for the element with id, and on failure says what the page
// shows instead.
func (b *boTab) wait(id string) {
	b.tb.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 15*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, chromedp.WaitVisible(chromedp.ID(id))); err != nil {
		var where, body string
		b.eval(`location.href`, &where)
		b.eval(`document.body ? document.body.innerText : ""`, &body)
		b.tb.Fatalf("no #%s (%v) at %s; the page says:\n%s", id, err, where, body)
	}
	// The element shows before the stylesheet has loaded on a busy
	// machine: what is measured next (fits) needs the page's own styles.
	for deadline := time.Now().Add(15 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		var state string
		b.eval(`document.readyState`, &state)
		if state == "complete" {
			return
		}
		if time.Now().After(deadline) {
			b.tb.Fatalf("#%s: the page did not finish loading (readyState %q)", id, state)
		}
	}
}

func (b *boTab) text() string {
	b.tb.Helper()
	var s string
	b.eval(`document.body ? document.body.innerText : ""`, &s)
	return s
}

func (b *boTab) wantText(parts ...string) {
	b.tb.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		s, missing := b.text(), ""
		for _, p := range parts {
			if !strings.Contains(s, p) {
				missing = p
				break
			}
		}
		if missing == "" {
			return
		}
		if time.Now().After(deadline) {
			b.tb.Fatalf("the page does not say %q; it says:\n%s", missing, s)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// fits checks that the page is usable at its size: nothing wider than the
// screen, every button and link-button at least 44 px high.
func (b *boTab) fits(name string) {
	b.tb.Helper()
	var r struct {
		Wide    bool    `json:"wide"`
		Smalles float64 `json:"smallest"`
	}
	b.eval(`(() => { let m = 1e9; for (const e of document.querySelectorAll("button, .button, input, select, textarea")) {
	  const h = e.getBoundingClientRect().height; if (h > 0 && e.type !== "hidden" && e.type !== "checkbox") m = Math.min(m, h); }
	  return { wide: document.documentElement.scrollWidth > innerWidth + 1, smallest: m }; })()`, &r)
	if r.Wide {
		b.tb.Errorf("%s: wider than the 1024 px screen", name)
	}
	if r.Smalles < 44 {
		b.tb.Errorf("%s: a control only %.0f px high (touch targets need 44)", name, r.Smalles)
	}
}

func TestBrowser_BackOffice(t *testing.T) {
	ctx := startBrowser(t)
	h := newE2E(t, func(c *config.Config) { c.APIToken = browserAPIToken })
	gw, err := paymaster.New(paymaster.Config{BaseURL: h.cfg.PayMaster.BaseURL, MerchantID: h.sb.MerchantID(), Token: h.sb.Token()})
	if err != nil {
		t.Fatal(err)
	}
	for i, c := range []struct {
		check  string
		amount int64
		state  plugin.State
	}{{"100231", 25990, plugin.StatePaid}, {"100232", 4990, plugin.StateNotPaid}, {"100233", 129900, plugin.StatePaid},
		{"100234", 35050, plugin.StatePaid}, {"100235", 78000, plugin.StateNotPaid}} {
		boPlant(t, h, gw, c.check, c.amount, c.state, i%2 == 0, c.state == plugin.StatePaid && i%2 == 0)
	}
	refused := boPlant(t, h, gw, "100240", 51000, plugin.StateNeedsAttention, true, false) // PayMaster: not settled
	settled := boPlant(t, h, gw, "100241", 88800, plugin.StateNeedsAttention, true, true)  // PayMaster: settled
	paid := boPlant(t, h, gw, "100242", 25990, plugin.StatePaid, true, true)

	bctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	tabCtx, cancelTab := chromedp.NewContext(bctx)
	defer cancelTab()
	b := &boTab{&kioskPage{tb: t, ctx: tabCtx, url: h.d.URL() + "/backoffice/"}}
	base := h.d.URL()

	// Log in: nothing of the journal before.
	b.do(chromedp.EmulateViewport(screen43[0], screen43[1], chromedp.EmulateTouch), chromedp.Navigate(base+"/backoffice/"))
	b.wait("login")
	if s := b.text(); strings.Contains(s, "100231") || strings.Contains(s, paid.PayMasterID) {
		t.Fatalf("the journal shows before login:\n%s", s)
	}
	b.save("01-login")
	b.do(chromedp.SendKeys(chromedp.CSS(`input[name="token"]`), browserAPIToken), chromedp.SendKeys(chromedp.CSS(`input[name="name"]`), "Иванов"),
		chromedp.Click(chromedp.CSS(`#login button`)))
	b.wait("journal")
	b.wantText("Платежи", "Передано в учёт", "Статус от банка", "259,90 ₽", "Иванов")
	if strings.Contains(b.text(), browserAPIToken) {
		t.Fatal("the token is on the page")
	}
	var cookieJS string
	b.eval(`document.cookie`, &cookieJS)
	if strings.Contains(cookieJS, "sbpd_backoffice") {
		t.Errorf("the session cookie is readable by scripts: %q", cookieJS)
	}
	b.fits("journal")
	b.save("02-journal")

	// Filter: only paid, in the URL.
	b.do(chromedp.SetValue(chromedp.CSS(`select[name="state"]`), "paid"), chromedp.Click(chromedp.CSS(`#filters button`)))
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		var at string
		b.eval(`location.search + (document.getElementById("journal") ? " ready" : "")`, &at)
		if strings.Contains(at, "state=paid") && strings.HasSuffix(at, " ready") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the filter did not navigate: %s", at)
		}
	}
	var states []string
	var href string
	b.eval(`[...document.querySelectorAll("#journal tr[data-id]")].map(r => r.dataset.state)`, &states)
	b.eval(`location.href`, &href)
	if len(states) != 4 || strings.Count(strings.Join(states, ","), "paid") != 4 || strings.Contains(strings.Join(states, ","), "not_paid") ||
		!strings.Contains(href, "state=paid") {
		t.Fatalf("?state=paid shows %v at %s", states, href)
	}
	b.save("03-filter-paid")

	// Download the export of this filter, for real.
	dir := t.TempDir()
	b.do(chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
		_, err := chromedp.CallBrowser(ctx, browser.SetDownloadBehavior, browser.SetDownloadBehaviorParams{
			Behavior: browser.SetDownloadBehaviorBehaviorAllow, DownloadPath: dir})
		return err
	}), chromedp.Click(chromedp.ID("export-csv")))
	// Chromium writes to a .crdownload file and renames it, under the name
	// the answer gave, once the download is complete.
	var csv []byte
	for deadline := time.Now().Add(15 * time.Second); csv == nil; time.Sleep(20 * time.Millisecond) {
		names, _ := filepath.Glob(filepath.Join(dir, "sbpd-payments-*.csv"))
		if len(names) == 1 {
			csv, _ = os.ReadFile(names[0])
		} else if time.Now().After(deadline) {
			all, _ := os.ReadDir(dir)
			t.Fatalf("no export downloaded into %s: %v", dir, all)
		}
	}
	if lines := strings.Split(strings.TrimSpace(string(csv)), "\n"); len(lines) != 5 || !strings.HasPrefix(lines[0], "created_at,") ||
		!strings.Contains(string(csv), paid.ID) || strings.Contains(string(csv), "not_paid") {
		t.Fatalf("the downloaded export:\n%s", csv)
	}

	// Open a payment: PayMaster's id and «Отправить оповещение».
	b.do(chromedp.Click(chromedp.CSS(`#journal tr[data-id="` + paid.ID + `"] a`)))
	b.wait("acts")
	b.wantText(paid.PayMasterID, "Отправить оповещение", "Информация о платеже", "История")
	b.fits("payment")
	b.save("04-payment")

	// Resend, with the confirmation step.
	b.do(chromedp.Click(chromedp.CSS(`#acts a[href$="/resync"]`)))
	b.wait("confirm")
	b.do(chromedp.SendKeys(chromedp.CSS(`textarea[name="reason"]`), "1С снова работает"))
	b.save("05-confirm-resend")
	b.do(chromedp.Click(chromedp.ID("do")))
	b.wait("flash")
	b.wantText("Отправить оповещение: готово", paid.ID+":paid")
	if ev := lastEvent(t, h, paid.ID); ev.Kind != "resync" || ev.Actor != "web:Иванов" {
		t.Fatalf("the resend recorded %+v", ev)
	}
	b.save("06-resent")

	// Mark paid: PayMaster does not say Settled, so it is refused with why.
	b.do(chromedp.Navigate(base+"/backoffice/payments/"+refused.ID+"/mark-paid"), chromedp.WaitVisible(chromedp.ID("confirm")),
		chromedp.SendKeys(chromedp.CSS(`textarea[name="reason"]`), "банк подтвердил по телефону"), chromedp.Click(chromedp.ID("do")))
	b.wait("flash")
	b.wantText("PayMaster не подтверждает", "does not say it is settled", "paymaster_disagrees")
	if got := boGet(t, h, refused.ID); got.State != plugin.StateNeedsAttention {
		t.Fatalf("refused, but now %s", got.State)
	}
	b.fits("refusal")
	b.save("07-mark-paid-refused")

	// Reconcile the day, then apply the safe difference.
	day := h.clock.Now().In(journalZone()).Format(time.DateOnly)
	b.do(chromedp.Click(chromedp.CSS(`header nav a[href="/backoffice/reconcile"]`)), chromedp.WaitVisible(chromedp.ID("period")),
		chromedp.SendKeys(chromedp.CSS(`#period input[name="from"]`), day), chromedp.SendKeys(chromedp.CSS(`#period input[name="to"]`), day),
		chromedp.Click(chromedp.CSS(`#period button`)))
	b.wait("summary")
	b.wantText("paid_at_paymaster", settled.ID, "можно исправить", "Применить безопасные исправления")
	b.save("08-reconcile")
	b.do(chromedp.Click(chromedp.CSS(`#apply button`)))
	b.wait("summary")
	b.wantText("Исправлено:", "исправлено: теперь «Оплачен»")
	if got := boGet(t, h, settled.ID); got.State != plugin.StatePaid {
		t.Fatalf("applied, but %s", got.State)
	}
	b.save("09-reconciled")

	// The kiosk page, with doctor's checks run.
	b.do(chromedp.Click(chromedp.CSS(`header nav a[href="/backoffice/kiosk"]`)), chromedp.WaitVisible(chromedp.ID("run-doctor")),
		chromedp.Click(chromedp.ID("run-doctor")))
	b.wait("checks")
	b.wantText("Версия sbpd", "api.token", "PayMaster token", "Настройки в силе")
	if s := b.text(); strings.Contains(s, browserAPIToken) || strings.Contains(s, h.sb.Token()) {
		t.Fatal("a secret on the kiosk page")
	}
	b.fits("kiosk")
	b.save("10-kiosk")

	// Log out: the journal is gone again.
	b.do(chromedp.Click(chromedp.CSS(`form.logout button`)))
	b.wait("login")
}

func lastEvent(t *testing.T, h *e2e, id string) plugin.Event {
	t.Helper()
	evs, err := h.d.DB.Journal().Events(context.Background(), id)
	if err != nil || len(evs) == 0 {
		t.Fatal(err)
	}
	return evs[len(evs)-1]
}

func boGet(t *testing.T, h *e2e, id string) *plugin.Payment {
	t.Helper()
	p, err := h.d.DB.Journal().Get(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/sbpd/sbpd/config"
	"github.com/sbpd/sbpd/drivers/paymaster/sandbox"
	"github.com/sbpd/sbpd/plugin"
)

// The attacks of a web page open in the kiosk's browser, against the
// packaged defaults (till API on loopback, no api.token). Each is what a
// security review did to the daemon before the browser rules; the tests
// hold that none of them reaches the journal or PayMaster now.

// journalAndBank is what an attack must not change: the journal's
// payments and their states, and the payments at PayMaster.
func journalAndBank(t *testing.T, h *e2e) string {
	t.Helper()
	ps, err := h.d.DB.Journal().Search(context.Background(), plugin.Filter{Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	for _, p := range ps {
		fmt.Fprintf(&b, "%s %s %s %d; ", p.ID, p.CheckID, p.State, p.Amount)
	}
	fmt.Fprintf(&b, "bank: %d payments, %d creates, %d cancels", len(h.sb.Payments()), h.sb.Calls("create"), h.sb.Calls("cancel"))
	return b.String()
}

// rawDo sends one request to the daemon with the headers given as pairs;
// "Host" sets the Host header.
func rawDo(t *testing.T, base, method, path, body string, header ...string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(method, base+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if body == "" {
		req.Body = http.NoBody
	}
	for i := 0; i+1 < len(header); i += 2 {
		if header[i] == "Host" {
			req.Host = header[i+1]
			continue
		}
		req.Header.Set(header[i], header[i+1])
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(b)
}

// TestSecurity_BrowserRequestsRefused: the reproductions of the review
// with curl's eyes: simple cross-site POSTs, a cross-site JSON POST, a
// cross-site cancel, and DNS-rebinding requests naming another Host on
// every route. All 4xx; nothing reaches the journal or PayMaster.
func TestSecurity_BrowserRequestsRefused(t *testing.T) {
	h := newE2E(t)
	p := statusUnknown(false)(t, h)
	h.d.Screen.Show(p)
	before := journalAndBank(t, h)
	_, port, _ := net.SplitHostPort(h.d.Addr())
	evil := "evil.example:" + port
	start := `{"check_id":"X","amount":100}`
	for _, c := range []struct {
		method, path, body string
		header             []string
	}{
		{"POST", "/api/v1/payments", start, []string{"Content-Type", "text/plain", "Origin", "http://evil.example", "Sec-Fetch-Site", "cross-site"}},
		{"POST", "/api/v1/payments", start, []string{"Content-Type", "text/plain"}},
		{"POST", "/api/v1/payments", "check_id=X&amount=100", []string{"Content-Type", "application/x-www-form-urlencoded"}},
		{"POST", "/api/v1/payments", start, []string{"Content-Type", "application/json", "Origin", "http://evil.example", "Sec-Fetch-Site", "cross-site"}},
		{"POST", "/api/v1/payments/" + p.ID + "/cancel", "", []string{"Origin", "http://evil.example", "Sec-Fetch-Site", "cross-site"}},
		{"POST", "/screen/payments/" + p.ID + "/cancel", "", []string{"Origin", "http://evil.example", "Sec-Fetch-Site", "cross-site"}},
		{"POST", "/screen/payments/" + p.ID + "/retry", "", []string{"Origin", "http://localhost:1", "Sec-Fetch-Site", "same-site"}},
		// DNS rebinding: the page's own name, same-origin to the browser.
		{"POST", "/api/v1/payments", start, []string{"Content-Type", "application/json", "Host", evil, "Origin", "http://" + evil, "Sec-Fetch-Site", "same-origin"}},
		{"POST", "/api/v1/payments/" + p.ID + "/cancel", "", []string{"Host", evil}},
		{"POST", "/api/v1/payments/" + p.ID + "/retry", "", []string{"Host", evil}},
		{"POST", "/screen/payments/" + p.ID + "/cancel", "", []string{"Host", evil, "Origin", "http://" + evil, "Sec-Fetch-Site", "same-origin"}},
		{"GET", "/api/v1/payments", "", []string{"Host", evil}},
		{"GET", "/api/v1/payments/" + p.ID, "", []string{"Host", evil}},
		{"GET", "/healthz", "", []string{"Host", evil}},
		{"GET", "/metrics", "", []string{"Host", evil}},
		{"GET", "/", "", []string{"Host", evil}},
		{"GET", "/screen/current.json", "", []string{"Host", evil}},
		{"GET", "/api/v1/openapi.json", "", []string{"Host", evil}},
	} {
		st, body := rawDo(t, h.d.URL(), c.method, c.path, c.body, c.header...)
		if st < 400 || st >= 500 {
			t.Errorf("%s %s %v: %d, want 4xx: %.300s", c.method, c.path, c.header, st, body)
		}
		if strings.Contains(body, p.ID) || strings.Contains(body, p.QRPayload) {
			t.Errorf("%s %s %v: the answer shows the payment: %.300s", c.method, c.path, c.header, body)
		}
	}
	if after := journalAndBank(t, h); after != before {
		t.Fatalf("the attacks changed the journal or PayMaster:\nbefore %s\nafter  %s", before, after)
	}
	// The till itself, as before.
	if st, b := rawDo(t, h.d.URL(), "POST", "/api/v1/payments/"+p.ID+"/cancel", ""); st != 200 {
		t.Fatalf("the till's cancel: %d %s", st, b)
	}
}

// rebinder is a server that first serves the attacker's page and then,
// once rebound, hands every new connection to the daemon, as a DNS name
// that changes to 127.0.0.1 does: the browser keeps the page's origin and
// sends its own name as Host.
type rebinder struct {
	ln      net.Listener
	page    string
	target  string
	rebound atomic.Bool
}

func newRebinder(t *testing.T, target, page string) *rebinder {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	r := &rebinder{ln: ln, page: page, target: target}
	t.Cleanup(func() { ln.Close() })
	go r.serve()
	return r
}

func (r *rebinder) serve() {
	for {
		c, err := r.ln.Accept()
		if err != nil {
			return
		}
		go func() {
			defer c.Close()
			br := bufio.NewReader(c)
			req, err := http.ReadRequest(br)
			if err != nil {
				return
			}
			if !r.rebound.Load() {
				fmt.Fprintf(c, "HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: %d\r\nConnection: close\r\n\r\n%s",
					len(r.page), r.page)
				return
			}
			// Rebound: this request and the rest go to the daemon as sent,
			// Host and all (a connection the browser opened before the
			// rebinding counts as after it, as a DNS change would).
			d, err := net.Dial("tcp", r.target)
			if err != nil {
				return
			}
			defer d.Close()
			if req.Write(d) != nil {
				return
			}
			go io.Copy(d, br)
			io.Copy(c, d)
		}()
	}
}

// TestBrowser_AttackerPageChangesNothing: in real headless Chromium, a
// page from another origin tries a form POST, no-cors fetches (start and
// cancel, on the API and on the screen's button), a CORS read of the
// journal, and, rebound to 127.0.0.1, same-origin requests naming its own
// Host, while the screen's Отменить would act: in the dialog
// (status_unknown) and on the QR screen with its own Отменить
// (awaiting_payment). Neither the journal nor PayMaster changes; the till
// and the kiosk page still work.
func TestBrowser_AttackerPageChangesNothing(t *testing.T) {
	browser := startBrowser(t)
	for _, c := range []struct {
		name  string
		drive func(t *testing.T, h *e2e) plugin.Payment
		want  func(p plugin.Payment) screenWant
	}{
		{"status_unknown", statusUnknown(false), func(p plugin.Payment) screenWant { return wantDialog(p, plugin.TextNotCompleted) }},
		{"awaiting_payment", func(t *testing.T, h *e2e) plugin.Payment { return h.start("000153", 25990, false) }, wantQR},
	} {
		t.Run(c.name, func(t *testing.T) {
			h := newE2E(t)
			wireScreen(t, h)
			p := c.drive(t, h)
			h.d.Screen.Show(p)
			kiosk := openKioskPage(t, browser, h.d.URL(), screen43)
			kiosk.waitFor(c.want(p))
			attackScreen(t, browser, h, p, kiosk)
		})
	}
}

// attackScreen makes the attacks of TestBrowser_AttackerPageChangesNothing
// on payment p, on show on the kiosk page, then taps the kiosk's own
// Отменить: the one cancel at PayMaster.
func attackScreen(t *testing.T, browser context.Context, h *e2e, p plugin.Payment, kiosk *kioskPage) {
	before := journalAndBank(t, h)
	daemon := h.d.URL()

	// 1. Another origin (localhost vs 127.0.0.1: another site).
	attack := fmt.Sprintf(`<!doctype html><meta charset="utf-8"><title>attack</title>
<iframe name="sink"></iframe>
<form id="f" method="POST" action="%[1]s/api/v1/payments" enctype="text/plain" target="sink">
<input name='{"check_id":"FORM","amount":100,"x":"' value='"}'></form>
<script>
window.results = [];
async function hit(name, url, init) {
  try { const r = await fetch(url, init); window.results.push(name + ":" + r.status + ":" + r.type); }
  catch (e) { window.results.push(name + ":error"); }
}
window.run = async function () {
  document.getElementById("f").submit();
  await hit("no-cors start", "%[1]s/api/v1/payments", {method: "POST", mode: "no-cors", body: '{"check_id":"CSRF","amount":31337}'});
  await hit("no-cors blob", "%[1]s/api/v1/payments", {method: "POST", mode: "no-cors", body: new Blob(['{"check_id":"BLOB","amount":31337}'])});
  await hit("no-cors cancel", "%[1]s/api/v1/payments/%[2]s/cancel", {method: "POST", mode: "no-cors"});
  await hit("no-cors screen cancel", "%[1]s/screen/payments/%[2]s/cancel", {method: "POST", mode: "no-cors"});
  await hit("cors journal", "%[1]s/api/v1/payments", {mode: "cors"});
  await new Promise(r => setTimeout(r, 300)); // the form's navigation
  return window.results.length;
};
</script>`, daemon, p.ID)
	page := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		io.WriteString(w, attack)
	}))
	t.Cleanup(page.Close)
	_, pagePort, _ := net.SplitHostPort(page.Listener.Addr().String())
	tab, cancel := chromedp.NewContext(browser)
	defer cancel()
	tab, cancelT := context.WithTimeout(tab, time.Minute)
	defer cancelT()
	if err := chromedp.Do(tab, chromedp.Navigate("http://localhost:"+pagePort+"/")); err != nil {
		t.Fatal(err)
	}
	if _, err := chromedp.Run(tab, chromedp.Evaluate[int](`window.run()`, chromedp.EvalAwaitPromise)); err != nil {
		t.Fatal(err)
	}
	results, _ := chromedp.Run(tab, chromedp.Evaluate[[]string](`window.results`))
	t.Logf("cross-origin page: %v", results)
	if after := journalAndBank(t, h); after != before {
		t.Fatalf("a page from another origin changed the journal or PayMaster:\nbefore %s\nafter  %s", before, after)
	}

	// 2. DNS rebinding: the page's own name now points at the daemon.
	rebindPage := fmt.Sprintf(`<!doctype html><meta charset="utf-8"><title>rebind</title><script>
window.run = async function () {
  const out = [];
  async function hit(name, path, init) {
    try { const r = await fetch(path, init); out.push(name + ":" + r.status + ":" + (await r.text()).slice(0, 60)); }
    catch (e) { out.push(name + ":error " + e); }
  }
  await hit("journal", "/api/v1/payments");
  await hit("healthz", "/healthz");
  await hit("metrics", "/metrics");
  await hit("start", "/api/v1/payments", {method: "POST", headers: {"Content-Type": "application/json"}, body: '{"check_id":"REBIND","amount":31337}'});
  await hit("cancel", "/api/v1/payments/%[1]s/cancel", {method: "POST"});
  await hit("screen cancel", "/screen/payments/%[1]s/cancel", {method: "POST"});
  return out;
};
</script>`, p.ID)
	rb := newRebinder(t, h.d.Addr(), rebindPage)
	_, rbPort, _ := net.SplitHostPort(rb.ln.Addr().String())
	rebTab, cancel2 := chromedp.NewContext(browser)
	defer cancel2()
	rebTab, cancelT2 := context.WithTimeout(rebTab, time.Minute)
	defer cancelT2()
	// evil.example is sent to 127.0.0.1 by the browser's resolver rules
	// (startBrowser), as a rebinding DNS server would.
	if err := chromedp.Do(rebTab, chromedp.Navigate("http://evil.example:"+rbPort+"/")); err != nil {
		t.Fatal(err)
	}
	rb.rebound.Store(true)
	out, err := chromedp.Run(rebTab, chromedp.Evaluate[[]string](`window.run()`, chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("rebound page: %v", out)
	if len(out) != 6 {
		t.Fatalf("rebound page: %v", out)
	}
	for _, r := range out {
		if !strings.Contains(r, ":421:") {
			t.Errorf("rebound request not refused with 421: %s", r)
		}
		if strings.Contains(r, p.ID) {
			t.Errorf("rebound request read the payment: %s", r)
		}
	}
	if after := journalAndBank(t, h); after != before {
		t.Fatalf("a rebound page changed the journal or PayMaster:\nbefore %s\nafter  %s", before, after)
	}

	// The kiosk page works as before: the shopper's Отменить sends the
	// one cancel (a second after it appeared, on the page's clock).
	kiosk.settle()
	kiosk.do(chromedp.Tap(chromedp.ID("cancel")))
	for deadline := time.Now().Add(10 * time.Second); h.sb.PaymentCalls(p.PayMasterID, sandbox.KindCancel) == 0; {
		if time.Now().After(deadline) {
			t.Fatal("the kiosk page's Отменить sent no cancel to PayMaster")
		}
		time.Sleep(5 * time.Millisecond)
	}
	h.sb.SetStatus(p.PayMasterID, sandbox.StatusCancelled)
	if got := h.until(p.ID, plugin.StateNotPaid, poll, 2); got.Reason != plugin.ReasonCancelled {
		t.Fatalf("the kiosk's own Отменить: %s %s", got.State, got.Reason)
	}
	if n := h.sb.PaymentCalls(p.PayMasterID, sandbox.KindCancel); n != 1 {
		t.Fatalf("%d cancels reached PayMaster, want the kiosk's one", n)
	}
}

// TestSecurity_APIHosts: a name the till uses for the kiosk, listed in
// api.hosts, is answered; others are not.
func TestSecurity_APIHosts(t *testing.T) {
	h := newE2E(t, func(c *config.Config) { c.APIHosts = []string{"kiosk-07.shop.lan"} })
	_, port, _ := net.SplitHostPort(h.d.Addr())
	if st, b := rawDo(t, h.d.URL(), "GET", "/healthz", "", "Host", "kiosk-07.shop.lan:"+port); st != 200 {
		t.Errorf("a name in api.hosts: %d %s", st, b)
	}
	if st, b := rawDo(t, h.d.URL(), "GET", "/healthz", "", "Host", "kiosk-08.shop.lan:"+port); st != http.StatusMisdirectedRequest {
		t.Errorf("a name not in api.hosts: %d %s", st, b)
	}
}

// TestBrowser_DemoPageUnderItsPolicy: the demo page works under its
// Content-Security-Policy in real Chromium: its script runs, its style
// applies, the kiosk page shows in its frame, Start reaches the till API
// (application/json) and the bank's Pay the sandbox.
func TestBrowser_DemoPageUnderItsPolicy(t *testing.T) {
	browser := startBrowser(t)
	h := newE2E(t)
	h.routes, h.embeddable = demoRoutes(h.sb, nil), true
	h.restart()
	tab, cancel := chromedp.NewContext(browser)
	defer cancel()
	tab, cancelT := context.WithTimeout(tab, time.Minute)
	defer cancelT()
	if err := chromedp.Do(tab, chromedp.Navigate(h.d.URL()+"/demo"), chromedp.WaitReady(chromedp.ID("start"))); err != nil {
		t.Fatal(err)
	}
	eval := func(js string) string {
		t.Helper()
		v, err := chromedp.Run(tab, chromedp.Evaluate[string](js))
		if err != nil {
			t.Fatalf("%s: %v", js, err)
		}
		return v
	}
	waitJS := func(what, js string) {
		t.Helper()
		for deadline := time.Now().Add(10 * time.Second); eval(js) != "yes"; {
			if time.Now().After(deadline) {
				t.Fatalf("%s: never", what)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	if v := eval(`document.getElementById("check").value`); v == "" {
		t.Fatal("the demo's script did not run (no check number)")
	}
	if v := eval(`getComputedStyle(document.querySelector("header")).backgroundColor`); v != "rgb(31, 41, 55)" {
		t.Errorf("the demo's style is not applied: header background %q", v)
	}
	waitJS("the kiosk page in the frame",
		`(() => { const d = document.getElementById("kiosk").contentDocument; return d && d.getElementById("screen") ? "yes" : "no"; })()`)
	if err := chromedp.Do(tab, chromedp.Click(chromedp.ID("start"))); err != nil {
		t.Fatal(err)
	}
	waitJS("a payment started from the demo page", `document.getElementById("state").textContent.includes("(") ? "yes" : "no"`)
	var p plugin.Payment
	for deadline := time.Now().Add(10 * time.Second); p.PayMasterID == ""; time.Sleep(20 * time.Millisecond) {
		ps, _ := h.d.DB.Journal().Search(context.Background(), plugin.Filter{Limit: 1})
		if len(ps) == 1 {
			p = *ps[0]
		}
		if time.Now().After(deadline) {
			t.Fatal("no payment with a PayMaster id in the journal")
		}
	}
	waitJS("the QR state on the demo page", `document.getElementById("json").textContent.includes("paymaster_id") ? "yes" : "no"`)
	if err := chromedp.Do(tab, chromedp.Click(`button[data-bank="pay"]`)); err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		if bank, _ := h.sb.Payment(p.PayMasterID); bank.Status == sandbox.StatusSettled {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the demo page's Pay did not reach the sandbox")
		}
	}
	got := h.until(p.ID, plugin.StatePaid, poll, 2)
	if got.State != plugin.StatePaid {
		t.Fatalf("after the bank's Pay: %s", got.State)
	}
}

// TestCLI_ServeWarnsNotifyOverHTTP: an http:// notify.url to another host
// set in the till settings (not the template) is warned about in serve's
// log too: the signed notifications would travel in clear.
func TestCLI_ServeWarnsNotifyOverHTTP(t *testing.T) {
	sb := newSandbox(t)
	path := writeConfig(t, sb, "")
	_, errOut, done := runCLI(context.Background(), "settings", "set", "notify.url", "http://accounting.example/hook", "--config", path)
	if err := <-done; err != nil {
		t.Fatalf("settings set: %v\n%s", err, errOut)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	_, stderr, _ := serveCLI(t, ctx, path)
	if log := stderr.String(); !strings.Contains(log, "settings warning") || !strings.Contains(log, "travel in clear") {
		t.Fatalf("serve's log does not warn about the http:// notify.url:\n%s", log)
	}
}

// metricValue is the value of an unlabelled metric in /metrics.
func metricValue(t *testing.T, h *e2e, name string) string {
	t.Helper()
	st, b := h.do("GET", "/metrics", "")
	if st != 200 {
		t.Fatalf("/metrics: %d", st)
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, name+" "); ok {
			return v
		}
	}
	t.Fatalf("no %s in /metrics", name)
	return ""
}

// TestMetrics_NeedsAttentionGauge: a payment whose cancel PayMaster refused
// is counted by sbpd_payments_needs_attention for as long as it stays so
// (the alert built on it does not forget it after an hour); resolving it
// brings the gauge back to 0.
func TestMetrics_NeedsAttentionGauge(t *testing.T) {
	h := newE2E(t)
	if v := metricValue(t, h, "sbpd_payments_needs_attention"); v != "0" {
		t.Fatalf("before: %s", v)
	}
	h.sb.SetCancelMode(sandbox.CancelReject)
	p := statusUnknown(false)(t, h)
	h.do("POST", "/api/v1/payments/"+p.ID+"/cancel", "")
	h.until(p.ID, plugin.StateNeedsAttention, poll, 3)
	if v := metricValue(t, h, "sbpd_payments_needs_attention"); v != "1" {
		t.Fatalf("with a refused cancel: %s, want 1", v)
	}
	h.clock.Advance(2 * time.Hour) // past any rule window
	if v := metricValue(t, h, "sbpd_payments_needs_attention"); v != "1" {
		t.Fatalf("two hours later: %s, want 1", v)
	}
	if v := metricValue(t, h, "sbpd_notify_paid_undelivered"); v != "0" {
		t.Fatalf("paid undelivered: %s", v)
	}
}

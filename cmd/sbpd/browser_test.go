package main

// The kiosk screen in a real headless Chromium, driven with chromedp against
// the running daemon and the PayMaster sandbox: every state's exact text,
// the QR read back from a screenshot, the dialog's buttons tapped, the page
// surviving a daemon restart. With SBPD_SCREENSHOTS=docs/screens (relative
// to the module root) the tests also write the screenshots the README shows.

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"image"
	"image/png"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/makiuchi-d/gozxing"
	zxqr "github.com/makiuchi-d/gozxing/qrcode"

	"github.com/sbpd/sbpd/config"
	"github.com/sbpd/sbpd/display"
	"github.com/sbpd/sbpd/drivers/paymaster/sandbox"
	"github.com/sbpd/sbpd/drivers/serial/serialtest"
	"github.com/sbpd/sbpd/plugin"
)

// Kiosk screens the page is laid out for.
var (
	screen43       = [2]int64{1024, 768}  // SetSCO, 4:3
	screenWide     = [2]int64{1920, 1080} // widescreen kiosks
	screenPortrait = [2]int64{1080, 1920} // portrait kiosks
)

// minButtonPx is 15 mm on the densest kiosk panel we expect (15.6" full
// HD, 141 ppi).
const minButtonPx = 15 / 25.4 * 141

// chromiumPath finds a Chromium to drive, or skips the test.
func chromiumPath(tb testing.TB) string {
	tb.Helper()
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	tb.Skip("kiosk screen browser test skipped: no chromium, chromium-browser or google-chrome in PATH (Debian: apt-get install chromium)")
	return ""
}

// startBrowser starts one headless Chromium for the test, with a fresh
// profile and nothing that calls home (it would hang on a closed network).
// Tabs are opened with openKioskPage.
func startBrowser(tb testing.TB) context.Context {
	tb.Helper()
	path := chromiumPath(tb)
	dir, err := os.MkdirTemp("", "sbpd-chromium")
	if err != nil {
		tb.Fatal(err)
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(path),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("hide-scrollbars", true),
		// A rebinding DNS server, for TestBrowser_AttackerPageChangesNothing.
		chromedp.Flag("host-resolver-rules", "MAP evil.example 127.0.0.1"),
		chromedp.UserDataDir(dir),
		chromedp.WindowSize(int(screen43[0]), int(screen43[1])),
	)
	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(alloc)
	tb.Cleanup(func() {
		cancel()
		cancelAlloc()
		// Chromium's helpers may still write to the profile for a moment.
		for range 50 {
			if os.RemoveAll(dir) == nil {
				return
			}
			time.Sleep(20 * time.Millisecond)
		}
	})
	// The first Run starts the browser and must not carry a timeout (it
	// would end the browser with it): a watchdog bounds it instead.
	watchdog := time.AfterFunc(60*time.Second, cancelAlloc)
	err = chromedp.Do(ctx)
	watchdog.Stop()
	if err != nil {
		tb.Fatalf("start %s: %v", path, err)
	}
	return ctx
}

// kioskPage is one tab showing the kiosk screen.
type kioskPage struct {
	tb  testing.TB
	ctx context.Context
	url string
}

// openKioskPage opens the screen of the daemon at base in a new touch-screen
// tab of size sz. Everything the tab does is bounded by one minute.
func openKioskPage(tb testing.TB, browser context.Context, base string, sz [2]int64) *kioskPage {
	tb.Helper()
	bounded, cancelT := context.WithTimeout(browser, time.Minute)
	ctx, cancel := chromedp.NewContext(bounded)
	tb.Cleanup(func() { cancel(); cancelT() })
	k := &kioskPage{tb: tb, ctx: ctx, url: base + "/"}
	if err := chromedp.Do(ctx,
		chromedp.EmulateViewport(sz[0], sz[1], chromedp.EmulateTouch),
		chromedp.Navigate(k.url),
		chromedp.WaitReady(chromedp.ID("screen")),
	); err != nil {
		tb.Fatalf("open the kiosk screen %s: %v", k.url, err)
	}
	return k
}

func (k *kioskPage) do(actions ...chromedp.Action[chromedp.Void]) {
	k.tb.Helper()
	if err := chromedp.Do(k.ctx, actions...); err != nil {
		k.tb.Fatal(err)
	}
}

func (k *kioskPage) resize(sz [2]int64) {
	k.tb.Helper()
	k.do(chromedp.EmulateViewport(sz[0], sz[1], chromedp.EmulateTouch))
}

func (k *kioskPage) eval(js string, out any) {
	k.tb.Helper()
	raw, err := chromedp.Run(k.ctx, chromedp.Evaluate[[]byte](js))
	if err != nil {
		k.tb.Fatalf("evaluate %.60q: %v", js, err)
	}
	if out != nil {
		if err := json.Unmarshal(raw, out); err != nil {
			k.tb.Fatalf("evaluate %.60q: %v: %s", js, err, raw)
		}
	}
}

// pageShown is what the page shows, read from the DOM as laid out.
type pageShown struct {
	View    string          `json:"view"`
	Link    string          `json:"link"`
	Lines   []string        `json:"lines"`  // the page's visible text, line by line
	Amount  string          `json:"amount"` // #amount's text when visible
	Visible map[string]bool `json:"visible"`
	QRReady bool            `json:"qrReady"`
	QRScale float64         `json:"qrScale"` // size on screen / image size
	QRBox   [4]float64      `json:"qrBox"`   // the QR's left, top, width, height in screenshot pixels
	Outside []string        `json:"outside"` // visible parts not wholly on the screen
	Buttons []float64       `json:"buttons"` // heights of the visible buttons
}

// screenParts are the page's pictures and controls; a view shows some of them.
var screenParts = []string{"spinner", "qr", "receipt", "sticker", "ok", "fail", "stop", "warn", "retry", "cancel", "sbp"}

const shownJS = `(() => {
  const vis = el => { if (!el) return false; const r = el.getBoundingClientRect(), cs = getComputedStyle(el);
    return r.width > 0 && r.height > 0 && cs.display !== "none" && cs.visibility !== "hidden"; };
  const $ = id => document.getElementById(id);
  const visible = {}, outside = [];
  for (const id of ["spinner","qr","receipt","sticker","ok","fail","stop","warn","actions","sbp","label","amount","message","hint","total","timer","retry","cancel"]) {
    visible[id] = vis($(id));
    if (!visible[id]) continue;
    const r = $(id).getBoundingClientRect();
    if (r.left < 0 || r.top < 0 || r.right > innerWidth + 0.5 || r.bottom > innerHeight + 0.5) outside.push(id);
  }
  const qr = $("qr"), m = $("screen");
  return { view: m.dataset.view, link: m.dataset.link,
    lines: document.body.innerText.split("\n").map(s => s.trim()).filter(s => s !== ""),
    amount: visible.amount ? $("amount").textContent : "",
    visible, outside,
    qrReady: qr.hasAttribute("data-ready") && qr.complete && qr.naturalWidth > 0,
    qrScale: qr.naturalWidth ? qr.getBoundingClientRect().width / qr.naturalWidth : 0,
    qrBox: (r => [r.left * devicePixelRatio, r.top * devicePixelRatio, r.width * devicePixelRatio, r.height * devicePixelRatio])(qr.getBoundingClientRect()),
    buttons: ["retry", "cancel"].filter(id => visible[id]).map(id => $(id).getBoundingClientRect().height) };
})()`

func (k *kioskPage) pageShown() pageShown {
	k.tb.Helper()
	var s pageShown
	k.eval(shownJS, &s)
	return s
}

// screenWant is one screen: its view, its exact visible text and the
// pictures and controls on it.
type screenWant struct {
	view        display.View
	lines       []string
	screenParts []string
}

// countdownLine is a line of the countdown ("Код действует ещё 4:59"),
// whose time the screen's wants write as "M:SS".
var countdownLine = regexp.MustCompile("^(" + display.TextCodeValid + "|" + display.TextStickerValid + ")\u00a0[0-9]+:[0-5][0-9]$")

// timeLeft is the countdown line of a want.
func timeLeft(valid string) string { return valid + "\u00a0M:SS" }

func (w screenWant) matches(s pageShown) bool {
	lines := slices.Clone(s.Lines)
	for i, l := range lines {
		if m := countdownLine.FindStringSubmatch(l); m != nil {
			lines[i] = timeLeft(m[1])
		}
	}
	if s.View != string(w.view) || !slices.Equal(lines, w.lines) {
		return false
	}
	for _, p := range screenParts {
		if s.Visible[p] != slices.Contains(w.screenParts, p) {
			return false
		}
	}
	return !slices.Contains(w.screenParts, "qr") || s.QRReady
}

// waitFor polls the DOM until the page shows w, and checks that all of it
// is on the screen. It fails the test with what the page shows instead.
func (k *kioskPage) waitFor(w screenWant) pageShown {
	k.tb.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		s := k.pageShown()
		if w.matches(s) {
			if len(s.Outside) > 0 {
				k.tb.Errorf("%s: %v do not fit on the screen", w.view, s.Outside)
			}
			return s
		}
		if time.Now().After(deadline) {
			k.tb.Fatalf("the page does not show %s %q with %v;\nit shows %s %q, visible %v, QR ready %t",
				w.view, w.lines, w.screenParts, s.View, s.Lines, s.Visible, s.QRReady)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func (k *kioskPage) screenshot() []byte {
	k.tb.Helper()
	b, err := chromedp.Run(k.ctx, chromedp.CaptureScreenshot())
	if err != nil {
		k.tb.Fatal(err)
	}
	return b
}

// save writes a screenshot to $SBPD_SCREENSHOTS/name.png when asked to.
func (k *kioskPage) save(name string) {
	k.tb.Helper()
	dir := os.Getenv("SBPD_SCREENSHOTS")
	if dir == "" {
		return
	}
	if !filepath.IsAbs(dir) {
		dir = filepath.Join(moduleRoot(k.tb), dir)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		k.tb.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, name+".png"), k.screenshot(), 0o644); err != nil {
		k.tb.Fatal(err)
	}
}

func moduleRoot(tb testing.TB) string {
	dir, err := os.Getwd()
	if err != nil {
		tb.Fatal(err)
	}
	for d := dir; ; d = filepath.Dir(d) {
		if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil {
			return d
		}
		if filepath.Dir(d) == d {
			return dir
		}
	}
}

// readScreenQR decodes the QR on screen from a screenshot, as a phone's
// camera reads it from one of its frames: gozxing now and then misses a
// symbol that is plainly there (seen once in many CI runs), so up to three
// screenshots are tried before the QR is declared unreadable.
func readScreenQR(tb testing.TB, shoot func() []byte, box [4]float64) string {
	tb.Helper()
	var err error
	for range 3 {
		var text string
		if text, err = decodeShot(tb, shoot(), box); err == nil {
			return text
		}
	}
	tb.Fatalf("no QR readable in three screenshots: %v", err)
	return ""
}

// decodeShot decodes the QR in one screenshot: the whole of it, then cut
// to the QR's place on screen (its quiet zone included), which is what a
// phone camera aims at.
func decodeShot(tb testing.TB, shot []byte, box [4]float64) (string, error) {
	tb.Helper()
	img, err := png.Decode(bytes.NewReader(shot))
	if err != nil {
		tb.Fatal(err)
	}
	text, err := decodeQR(img)
	if err != nil && box[2] > 0 {
		const margin = 16
		r := image.Rect(int(box[0])-margin, int(box[1])-margin, int(box[0]+box[2])+margin, int(box[1]+box[3])+margin).Intersect(img.Bounds())
		if sub, ok := img.(interface {
			SubImage(image.Rectangle) image.Image
		}); ok {
			text, err = decodeQR(sub.SubImage(r))
		}
	}
	return text, err
}

func decodeQR(img image.Image) (string, error) {
	bmp, err := gozxing.NewBinaryBitmapFromImage(img)
	if err != nil {
		return "", err
	}
	res, err := zxqr.NewQRCodeReader().Decode(bmp, map[gozxing.DecodeHintType]any{gozxing.DecodeHintType_TRY_HARDER: true})
	if err != nil {
		return "", err
	}
	return res.GetText(), nil
}

// Screens of the flow, as the shopper must see them: every text as
// display.Glue binds it.
func amountLines(p plugin.Payment) []string {
	label := display.TextToPay
	if p.Mixed {
		label = display.TextToPayMixed
	}
	return []string{display.TextSBP, display.Glue(label), display.Amount(p.Amount)}
}

func glued(texts ...string) []string {
	out := make([]string, len(texts))
	for i, t := range texts {
		out[i] = display.Glue(t)
	}
	return out
}

func wantIdle() screenWant {
	return screenWant{view: display.ViewIdle, lines: []string{display.Glue(display.TextIdle)}}
}

func wantWaiting(p plugin.Payment) screenWant {
	return screenWant{display.ViewWait, append(amountLines(p), plugin.TextWait), []string{"spinner", "sbp"}}
}

// wantAwaiting is a screen of awaiting_payment: the amount, the message,
// the time left and the screen's own Отменить.
func wantAwaiting(view display.View, p plugin.Payment, valid string, parts ...string) screenWant {
	lines := append(amountLines(p), display.Glue(p.Message), timeLeft(valid), display.TextCancelBtn)
	return screenWant{view, lines, append(parts, "sbp", "cancel")}
}

func wantQR(p plugin.Payment) screenWant {
	return wantAwaiting(display.ViewQR, p, display.TextCodeValid, "qr")
}

func wantDialog(p plugin.Payment, text string) screenWant {
	return screenWant{display.ViewDialog, append(amountLines(p), append(glued(text, display.TextAlreadyPaid),
		display.TextRetryButton, display.TextCancelBtn)...), []string{"warn", "retry", "cancel", "sbp"}}
}

func wantCanceling() screenWant {
	return screenWant{display.ViewCanceling, glued(plugin.TextCanceling), []string{"spinner"}}
}

func wantPaid(p plugin.Payment) screenWant {
	return screenWant{display.ViewPaid, []string{display.Glue(plugin.TextPaid), display.Amount(p.Amount), display.TextTakeReceipt}, []string{"ok"}}
}

func wantNotPaid(r plugin.Reason) screenWant {
	happened, next, neutral := display.NotPaid(r)
	icon := "fail"
	if neutral {
		icon = "stop"
	}
	return screenWant{display.ViewNotPaid, glued(happened, next), []string{icon}}
}

// wantAttention: the order number and the time the payment started, in the
// kiosk's zone (Chromium's is the test's).
func wantAttention(p plugin.Payment) screenWant {
	order := display.OrderLine(p.OrderNo, p.CreatedAt.In(time.Local))
	return screenWant{display.ViewAttention, []string{display.Glue(plugin.TextNeedsAttention), order}, []string{"warn"}}
}

// screenCase brings a payment to one state and says what the page shows.
type screenCase struct {
	name    string // the screenshot's name
	printer bool   // mode 0 with a fake receipt printer
	mutate  func(*config.Config)
	drive   func(t *testing.T, h *e2e) plugin.Payment
	want    func(p plugin.Payment) screenWant
	wide    bool // also save the widescreen screenshot
	tall    bool // also save the portrait screenshot
}

func statusUnknown(offline bool) func(t *testing.T, h *e2e) plugin.Payment {
	return func(t *testing.T, h *e2e) plugin.Payment {
		p := h.start("000153", 25990, false)
		if offline {
			h.sb.AddFault(sandbox.Fault{Method: "GET", Drop: true})
		}
		return h.until(p.ID, plugin.StateStatusUnknown, poll, 41)
	}
}

func declined(code string) func(t *testing.T, h *e2e) plugin.Payment {
	return func(t *testing.T, h *e2e) plugin.Payment {
		p := h.start("000153", 25990, false)
		h.sb.Decline(p.PayMasterID, code)
		return h.until(p.ID, plugin.StateNotPaid, poll, 1)
	}
}

func notPaidCase(name string, reason plugin.Reason, drive func(t *testing.T, h *e2e) plugin.Payment) screenCase {
	return screenCase{name: name, drive: drive, want: func(p plugin.Payment) screenWant {
		if p.Reason != reason {
			panic(fmt.Sprintf("%s: the payment's reason is %q, want %q", name, p.Reason, reason))
		}
		return wantNotPaid(p.Reason)
	}}
}

var screenCases = []screenCase{
	{name: "02-waiting", drive: func(t *testing.T, h *e2e) plugin.Payment {
		// PayMaster keeps the QR link back: the payment stays in creating.
		h.sb.SetQRAfterGets(1 << 20)
		done := make(chan plugin.Payment, 1)
		go func() {
			var p plugin.Payment
			if resp, err := http.Post(h.d.URL()+"/api/v1/payments", "application/json",
				strings.NewReader(`{"check_id":"000153","amount":25990}`)); err == nil {
				json.NewDecoder(resp.Body).Decode(&p)
				resp.Body.Close()
			}
			done <- p
		}()
		h.clock.WaitForTimers(t, 2) // the till's wait for the QR, the runner's next QR poll
		h.clock.Advance(plugin.DefaultSettings().StartWait)
		p := <-done
		if p.State != plugin.StateCreating {
			t.Fatalf("payment %s, want creating", p.State)
		}
		return p
	}, want: wantWaiting},
	{name: "03-qr", drive: func(t *testing.T, h *e2e) plugin.Payment {
		return h.start("000153", 25990, false)
	}, want: wantQR, wide: true, tall: true},
	{name: "04-qr-mixed-remainder", mutate: func(c *config.Config) { c.SBP.MixedPayment = true },
		drive: func(t *testing.T, h *e2e) plugin.Payment {
			return h.start("000153", 123456, true)
		}, want: wantQR},
	{name: "05-printed-qr", printer: true, drive: func(t *testing.T, h *e2e) plugin.Payment {
		return h.start("000153", 25990, false)
	}, want: func(p plugin.Payment) screenWant {
		return wantAwaiting(display.ViewReceipt, p, display.TextCodeValid, "receipt", "spinner")
	}},
	{name: "06-sticker-nfc", mutate: func(c *config.Config) { c.SBP.QRMode = 2 }, drive: func(t *testing.T, h *e2e) plugin.Payment {
		return h.start("000153", 25990, false)
	}, want: func(p plugin.Payment) screenWant {
		return wantAwaiting(display.ViewSticker, p, display.TextStickerValid, "sticker")
	}, wide: true},
	{name: "07-dialog-no-connection", drive: statusUnknown(true), want: func(p plugin.Payment) screenWant {
		return wantDialog(p, plugin.TextNoConnection)
	}, wide: true, tall: true},
	{name: "08-dialog-pending", drive: statusUnknown(false), want: func(p plugin.Payment) screenWant {
		return wantDialog(p, plugin.TextNotCompleted)
	}},
	{name: "09-canceling", drive: func(t *testing.T, h *e2e) plugin.Payment {
		h.sb.SetCancelMode(sandbox.CancelAcceptPending)
		p := h.start("000153", 25990, false)
		h.do("POST", "/api/v1/payments/"+p.ID+"/cancel", "")
		return h.until(p.ID, plugin.StateCanceling, poll, 1)
	}, want: func(plugin.Payment) screenWant { return wantCanceling() }},
	{name: "10-paid", drive: func(t *testing.T, h *e2e) plugin.Payment {
		p := h.start("000153", 25990, false)
		h.sb.Pay(p.PayMasterID)
		return h.until(p.ID, plugin.StatePaid, poll, 1)
	}, want: wantPaid},
	notPaidCase("11-not-paid-insufficient-funds", plugin.ReasonInsufficientFunds, declined("InsufficientFunds")),
	notPaidCase("12-not-paid-declined-in-app", plugin.ReasonDeclinedInApp, declined("CancelledByUser")),
	notPaidCase("13-not-paid-technical", plugin.ReasonTechnical, declined("IssuerUnavailable")),
	notPaidCase("14-not-paid-expired", plugin.ReasonExpired, func(t *testing.T, h *e2e) plugin.Payment {
		p := h.start("000153", 25990, false)
		h.sb.Expire(p.PayMasterID)
		return h.until(p.ID, plugin.StateNotPaid, poll, 1)
	}),
	notPaidCase("15-not-paid-cancelled", plugin.ReasonCancelled, func(t *testing.T, h *e2e) plugin.Payment {
		p := h.start("000153", 25990, false)
		h.do("POST", "/api/v1/payments/"+p.ID+"/cancel", "")
		return h.until(p.ID, plugin.StateNotPaid, poll, 2)
	}),
	{name: "16-needs-attention", drive: func(t *testing.T, h *e2e) plugin.Payment {
		h.sb.SetCancelMode(sandbox.CancelReject)
		p := h.start("000153", 25990, false)
		h.do("POST", "/api/v1/payments/"+p.ID+"/cancel", "")
		return h.until(p.ID, plugin.StateNeedsAttention, poll, 2)
	}, want: wantAttention},
}

// TestBrowser_EveryState opens the screen before the payment starts, drives
// the payment to each state through the till API and the sandbox, and reads
// what the page shows at 4:3 and widescreen: the exact text, the pictures,
// everything on the screen, the QR readable in a screenshot.
func TestBrowser_EveryState(t *testing.T) {
	browser := startBrowser(t)
	t.Run("01-idle", func(t *testing.T) {
		h := newE2E(t)
		k := openKioskPage(t, browser, h.d.URL(), screen43)
		k.waitFor(wantIdle())
		k.save("01-idle")
		for _, sz := range [][2]int64{screenWide, screenPortrait} {
			k.resize(sz)
			checkReadable(t, k, k.waitFor(wantIdle()))
		}
	})
	for _, c := range screenCases {
		t.Run(c.name, func(t *testing.T) {
			var mutate []func(*config.Config)
			if c.mutate != nil {
				mutate = append(mutate, c.mutate)
			}
			var h *e2e
			if c.printer {
				h = printE2E(t, serialtest.NewPrinter(t, serialtest.PrinterOptions{}), mutate...)
			} else {
				h = newE2E(t, mutate...)
			}
			k := openKioskPage(t, browser, h.d.URL(), screen43)
			k.waitFor(wantIdle())
			p := c.drive(t, h)
			want := c.want(p)
			for _, sz := range [][2]int64{screen43, screenWide, screenPortrait} {
				k.resize(sz)
				s := k.waitFor(want)
				checkShown(t, k, p, want, s)
				checkReadable(t, k, s)
				name := c.name
				switch {
				case sz == screenWide && !c.wide, sz == screenPortrait && !c.tall:
					continue
				case sz == screenWide:
					name += "-widescreen"
				case sz == screenPortrait:
					name += "-portrait"
				}
				k.save(name)
			}
		})
	}
}

// checkShown checks what every screen must get right beyond its text.
func checkShown(t *testing.T, k *kioskPage, p plugin.Payment, want screenWant, s pageShown) {
	t.Helper()
	if slices.Contains(want.screenParts, "cancel") {
		for i, h := range s.Buttons {
			if h < minButtonPx {
				t.Errorf("button %d is %.0f px tall, want at least %.0f (15 mm)", i, h, minButtonPx)
			}
		}
	}
	if want.view == display.ViewQR {
		if s.QRScale < 4 || s.QRScale != float64(int(s.QRScale)) {
			t.Errorf("the QR is scaled by %.3f: want a whole factor of at least 4 for sharp modules", s.QRScale)
		}
		if got := readScreenQR(t, k.screenshot, s.QRBox); got != p.QRPayload {
			t.Errorf("the QR on screen reads %q, want the payment's qr_payload %q", got, p.QRPayload)
		}
	}
	if strings.Contains(strings.Join(s.Lines, "\n"), p.ID) {
		t.Errorf("the page shows the payment id: %q", s.Lines)
	}
}

// TestBrowser_DialogButtons taps Повторить and Отменить on the touch screen:
// each tap reaches the engine through the screen's own routes and changes
// the payment; the buttons are disabled while the request is on its way;
// one cancel reaches PayMaster.
func TestBrowser_DialogButtons(t *testing.T) {
	browser := startBrowser(t)
	h := newE2E(t)
	wireScreen(t, h)
	tapDialogButtons(t, browser, h, h)
}

// tillClient is the till's side of a test: starting and reading payments
// through the till API, with whatever credentials the daemon wants.
type tillClient interface {
	start(check string, amount int64, mixed bool) plugin.Payment
	get(id string) plugin.Payment
	until(id string, want plugin.State, step time.Duration, maxSteps int) plugin.Payment
}

// tapDialogButtons brings a payment to the dialog twice and taps
// Повторить, then Отменить, on a kiosk page of h's daemon; the till reads
// the payment through till.
func tapDialogButtons(t *testing.T, browser context.Context, h *e2e, till tillClient) {
	h.sb.SetCancelMode(sandbox.CancelAcceptPending) // canceling lasts until PayMaster says Cancelled
	k := openKioskPage(t, browser, h.d.URL(), screen43)
	p := till.start("000153", 25990, false)
	k.waitFor(wantQR(p))
	till.until(p.ID, plugin.StateStatusUnknown, poll, 41)
	k.waitFor(wantDialog(p, plugin.TextNotCompleted))

	// Watch the buttons: both must go disabled as soon as one is tapped.
	watch := `window.sawDisabled = false; new MutationObserver(() => {
	  if (document.getElementById("retry").disabled && document.getElementById("cancel").disabled) window.sawDisabled = true;
	}).observe(document.getElementById("actions"), {attributes: true, subtree: true}); true`
	sawDisabled := func() bool {
		var b bool
		k.eval(`window.sawDisabled`, &b)
		return b
	}
	k.eval(watch, nil)
	k.do(chromedp.Tap(chromedp.ID("retry")))
	k.waitFor(wantQR(p))
	if got := till.get(p.ID); got.State != plugin.StateAwaitingPayment {
		t.Fatalf("after tapping Повторить the payment is %s", got.State)
	}
	if !sawDisabled() {
		t.Error("the buttons were not disabled while Повторить was on its way")
	}

	till.until(p.ID, plugin.StateStatusUnknown, poll, 41)
	k.waitFor(wantDialog(p, plugin.TextNotCompleted))
	k.eval(watch, nil)
	k.do(chromedp.Tap(chromedp.ID("cancel")))
	k.waitFor(wantCanceling())
	if !sawDisabled() {
		t.Error("the buttons were not disabled while Отменить was on its way")
	}
	for deadline := time.Now().Add(10 * time.Second); h.sb.PaymentCalls(p.PayMasterID, sandbox.KindCancel) == 0; {
		if time.Now().After(deadline) {
			t.Fatal("tapping Отменить sent no cancel to PayMaster")
		}
		time.Sleep(5 * time.Millisecond)
	}
	if got := till.get(p.ID); got.State != plugin.StateCanceling {
		t.Fatalf("after tapping Отменить the payment is %s", got.State)
	}
	h.sb.SetStatus(p.PayMasterID, sandbox.StatusCancelled)
	got := till.until(p.ID, plugin.StateNotPaid, poll, 2)
	if got.Reason != plugin.ReasonCancelled || got.Message != plugin.TextCancelled {
		t.Fatalf("reason %s, message %q", got.Reason, got.Message)
	}
	k.waitFor(wantNotPaid(got.Reason))
	if n := h.sb.PaymentCalls(p.PayMasterID, sandbox.KindCancel); n != 1 {
		t.Fatalf("%d cancel calls reached PayMaster, want 1", n)
	}
	if n := h.sb.Handled(sandbox.KindCreate); n != 1 {
		t.Fatalf("%d PayMaster payments, want 1", n)
	}
}

// TestBrowser_RecoversAfterRestart restarts the daemon under an open page:
// the page reconnects by itself and shows the next change without a reload.
func TestBrowser_RecoversAfterRestart(t *testing.T) {
	browser := startBrowser(t)
	addr := portBelowEphemeral(t)
	h := newE2E(t, func(c *config.Config) { c.Listen = addr }) // the same address after the restart
	k := openKioskPage(t, browser, h.d.URL(), screen43)
	p := h.start("000153", 25990, false)
	k.waitFor(wantQR(p))
	k.eval(`window.notReloaded = true; window.sawDown = false;
	  new MutationObserver(() => { if (document.getElementById("screen").dataset.link === "down") window.sawDown = true; })
	    .observe(document.getElementById("screen"), {attributes: true}); true`, nil)

	h.restart()
	if h.d.URL() != k.url[:len(k.url)-1] {
		t.Fatalf("the daemon came back on %s, not %s", h.d.URL(), k.url)
	}
	h.sb.Pay(p.PayMasterID)
	h.until(p.ID, plugin.StatePaid, poll, 1)
	k.waitFor(wantPaid(p))
	var flags struct {
		NotReloaded bool `json:"notReloaded"`
		SawDown     bool `json:"sawDown"`
	}
	k.eval(`({notReloaded: window.notReloaded === true, sawDown: window.sawDown})`, &flags)
	if !flags.NotReloaded {
		t.Fatal("the page was reloaded")
	}
	if !flags.SawDown {
		t.Fatal("the page never noticed the daemon going away")
	}
	if s := k.pageShown(); s.Link != "up" {
		t.Fatalf("the page's link is %q after the restart", s.Link)
	}
}

// portBelowEphemeral finds a free loopback port below Linux's ephemeral
// range (32768 and up), where nothing else running on the machine (other
// test binaries, Chromium) is handed a port by the kernel in the moment
// between this check and the daemon's own listen.
func portBelowEphemeral(t *testing.T) string {
	t.Helper()
	for port := 20000 + os.Getpid()%5000; port < 32000; port += 7 {
		addr := fmt.Sprintf("127.0.0.1:%d", port)
		if ln, err := net.Listen("tcp", addr); err == nil {
			ln.Close()
			return addr
		}
	}
	t.Fatal("no free port below 32000")
	return ""
}

package main

// The kiosk screen's guidance in Chromium: its own Отменить before the
// dialog (one cancel however it is tapped), the countdown on the daemon's
// clock, and what every screen must be for the shopper to read it: contrast
// from the computed styles, lang, the buttons' names, no line broken after
// a preposition or inside an amount or a time.

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	"github.com/sbpd/sbpd/config"
	"github.com/sbpd/sbpd/display"
	"github.com/sbpd/sbpd/drivers/paymaster/sandbox"
	"github.com/sbpd/sbpd/drivers/serial/serialtest"
	"github.com/sbpd/sbpd/plugin"
)

// readableJS walks the text the page shows and reports what a shopper
// could not read: a text under 4.5:1 against its effective background
// (WCAG relative luminance, from the computed styles; the buttons also in
// their disabled look), type under minPx, a button without an accessible
// name that starts with its visible text, a line that may break after a
// preposition or inside an amount or a time, and the page's lang.
const readableJS = `((minPx) => {
  const parse = c => { const m = /rgba?\(([^)]*)\)/.exec(c); if (!m) return [0, 0, 0, 0];
    const p = m[1].split(/[\s,\/]+/).filter(Boolean).map(Number); return [p[0], p[1], p[2], p.length > 3 ? p[3] : 1]; };
  const over = (t, b) => [0, 1, 2].map(i => t[i] * t[3] + b[i] * (1 - t[3])).concat([1]);
  const lum = c => { const f = v => { v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); };
    return 0.2126 * f(c[0]) + 0.7152 * f(c[1]) + 0.0722 * f(c[2]); };
  const background = el => { const layers = []; let opacity = 1;
    for (let e = el; e; e = e.parentElement) { const cs = getComputedStyle(e); opacity *= Number(cs.opacity);
      const c = parse(cs.backgroundColor); if (c[3] > 0) layers.push(c); if (c[3] >= 1) break; }
    let bg = [255, 255, 255, 1]; for (let i = layers.length - 1; i >= 0; i--) bg = over(layers[i], bg);
    return [bg, opacity]; };
  const ratioOf = el => { const [bg, opacity] = background(el); const fg = parse(getComputedStyle(el).color);
    fg[3] *= opacity; const a = lum(over(fg, bg)), b = lum(bg); return (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05); };
  const vis = el => { const cs = getComputedStyle(el); return el.getClientRects().length > 0 && cs.visibility === "visible"; };
  const SHORT = "в|во|к|ко|с|со|о|об|у|на|по|за|из|от|до|не|и|а|без|для|при";
  const breakable = [new RegExp("(^|[\\s])(" + SHORT + ") ", "i"), /\d ₽/, /\d(,\d\d)? ₽|\d \d\d\d/, /ещё \d/, / —/];
  const bad = [], texts = []; let min = 99;
  const w = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let n = w.nextNode(); n; n = w.nextNode()) {
    const t = n.textContent.trim(), el = n.parentElement;
    if (!t || !vis(el) || el.closest("script")) continue;
    const r = ratioOf(el), px = parseFloat(getComputedStyle(el).fontSize);
    min = Math.min(min, r); texts.push(t);
    if (r < 4.5) bad.push("contrast " + r.toFixed(2) + ":1 of " + JSON.stringify(t));
    if (px < minPx) bad.push("type " + px.toFixed(1) + "px of " + JSON.stringify(t));
    for (const re of breakable) if (re.test(t)) bad.push("a line may break in " + JSON.stringify(t) + " (" + re + ")");
  }
  for (const b of document.querySelectorAll("button")) {
    if (!vis(b)) continue;
    const name = (b.getAttribute("aria-label") || b.textContent).trim(), shown = b.innerText.trim();
    if (!name || !name.toLowerCase().startsWith(shown.toLowerCase())) bad.push("button " + JSON.stringify(shown) + " is named " + JSON.stringify(name));
    const was = b.disabled; b.disabled = true; const r = ratioOf(b); b.disabled = was;
    if (r < 4.5) bad.push("contrast " + r.toFixed(2) + ":1 of the disabled " + JSON.stringify(shown));
  }
  if (document.documentElement.lang !== "ru") bad.push("lang " + JSON.stringify(document.documentElement.lang));
  return { bad, min, texts: texts.length };
})`

// minTextPx is the smallest type the screen may use on a kiosk read from
// about 1 m: 24 px is some 5 mm on a 15" panel.
const minTextPx = 24

// checkReadable checks the page as shown (s) with readableJS.
func checkReadable(t *testing.T, k *kioskPage, s pageShown) {
	t.Helper()
	var got struct {
		Bad   []string `json:"bad"`
		Min   float64  `json:"min"`
		Texts int      `json:"texts"`
	}
	k.eval(fmt.Sprintf("%s(%d)", readableJS, minTextPx), &got)
	if got.Texts == 0 {
		t.Errorf("%s: no text found on the page", s.View)
	}
	t.Logf("%s: %d texts, the lowest contrast %.2f:1", s.View, got.Texts, got.Min)
	for _, b := range got.Bad {
		t.Errorf("%s: %s", s.View, b)
	}
}

// TestBrowser_ReadableCheckFails: checkReadable's walk finds what it must
// (a grey text, small type, a preposition left at a line's end, a button
// named otherwise than it reads), so a passing screen means something.
func TestBrowser_ReadableCheckFails(t *testing.T) {
	browser := startBrowser(t)
	h := newE2E(t)
	k := openKioskPage(t, browser, h.d.URL(), screen43)
	k.waitFor(wantIdle())
	k.eval(`(() => { const m = document.getElementById("message");
	  m.style.color = "#999"; m.textContent = "Оплата в приложении";
	  document.getElementById("actions").style.display = "flex";
	  const b = document.getElementById("cancel"); b.style.display = "block"; b.style.fontSize = "12px"; b.setAttribute("aria-label", "Закрыть");
	  return true; })()`, nil)
	var got struct {
		Bad []string `json:"bad"`
	}
	k.eval(fmt.Sprintf("%s(%d)", readableJS, minTextPx), &got)
	all := strings.Join(got.Bad, "\n")
	for _, want := range []string{`contrast 2.85:1 of "Оплата в приложении"`, `type 12.0px of "Отменить"`,
		`a line may break in "Оплата в приложении"`, `button "Отменить" is named "Закрыть"`} {
		if !strings.Contains(all, want) {
			t.Errorf("the check does not report %s; it reports:\n%s", want, all)
		}
	}
}

// TestBrowser_CancelBeforeTheDialog: the QR, printed-QR and sticker screens
// have an Отменить of their own; tapping it twice, or two requests as the page
// sends them, reaches PayMaster with exactly one cancel, and the shopper's
// own cancel ends on a neutral screen.
func TestBrowser_CancelBeforeTheDialog(t *testing.T) {
	browser := startBrowser(t)
	oneCancel := func(t *testing.T, h *e2e, k *kioskPage, p plugin.Payment) {
		t.Helper()
		k.waitFor(wantCanceling())
		for deadline := time.Now().Add(10 * time.Second); h.sb.PaymentCalls(p.PayMasterID, sandbox.KindCancel) == 0; {
			if time.Now().After(deadline) {
				t.Fatal("the screen's Отменить sent no cancel to PayMaster")
			}
			time.Sleep(5 * time.Millisecond)
		}
		h.sb.SetStatus(p.PayMasterID, sandbox.StatusCancelled)
		got := h.until(p.ID, plugin.StateNotPaid, poll, 2)
		if got.Reason != plugin.ReasonCancelled || !got.CancelRequested {
			t.Fatalf("reason %s, cancel requested %t", got.Reason, got.CancelRequested)
		}
		k.waitFor(wantNotPaid(plugin.ReasonCancelled))
		if n := h.sb.PaymentCalls(p.PayMasterID, sandbox.KindCancel); n != 1 {
			t.Fatalf("%d cancel calls reached PayMaster, want 1", n)
		}
	}

	t.Run("QR, tapped twice", func(t *testing.T) {
		h := newE2E(t)
		wireScreen(t, h)
		h.sb.SetCancelMode(sandbox.CancelAcceptPending)
		k := openKioskPage(t, browser, h.d.URL(), screen43)
		p := h.start("000153", 25990, false)
		k.waitFor(wantQR(p))
		k.settle()
		k.do(chromedp.Tap(chromedp.ID("cancel")))
		k.eval(`document.getElementById("cancel").click(); true`, nil) // a second tap at once
		oneCancel(t, h, k, p)
	})

	t.Run("printed QR, tapped", func(t *testing.T) {
		h := printE2E(t, serialtest.NewPrinter(t, serialtest.PrinterOptions{}))
		wireScreen(t, h)
		h.sb.SetCancelMode(sandbox.CancelAcceptPending)
		k := openKioskPage(t, browser, h.d.URL(), screenPortrait)
		p := h.start("000153", 25990, false)
		k.waitFor(wantAwaiting(display.ViewReceipt, p, display.TextCodeValid, "receipt", "spinner"))
		k.settle()
		k.do(chromedp.Tap(chromedp.ID("cancel")))
		oneCancel(t, h, k, p)
	})

	t.Run("sticker, two requests", func(t *testing.T) {
		h := newE2E(t, func(c *config.Config) { c.SBP.QRMode = 2 })
		wireScreen(t, h)
		h.sb.SetCancelMode(sandbox.CancelAcceptPending)
		k := openKioskPage(t, browser, h.d.URL(), screen43)
		p := h.start("000153", 25990, false)
		k.waitFor(wantAwaiting(display.ViewSticker, p, display.TextStickerValid, "sticker"))
		// Two requests at once, as the page's fetch sends them (same origin).
		var status []int
		k.evalAwait(fmt.Sprintf(`Promise.all([1, 2].map(() => fetch("/screen/payments/%s/cancel", {method: "POST"}).then(r => r.status)))`, p.ID), &status)
		if len(status) != 2 || status[0] != 200 || status[1] != 200 {
			t.Fatalf("the two cancels answer %v, want 200 200", status)
		}
		oneCancel(t, h, k, p)
	})

	t.Run("screen.cancel_button false", func(t *testing.T) {
		h := newE2E(t, func(c *config.Config) { c.Screen.CancelButton = false })
		wireScreen(t, h)
		k := openKioskPage(t, browser, h.d.URL(), screen43)
		p := h.start("000153", 25990, false)
		w := wantQR(p)
		w.lines, w.screenParts = w.lines[:len(w.lines)-1], []string{"qr", "sbp"}
		k.waitFor(w)
		var status int
		k.evalAwait(fmt.Sprintf(`fetch("/screen/payments/%s/cancel", {method: "POST"}).then(r => r.status)`, p.ID), &status)
		if status != 409 || h.sb.PaymentCalls(p.PayMasterID, sandbox.KindCancel) != 0 {
			t.Fatalf("without the screen's Отменить its request answers %d and PayMaster got %d cancels, want 409 and none",
				status, h.sb.PaymentCalls(p.PayMasterID, sandbox.KindCancel))
		}
	})
}

// TestBrowser_Countdown: the QR screen counts down to expires_at on the
// daemon's clock, whatever the kiosk's clock says (the test's daemon runs
// on a fake clock months away from the browser's), and at zero says the
// code has expired, in place of the instruction to scan it, while sbpd asks
// PayMaster. The page's clock is moved through its hook
// (window.sbpdScreen.now), no waiting.
func TestBrowser_Countdown(t *testing.T) {
	browser := startBrowser(t)
	h := newE2E(t)
	k := openKioskPage(t, browser, h.d.URL(), screen43)
	k.waitFor(wantIdle())
	var live string
	k.eval(`document.getElementById("timer").getAttribute("aria-live") || ""`, &live)
	if live != "off" {
		t.Errorf("#timer has aria-live %q, want \"off\": a screen reader would read out every second", live)
	}
	k.eval(`window.shift = 0; window.sbpdScreen.now = () => performance.now() + window.shift; true`, nil)
	p := h.start("000153", 25990, false)
	k.waitFor(wantQR(p))
	left := p.ExpiresAt.Sub(h.clock.Now()) // the daemon's clock stands still meanwhile
	if gap := time.Since(h.clock.Now()); gap < 24*time.Hour && gap > -24*time.Hour {
		t.Fatalf("the daemon's clock is only %v from the browser's: the test would not see the offset", gap)
	}
	valid := func(d time.Duration) string { return display.TextCodeValid + "\u00a0" + display.Countdown(d) }
	if got := k.timer(); got != valid(left) && got != valid(left-time.Second) {
		t.Fatalf("the countdown shows %q, want %q: the page's clock is not corrected by the daemon's", got, valid(left))
	}
	k.eval(fmt.Sprintf(`window.shift = %d; true`, (left-29500*time.Millisecond).Milliseconds()), nil)
	if got := k.timer(); got != valid(30*time.Second) {
		t.Fatalf("29.5 s before expiry the countdown shows %q, want %q", got, valid(30*time.Second))
	}
	k.eval(fmt.Sprintf(`window.shift = %d; true`, (left+time.Millisecond).Milliseconds()), nil)
	if got, want := k.timer(), display.Glue(display.TextCodeExpired); got != want {
		t.Fatalf("at zero the screen shows %q, want %q", got, want)
	}
	checkReadable(t, k, k.waitFor(expiredWant(wantQR(p), display.TextCodeExpired)))
	var faded bool
	k.eval(`getComputedStyle(document.getElementById("qr")).opacity < 0.5`, &faded)
	if !faded {
		t.Error("the expired QR is still drawn in full, ready to be scanned")
	}
	k.save("03-qr-expired")
}

// TestBrowser_CountdownSticker: the sticker's code does not expire, the
// time to pay does: at zero the sticker screen says so, without "кода".
func TestBrowser_CountdownSticker(t *testing.T) {
	browser := startBrowser(t)
	h := newE2E(t, func(c *config.Config) { c.SBP.QRMode = 2 })
	k := openKioskPage(t, browser, h.d.URL(), screen43)
	k.waitFor(wantIdle())
	k.eval(`window.shift = 0; window.sbpdScreen.now = () => performance.now() + window.shift; true`, nil)
	p := h.start("000153", 25990, false)
	sticker := wantAwaiting(display.ViewSticker, p, display.TextStickerValid, "sticker")
	k.waitFor(sticker)
	left := p.ExpiresAt.Sub(h.clock.Now())
	k.eval(fmt.Sprintf(`window.shift = %d; true`, (left+time.Millisecond).Milliseconds()), nil)
	k.timer()
	s := k.waitFor(expiredWant(sticker, display.TextStickerExpired))
	if all := strings.Join(s.Lines, " "); strings.Contains(all, "кода") {
		t.Errorf("the expired sticker screen speaks of a code: %q", s.Lines)
	}
	checkReadable(t, k, s)
	k.save("06-sticker-expired")
}

// TestBrowser_CountdownRobust: the countdown keeps its time when the
// kiosk's clock is stepped (it runs on the page's monotonic clock since the
// daemon's last time), shows nothing for a payment without an expiry (a
// zero expires_at) and nothing before the daemon's time is known.
func TestBrowser_CountdownRobust(t *testing.T) {
	browser := startBrowser(t)
	t.Run("a stepped kiosk clock", func(t *testing.T) {
		h := newE2E(t)
		k := openKioskPage(t, browser, h.d.URL(), screen43)
		p := h.start("000153", 25990, false)
		k.waitFor(wantQR(p))
		before := k.timer()
		for _, step := range []time.Duration{time.Hour, -time.Hour} {
			k.eval(fmt.Sprintf(`{ const real = Date.now; Date.now = () => real() + %d; } true`, step.Milliseconds()), nil)
			if got := k.timer(); !countdownLine.MatchString(got) || got > before {
				t.Errorf("the kiosk's clock stepped by %v: the countdown went from %q to %q", step, before, got)
			}
		}
		k.waitFor(wantQR(p))
	})
	t.Run("a zero expires_at", func(t *testing.T) {
		h := newE2E(t)
		k := openKioskPage(t, browser, h.d.URL(), screen43)
		p := h.start("000153", 25990, false)
		k.waitFor(wantQR(p))
		p.ExpiresAt = time.Time{}
		h.d.Screen.Show(p)
		k.waitEval(`window.sbpdScreen.tick(), document.getElementById("timer").textContent === ""`)
		k.waitFor(withoutTimer(wantQR(p)))
	})
	t.Run("before the daemon's time", func(t *testing.T) {
		h := newE2E(t)
		k := openKioskPage(t, browser, h.d.URL(), screen43)
		// The page loses every "event: screen" from its next load on.
		k.do(chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
			_, err := chromedp.Call(ctx, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{
				Source: `{ const add = EventSource.prototype.addEventListener;
				  EventSource.prototype.addEventListener = function (type, f, o) { if (type !== "screen") add.call(this, type, f, o); }; }`})
			return err
		}), chromedp.Reload(), chromedp.WaitReady(chromedp.ID("screen")))
		k.waitFor(wantIdle())
		p := h.start("000153", 25990, false)
		k.waitFor(withoutTimer(wantQR(p)))
		if got := k.timer(); got != "" {
			t.Errorf("without the daemon's time the page counts down: %q", got)
		}
	})
}

// timer runs the page's countdown once and reads it.
func (k *kioskPage) timer() string {
	k.tb.Helper()
	var s string
	k.eval(`window.sbpdScreen.tick(), document.getElementById("timer").textContent`, &s)
	return s
}

// expiredWant is a payment screen at zero: the expired line in place of the
// instruction and the countdown.
func expiredWant(w screenWant, expired string) screenWant {
	i := slices.IndexFunc(w.lines, func(l string) bool { return strings.HasSuffix(l, "\u00a0M:SS") })
	w.lines = slices.Concat(w.lines[:i-1], []string{display.Glue(expired)}, w.lines[i+1:])
	return w
}

// withoutTimer is a payment screen that shows no countdown.
func withoutTimer(w screenWant) screenWant {
	w.lines = slices.DeleteFunc(slices.Clone(w.lines), func(l string) bool { return strings.HasSuffix(l, "\u00a0M:SS") })
	return w
}

// evalAwait evaluates js, waits for the promise it returns and decodes its
// value into out.
func (k *kioskPage) evalAwait(js string, out any) {
	k.tb.Helper()
	raw, err := chromedp.Run(k.ctx, chromedp.Evaluate[[]byte](js, chromedp.EvalAwaitPromise))
	if err != nil {
		k.tb.Fatalf("evaluate %.60q: %v", js, err)
	}
	if err := json.Unmarshal(raw, out); err != nil {
		k.tb.Fatalf("evaluate %.60q: %v: %s", js, err, raw)
	}
}

// TestBrowser_DoubleTapRetryCancelsNothing: a shopper double-taps the
// dialog's Повторить. The QR screen that follows within a blink has an
// Отменить of its own, on widescreen right under the second tap; it must
// let that tap pass: no cancel at PayMaster, at 4:3, widescreen and
// portrait. Once the screen has settled (the page's clock moved on through
// its hook, no waiting) the same Отменить sends the one cancel.
func TestBrowser_DoubleTapRetryCancelsNothing(t *testing.T) {
	browser := startBrowser(t)
	for _, sz := range [][2]int64{screen43, screenWide, screenPortrait} {
		t.Run(fmt.Sprintf("%dx%d", sz[0], sz[1]), func(t *testing.T) {
			h := newE2E(t)
			wireScreen(t, h)
			h.sb.SetCancelMode(sandbox.CancelAcceptPending)
			k := openKioskPage(t, browser, h.d.URL(), sz)
			p := h.start("000153", 25990, false)
			k.waitFor(wantQR(p))
			cancelBox := k.box("cancel")
			h.until(p.ID, plugin.StateStatusUnknown, poll, 41)
			k.waitFor(wantDialog(p, plugin.TextNotCompleted))
			// The page's clock stands still from now on, as if both taps
			// came in the same instant; every request the page sends is noted.
			k.eval(`{ const t0 = performance.now(); window.shift = 0; window.sbpdScreen.now = () => t0 + window.shift;
			  window.posts = []; const f = window.fetch; window.fetch = (u, o) => { window.posts.push(String(u)); return f.call(window, u, o); }; } true`, nil)
			// Both taps land on one point of Повторить: the one nearest to the
			// QR screen's Отменить (inside it where the two overlap).
			x, y := k.box("retry").nearest(cancelBox)
			t.Logf("Повторить %v, the QR screen's Отменить %v: tapping (%.0f, %.0f) twice", k.box("retry"), cancelBox, x, y)
			k.do(chromedp.TapXY(x, y))
			k.waitFor(wantQR(p))
			k.waitEval(`!document.getElementById("cancel").disabled`)
			k.do(chromedp.TapXY(x, y))
			var posts []string
			k.evalAwait(`new Promise(r => requestAnimationFrame(() => requestAnimationFrame(() => setTimeout(() => r(window.posts), 100))))`, &posts)
			if len(posts) != 1 || !strings.HasSuffix(posts[0], "/retry") {
				t.Fatalf("a double tap on Повторить sent %q, want the one retry", posts)
			}
			if got := h.get(p.ID); got.State != plugin.StateAwaitingPayment || got.CancelRequested {
				t.Fatalf("after a double tap on Повторить the payment is %s, cancel requested %t", got.State, got.CancelRequested)
			}
			if n := h.sb.PaymentCalls(p.PayMasterID, sandbox.KindCancel); n != 0 {
				t.Fatalf("a double tap on Повторить sent %d cancels to PayMaster", n)
			}
			// A second later the screen's Отменить works again.
			k.settle()
			k.do(chromedp.Tap(chromedp.ID("cancel")))
			k.waitFor(wantCanceling())
			for deadline := time.Now().Add(10 * time.Second); h.sb.PaymentCalls(p.PayMasterID, sandbox.KindCancel) != 1; {
				if time.Now().After(deadline) {
					t.Fatal("the screen's Отменить, tapped a second after the QR came back, sent no cancel")
				}
				time.Sleep(5 * time.Millisecond)
			}
		})
	}
}

// settle moves the page's clock (its hook) a second on: the screen's own
// Отменить, which ignores taps for a moment after it appears, takes them.
func (k *kioskPage) settle() {
	k.tb.Helper()
	k.eval(`{ const now = window.sbpdScreen.now; window.sbpdScreen.now = () => now() + 1000; } true`, nil)
}

// rect is an element's box on the page, in CSS pixels.
type rect struct{ Left, Top, Right, Bottom float64 }

// box is the box of the element with id.
func (k *kioskPage) box(id string) rect {
	k.tb.Helper()
	var r rect
	k.eval(fmt.Sprintf(`(r => ({Left: r.left, Top: r.top, Right: r.right, Bottom: r.bottom}))(document.getElementById(%q).getBoundingClientRect())`, id), &r)
	if r.Right <= r.Left || r.Bottom <= r.Top {
		k.tb.Fatalf("#%s is not on the screen: %v", id, r)
	}
	return r
}

// nearest is the point of r, 10 px inside its edges (a pressed button
// shrinks a little), nearest to o's centre.
func (r rect) nearest(o rect) (x, y float64) {
	clamp := func(v, lo, hi float64) float64 { return max(lo+10, min(hi-10, v)) }
	return clamp((o.Left+o.Right)/2, r.Left, r.Right), clamp((o.Top+o.Bottom)/2, r.Top, r.Bottom)
}

// waitEval polls js until it is true, for at most 10 s.
func (k *kioskPage) waitEval(js string) {
	k.tb.Helper()
	for deadline := time.Now().Add(10 * time.Second); ; {
		var ok bool
		k.eval(js, &ok)
		if ok {
			return
		}
		if time.Now().After(deadline) {
			k.tb.Fatalf("the page never made %s true", js)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

package display_test

import (
	"maps"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/sbpd/sbpd/display"
	"github.com/sbpd/sbpd/plugin"
)

func TestAmount(t *testing.T) {
	for kop, want := range map[int64]string{
		0:         "0,00\u00a0₽",
		5:         "0,05\u00a0₽",
		25990:     "259,90\u00a0₽",
		99999:     "999,99\u00a0₽",
		100000:    "1\u00a0000,00\u00a0₽",
		123456:    "1\u00a0234,56\u00a0₽",
		123456789: "1\u00a0234\u00a0567,89\u00a0₽",
		-150:      "-1,50\u00a0₽",
	} {
		if got := display.Amount(kop); got != want {
			t.Errorf("Amount(%d) = %q, want %q", kop, got, want)
		}
	}
}

func TestViewOf(t *testing.T) {
	qr := "https://qr.nspk.ru/AD1"
	cases := []struct {
		p    plugin.Payment
		want display.View
	}{
		{plugin.Payment{State: plugin.StateCreating, Mode: plugin.ModeScreen}, display.ViewWait},
		{plugin.Payment{State: plugin.StateAwaitingPayment, Mode: plugin.ModeScreen, QRPayload: qr}, display.ViewQR},
		{plugin.Payment{State: plugin.StateAwaitingPayment, Mode: plugin.ModeScreen}, display.ViewWait}, // no link yet
		{plugin.Payment{State: plugin.StateAwaitingPayment, Mode: plugin.ModePrint, QRPayload: qr}, display.ViewReceipt},
		{plugin.Payment{State: plugin.StateAwaitingPayment, Mode: plugin.ModeSticker}, display.ViewSticker},
		{plugin.Payment{State: plugin.StateStatusUnknown, Mode: plugin.ModeScreen, QRPayload: qr}, display.ViewDialog},
		{plugin.Payment{State: plugin.StateCanceling}, display.ViewCanceling},
		{plugin.Payment{State: plugin.StatePaid}, display.ViewPaid},
		{plugin.Payment{State: plugin.StateNotPaid}, display.ViewNotPaid},
		{plugin.Payment{State: plugin.StateNeedsAttention}, display.ViewAttention},
	}
	for _, c := range cases {
		if got := display.ViewOf(c.p); got != c.want {
			t.Errorf("%s mode %d qr %t: view %s, want %s", c.p.State, c.p.Mode, c.p.QRPayload != "", got, c.want)
		}
	}
}

// TestPageWordsAreGos: screen.js and index.html show the same words as
// view.go, which the terminal and the tests use, both ways: every word of
// the page's TEXT is a Go word, every Text constant of view.go is on the
// page, and NOT_PAID says for each reason what display.NotPaid says.
func TestPageWordsAreGos(t *testing.T) {
	js, err := os.ReadFile("web/screen.js")
	if err != nil {
		t.Fatal(err)
	}
	html, err := os.ReadFile("web/index.html")
	if err != nil {
		t.Fatal(err)
	}
	goSrc, err := os.ReadFile("view.go")
	if err != nil {
		t.Fatal(err)
	}
	block := regexp.MustCompile(`(?s)var TEXT = \{(.*?)\};`).FindSubmatch(js)
	if block == nil {
		t.Fatal("screen.js has no var TEXT = {...};")
	}
	jsText := map[string]string{} // key -> word
	for _, m := range regexp.MustCompile(`(\w+): "([^"]*)"`).FindAllStringSubmatch(string(block[1]), -1) {
		jsText[m[1]] = m[2]
	}
	goWords := []string{display.TextIdle, display.TextToPay, display.TextToPayMixed, display.TextAlreadyPaid,
		display.TextCodeValid, display.TextStickerValid, display.TextCodeExpired, display.TextStickerExpired,
		display.TextTakeReceipt, display.TextOrder, display.TextNextOtherWay, display.TextNextTryAgain, plugin.TextWait}
	for key, w := range jsText {
		if !slices.Contains(goWords, w) {
			t.Errorf("screen.js TEXT.%s = %q is no word of view.go's the page shows", key, w)
		}
	}
	for _, w := range goWords {
		if !slices.Contains(slices.Collect(maps.Values(jsText)), w) {
			t.Errorf("screen.js TEXT has no %q", w)
		}
	}
	// Every Text constant of view.go is shown by the page: in screen.js
	// (TEXT or NOT_PAID) or in index.html (the buttons, the badge).
	consts := regexp.MustCompile(`(?m)^\s*(Text\w+)\s*=\s*"([^"]*)"`).FindAllStringSubmatch(string(goSrc), -1)
	if len(consts) < 10 {
		t.Fatalf("found only %d Text constants in view.go", len(consts))
	}
	for _, m := range consts {
		if !strings.Contains(string(js), `"`+m[2]+`"`) && !strings.Contains(string(html), ">"+m[2]+"<") {
			t.Errorf("view.go's %s %q is not on the page (screen.js, index.html)", m[1], m[2])
		}
	}
	notPaid := map[string][]string{}
	for _, m := range regexp.MustCompile(`(\w+): \["([^"]*)", TEXT\.(\w+)(, true)?\]`).FindAllStringSubmatch(string(js), -1) {
		notPaid[m[1]] = m[2:]
	}
	reasons := []plugin.Reason{plugin.ReasonInsufficientFunds, plugin.ReasonExpired, plugin.ReasonDeclinedInApp,
		plugin.ReasonCancelled, plugin.ReasonTechnical}
	if len(notPaid) != len(reasons) {
		t.Errorf("screen.js NOT_PAID has %d reasons, want %d: %q", len(notPaid), len(reasons), notPaid)
	}
	for _, r := range reasons {
		happened, next, neutral := display.NotPaid(r)
		e, ok := notPaid[string(r)]
		if !ok {
			t.Errorf("screen.js NOT_PAID has no %s", r)
			continue
		}
		if e[0] != happened || jsText[e[1]] != next || (e[2] != "") != neutral {
			t.Errorf("screen.js NOT_PAID.%s is %q, TEXT.%s (%q), neutral %t; display.NotPaid says %q, %q, %t",
				r, e[0], e[1], jsText[e[1]], e[2] != "", happened, next, neutral)
		}
	}
}

func TestGlueAndCountdown(t *testing.T) {
	for in, want := range map[string]string{
		plugin.TextDeclinedInApp:  "Оплата отменена в\u00a0приложении банка",
		plugin.TextNoConnection:   "Оплата не\u00a0завершена, нет связи с\u00a0процессингом",
		display.TextAlreadyPaid:   "Если вы уже оплатили, не\u00a0оплачивайте ещё раз\u00a0— нажмите «Повторить»",
		plugin.TextNeedsAttention: "Оплата не\u00a0завершена. Обратитесь к\u00a0администратору",
		"В и в":                   "В\u00a0и\u00a0в",
	} {
		if got := display.Glue(in); got != want {
			t.Errorf("Glue(%q) = %q, want %q", in, got, want)
		}
	}
	for d, want := range map[time.Duration]string{5 * time.Minute: "5:00", 299*time.Second + time.Millisecond: "5:00",
		299 * time.Second: "4:59", 61 * time.Second: "1:01", 9 * time.Second: "0:09", 0: "0:00", -time.Second: "0:00"} {
		if got := display.Countdown(d); got != want {
			t.Errorf("Countdown(%v) = %q, want %q", d, got, want)
		}
	}
}

// TestOrderLineAndNextSteps: the administrator's line glues the order
// number to its sign and adds the time; a technical error, an outage,
// sends the shopper to another way of paying, not to try again.
func TestOrderLineAndNextSteps(t *testing.T) {
	at := time.Date(2026, 12, 6, 14, 5, 59, 0, time.UTC)
	if got, want := display.OrderLine("K07-000153-1", at), "Заказ №\u00a0K07-000153-1, 14:05"; got != want {
		t.Errorf("OrderLine = %q, want %q", got, want)
	}
	if got, want := display.OrderLine("K07-000153-1", time.Time{}), "Заказ №\u00a0K07-000153-1"; got != want {
		t.Errorf("OrderLine without a time = %q, want %q", got, want)
	}
	if _, next, _ := display.NotPaid(plugin.ReasonTechnical); next != display.TextNextOtherWay {
		t.Errorf("a technical error says %q next, want %q", next, display.TextNextOtherWay)
	}
	if happened, _, _ := display.NotPaid(plugin.ReasonExpired); happened != plugin.TextExpired {
		t.Errorf("expired says %q, want plugin's %q", happened, plugin.TextExpired)
	}
}

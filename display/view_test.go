package display_test

import (
	"fmt"
	"os"
	"strconv"
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

// TestPageWordsAreGos: screen.js shows the same words as view.go, which
// the terminal and the tests use.
func TestPageWordsAreGos(t *testing.T) {
	js, err := os.ReadFile("web/screen.js")
	if err != nil {
		t.Fatal(err)
	}
	words := []string{display.TextIdle, display.TextToPay, display.TextToPayMixed, display.TextAlreadyPaid,
		display.TextCodeValid, display.TextStickerValid, display.TextCodeExpired, display.TextTakeReceipt,
		display.TextOrder, display.TextNextOtherWay, display.TextNextTryAgain, plugin.TextWait}
	for _, r := range []plugin.Reason{plugin.ReasonInsufficientFunds, plugin.ReasonExpired, plugin.ReasonDeclinedInApp,
		plugin.ReasonCancelled, plugin.ReasonTechnical} {
		happened, next, neutral := display.NotPaid(r)
		entry := fmt.Sprintf("%s: [%q, TEXT.", r, happened)
		if !strings.Contains(string(js), entry) {
			t.Errorf("screen.js has no %s", entry)
		}
		if neutral != (r == plugin.ReasonCancelled) || (next != display.TextNextOtherWay && next != display.TextNextTryAgain) {
			t.Errorf("%s: next %q, neutral %t", r, next, neutral)
		}
	}
	for _, w := range words {
		if !strings.Contains(string(js), strconv.Quote(w)[1:len(strconv.Quote(w))-1]) {
			t.Errorf("screen.js does not have %q", w)
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

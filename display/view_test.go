package display_test

import (
	"testing"

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

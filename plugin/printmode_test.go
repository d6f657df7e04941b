package plugin_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/sbpd/sbpd/plugin"
	"github.com/sbpd/sbpd/plugin/plugintest"
)

func printHarness(t *testing.T, fn func(h *harness, s plugin.Slip) error) (*harness, *[]plugin.Slip) {
	var slips []plugin.Slip
	var h *harness
	h = newHarness(t, func(s *plugin.Settings) { s.Mode = plugin.ModePrint; s.PrinterReady = true })
	h.engine.Printer = &plugintest.Printer{PrintSlipFn: func(ctx context.Context, s plugin.Slip) error {
		slips = append(slips, s)
		return fn(h, s)
	}}
	return h, &slips
}

func TestEngine_PrintMode(t *testing.T) {
	h, slips := printHarness(t, func(h *harness, s plugin.Slip) error {
		// The id and the QR are on disk before the printer sees them.
		rec, err := h.journal.Get(context.Background(), s.PaymentID)
		if err != nil || rec.PayMasterID == "" || rec.QRPayload != s.QRPayload || rec.State != plugin.StateCreating {
			t.Errorf("journal at print time: %+v %v", rec, err)
		}
		return nil
	})
	p := h.start("000153", 25990)
	if p.State != plugin.StateAwaitingPayment || p.Mode != plugin.ModePrint || p.Message != plugin.TextScanReceipt {
		t.Fatalf("%s mode %d %q", p.State, p.Mode, p.Message)
	}
	if len(*slips) != 1 {
		t.Fatalf("%d slips", len(*slips))
	}
	s := (*slips)[0]
	if s.Amount != 25990 || s.QRPayload != p.QRPayload || s.OrderNo != "K07-000153-1" || !s.ExpiresAt.Equal(p.ExpiresAt) {
		t.Fatalf("slip %+v", s)
	}
	kinds := fmt.Sprint(eventKinds(h, p.ID))
	if kinds != fmt.Sprint([]string{plugin.EvCreated, plugin.EvRemoteCreated, plugin.EvSlipPrinted}) {
		t.Fatalf("events %s", kinds)
	}
}

func TestEngine_PrintFallsBackToScreen(t *testing.T) {
	h, _ := printHarness(t, func(*harness, plugin.Slip) error {
		return &plugin.Error{Code: plugin.EUnavailable, Reason: plugin.PrinterPaperEnd, Message: "paper end"}
	})
	p := h.start("1", 100)
	if p.State != plugin.StateAwaitingPayment || p.Mode != plugin.ModeScreen || p.Message != plugin.TextScanScreen || p.QRPayload == "" {
		t.Fatalf("fallback: %s mode %d %q", p.State, p.Mode, p.Message)
	}
	evs := h.journal.Events(p.ID)
	last := evs[len(evs)-1]
	if last.Kind != plugin.EvPrinterFallback || !strings.Contains(last.Detail, plugin.PrinterPaperEnd) {
		t.Fatalf("journal does not say why: %+v", last)
	}
	h.bank.set(p.PayMasterID, plugin.RemoteSettled, "Success", 0)
	h.until(p.ID, plugin.StatePaid, 3*time.Second, 1)
}

func TestEngine_PrintModeNeedsPrinter(t *testing.T) {
	s := plugin.DefaultSettings()
	s.Mode = plugin.ModePrint
	if err := s.Validate(); err == nil || !strings.Contains(err.Error(), "printer") {
		t.Fatalf("%v", err)
	}
}

func eventKinds(h *harness, id string) []string {
	var out []string
	for _, ev := range h.journal.Events(id) {
		out = append(out, ev.Kind)
	}
	return out
}

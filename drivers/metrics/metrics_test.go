package metrics_test

import (
	"context"
	"errors"
	"io"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/sbpd/sbpd/drivers/metrics"
	"github.com/sbpd/sbpd/plugin"
)

var t0 = time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC)

// flow feeds one payment's events to m as the engine would.
func flow(m *metrics.Metrics, p plugin.Payment, steps ...struct {
	kind  string
	state plugin.State
	after time.Duration
}) {
	for _, s := range steps {
		p.State = s.state
		m.Observe(plugin.Event{PaymentID: p.ID, Kind: s.kind, State: s.state, At: p.CreatedAt.Add(s.after)}, p)
	}
}

type step = struct {
	kind  string
	state plugin.State
	after time.Duration
}

func TestObserve(t *testing.T) {
	m := metrics.New(metrics.Sources{}, nil)
	paid := plugin.Payment{ID: "P1", Mode: plugin.ModeScreen, CreatedAt: t0}
	flow(m, paid,
		step{plugin.EvCreated, plugin.StateCreating, 0},
		step{plugin.EvRemoteCreated, plugin.StateAwaitingPayment, 300 * time.Millisecond},
		step{plugin.EvFinal, plugin.StatePaid, 20 * time.Second})

	// Mode 0: the QR is stored, the printer fails, the QR goes to the
	// screen: one time to QR (at the fallback), one fallback.
	fallback := plugin.Payment{ID: "P2", Mode: plugin.ModePrint, CreatedAt: t0}
	flow(m, fallback,
		step{plugin.EvCreated, plugin.StateCreating, 0},
		step{plugin.EvRemoteCreated, plugin.StateCreating, 200 * time.Millisecond},
		step{plugin.EvPrinterFallback, plugin.StateAwaitingPayment, 700 * time.Millisecond})

	// A dialog while PayMaster is unreachable, a retry, a cancel that
	// PayMaster accepts, then "paid" anyway.
	late := plugin.Payment{ID: "P3", Mode: plugin.ModeSticker, CreatedAt: t0, Offline: true}
	flow(m, late,
		step{plugin.EvCreated, plugin.StateCreating, 0},
		step{plugin.EvRemoteCreated, plugin.StateAwaitingPayment, time.Second},
		step{plugin.EvQRReady, plugin.StateAwaitingPayment, 2 * time.Second}, // not a second time to QR
		step{plugin.EvStatusTimeout, plugin.StateStatusUnknown, 120 * time.Second},
		step{plugin.EvRetry, plugin.StateAwaitingPayment, 121 * time.Second},
		step{plugin.EvCancelRequested, plugin.StateCanceling, 122 * time.Second},
		step{plugin.EvCancelSent, plugin.StateCanceling, 123 * time.Second})
	late.LateSettle = true
	flow(m, late, step{plugin.EvFinal, plugin.StatePaid, 126 * time.Second})

	failed := plugin.Payment{ID: "P4", Mode: plugin.ModeScreen, CreatedAt: t0, Reason: plugin.ReasonCancelFailed}
	flow(m, failed,
		step{plugin.EvCreated, plugin.StateCreating, 0},
		step{plugin.EvCancelFailed, plugin.StateCanceling, time.Second},
		step{plugin.EvAttention, plugin.StateNeedsAttention, 2 * time.Second})

	want := `
# HELP sbpd_payments_finished_total Payments that reached paid, not_paid or needs_attention (which may later become paid or not_paid), by mode, state and reason.
# TYPE sbpd_payments_finished_total counter
sbpd_payments_finished_total{mode="1",reason="",state="paid"} 1
sbpd_payments_finished_total{mode="1",reason="cancel_failed",state="needs_attention"} 1
sbpd_payments_finished_total{mode="2",reason="",state="paid"} 1
# HELP sbpd_printer_fallbacks_total Mode 0 payments whose QR went to the screen because the receipt printer could not print, by reason.
# TYPE sbpd_printer_fallbacks_total counter
sbpd_printer_fallbacks_total{reason="other"} 1
# HELP sbpd_retries_total Times the shopper chose Повторить.
# TYPE sbpd_retries_total counter
sbpd_retries_total 1
`
	if err := testutil.GatherAndCompare(m.Registry(), strings.NewReader(want),
		"sbpd_payments_finished_total", "sbpd_printer_fallbacks_total", "sbpd_retries_total"); err != nil {
		t.Error(err)
	}
	g := gather(t, m)
	for _, c := range []struct {
		line string
	}{
		{`sbpd_payments_started_total{mode="0"} 1`},
		{`sbpd_payments_started_total{mode="1"} 2`},
		{`sbpd_payments_started_total{mode="2"} 1`},
		{`sbpd_time_to_qr_seconds_count{mode="1"} 1`},
		{`sbpd_time_to_qr_seconds_sum{mode="1"} 0.3`},
		{`sbpd_time_to_qr_seconds_count{mode="0"} 1`},
		{`sbpd_time_to_qr_seconds_sum{mode="0"} 0.7`},
		{`sbpd_time_to_qr_seconds_count{mode="2"} 1`},
		{`sbpd_time_to_paid_seconds_sum{mode="1"} 20`},
		{`sbpd_time_to_paid_seconds_sum{mode="2"} 126`},
		{`sbpd_dialogs_shown_total{reason="no_connection"} 1`},
		{`sbpd_dialogs_shown_total{reason="pending"} 0`},
		{`sbpd_cancels_total{outcome="requested"} 1`},
		{`sbpd_cancels_total{outcome="accepted"} 1`},
		{`sbpd_cancels_total{outcome="failed"} 1`},
		{`sbpd_cancels_total{outcome="paid_anyway"} 1`},
	} {
		if !strings.Contains(g, "\n"+c.line+"\n") {
			t.Errorf("missing %s", c.line)
		}
	}
}

func TestFallbackReason(t *testing.T) {
	m := metrics.New(metrics.Sources{}, nil)
	p := plugin.Payment{ID: "P", Mode: plugin.ModePrint, CreatedAt: t0}
	for _, d := range []string{"paper_end: the printer reports paper end", "cover_open: …", "paper_end", "Weird!", ""} {
		m.Observe(plugin.Event{Kind: plugin.EvPrinterFallback, Detail: d, State: plugin.StateAwaitingPayment, At: t0}, p)
	}
	g := gather(t, m)
	for _, line := range []string{`sbpd_printer_fallbacks_total{reason="paper_end"} 2`, `sbpd_printer_fallbacks_total{reason="cover_open"} 1`,
		`sbpd_printer_fallbacks_total{reason="other"} 2`} {
		if !strings.Contains(g, line+"\n") {
			t.Errorf("missing %s in\n%s", line, g)
		}
	}
}

func TestPayMasterCalls(t *testing.T) {
	m := metrics.New(metrics.Sources{}, nil)
	m.PayMasterCall("create", nil, 120*time.Millisecond)
	m.PayMasterCall("get", nil, 50*time.Millisecond)
	m.PayMasterCall("get", &plugin.Error{Code: plugin.EUnavailable, Message: "timeout"}, 10*time.Second)
	m.PayMasterCall("cancel", &plugin.Error{Code: plugin.ERejected, Message: "no"}, time.Second)
	m.PayMasterCall("get", &plugin.Error{Code: plugin.ENotFound, Message: "no such payment"}, time.Second)
	m.PayMasterCall("find", errors.New("plain"), time.Second)
	m.Delivery("failed")
	m.Delivery("delivered")
	g := gather(t, m)
	for _, line := range []string{
		`sbpd_paymaster_requests_total{endpoint="create",outcome="ok"} 1`,
		`sbpd_paymaster_requests_total{endpoint="get",outcome="ok"} 1`,
		`sbpd_paymaster_requests_total{endpoint="get",outcome="unavailable"} 1`,
		`sbpd_paymaster_requests_total{endpoint="get",outcome="not_found"} 1`,
		`sbpd_paymaster_requests_total{endpoint="cancel",outcome="rejected"} 1`,
		`sbpd_paymaster_requests_total{endpoint="find",outcome="unavailable"} 1`,
		`sbpd_paymaster_requests_total{endpoint="create",outcome="unavailable"} 0`,
		`sbpd_paymaster_request_duration_seconds_count{endpoint="get"} 3`,
		`sbpd_paymaster_request_duration_seconds_sum{endpoint="get"} 11.05`,
		`sbpd_polls_total{outcome="ok"} 1`,
		`sbpd_polls_total{outcome="unavailable"} 1`,
		`sbpd_polls_total{outcome="not_found"} 1`,
		`sbpd_notify_attempts_total{outcome="failed"} 1`,
		`sbpd_notify_attempts_total{outcome="delivered"} 1`,
		`sbpd_notify_attempts_total{outcome="gave_up"} 0`,
	} {
		if !strings.Contains(g, "\n"+line+"\n") {
			t.Errorf("missing %s", line)
		}
	}
}

func TestGauges(t *testing.T) {
	status, active := "paper_end", true
	var outboxErr error
	m := metrics.New(metrics.Sources{
		Printer: func(context.Context) string { return status },
		Outbox: func(context.Context) (map[string]int64, error) {
			return map[string]int64{"pending": 3, "exhausted": 1}, outboxErr
		},
		Active: func() bool { return active },
	}, map[string]string{"version": "1.2.3", "till_id": "K07"})
	g := gather(t, m)
	for _, line := range []string{`sbpd_printer_status{status="paper_end"} 1`, `sbpd_printer_up 0`,
		`sbpd_notify_outbox{status="pending"} 3`, `sbpd_notify_outbox{status="exhausted"} 1`, `sbpd_payment_active 1`,
		`sbpd_build_info{till_id="K07",version="1.2.3"} 1`} {
		if !strings.Contains(g, "\n"+line+"\n") {
			t.Errorf("missing %s", line)
		}
	}
	status, active, outboxErr = "ok", false, errors.New("disk I/O error")
	g = gather(t, m)
	for _, line := range []string{`sbpd_printer_status{status="ok"} 1`, `sbpd_printer_up 1`, `sbpd_payment_active 0`,
		`sbpd_scrape_errors{source="outbox"} 1`} {
		if !strings.Contains(g, "\n"+line+"\n") {
			t.Errorf("missing %s", line)
		}
	}
	status = "not_configured"
	if g := gather(t, m); strings.Contains(g, "sbpd_printer_up ") {
		t.Error("sbpd_printer_up without a printer")
	}
}

// gather scrapes m's handler as Prometheus would.
func gather(t *testing.T, m *metrics.Metrics) string {
	t.Helper()
	rec := httptest.NewRecorder()
	m.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	if rec.Code != 200 {
		t.Fatalf("scrape: %d", rec.Code)
	}
	b, _ := io.ReadAll(rec.Body)
	return "\n" + string(b)
}

// BenchmarkObserve is the cost the metrics add to one payment: its five
// usual events (created, QR, a poll's call, final) as the engine and the
// gateway report them.
func BenchmarkObserve(b *testing.B) {
	m := metrics.New(metrics.Sources{}, nil)
	p := plugin.Payment{ID: "P", Mode: plugin.ModeScreen, CreatedAt: t0}
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		p.ID = "P" + strconv.Itoa(i%1000)
		m.Observe(plugin.Event{Kind: plugin.EvCreated, State: plugin.StateCreating, At: t0}, p)
		m.PayMasterCall("create", nil, 100*time.Millisecond)
		m.Observe(plugin.Event{Kind: plugin.EvRemoteCreated, State: plugin.StateAwaitingPayment, At: t0.Add(time.Millisecond)}, p)
		m.PayMasterCall("get", nil, 50*time.Millisecond)
		m.Observe(plugin.Event{Kind: plugin.EvFinal, State: plugin.StatePaid, At: t0.Add(20 * time.Second)}, p)
	}
}

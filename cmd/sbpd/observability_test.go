package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/sbpd/sbpd/config"
	"github.com/sbpd/sbpd/drivers/paymaster/sandbox"
	"github.com/sbpd/sbpd/plugin"
)

// scripted is what scriptedPayments did, for the checks.
type scripted struct {
	ids    map[string]string // payment id → check id
	taps   int               // Отменить taps
	faults int               // polls that hit a dropped connection
}

// scriptedPayments runs one payment of each outcome a fleet watches
// through the real daemon: paid at once (mode 1), a "pending" dialog then
// Повторить then paid, PayMaster unreachable ("no_connection" dialog) then
// Отменить, declined by the bank, cancelled by the shopper while the QR is
// shown, and one on the sticker (mode 2) paid.
func scriptedPayments(t *testing.T, h *e2e) scripted {
	t.Helper()
	s := scripted{ids: map[string]string{}}
	note := func(p plugin.Payment) plugin.Payment { s.ids[p.ID] = p.CheckID; return p }

	p := note(h.start("1001", 25990, false))
	h.sb.Pay(p.PayMasterID)
	h.until(p.ID, plugin.StatePaid, poll, 1)

	p = note(h.start("1002", 100, false))
	h.until(p.ID, plugin.StateStatusUnknown, poll, 41)
	h.do("POST", "/api/v1/payments/"+p.ID+"/retry", "")
	h.sb.Pay(p.PayMasterID)
	h.until(p.ID, plugin.StatePaid, poll, 1)

	p = note(h.start("1003", 200, false))
	h.sb.AddFault(sandbox.Fault{Method: "GET", Drop: true})
	h.until(p.ID, plugin.StateStatusUnknown, poll, 41)
	h.sb.ClearFaults()
	h.do("POST", "/api/v1/payments/"+p.ID+"/cancel", "")
	s.taps++
	h.until(p.ID, plugin.StateNotPaid, poll, 2)

	p = note(h.start("1004", 300, false))
	h.sb.Decline(p.PayMasterID, "InsufficientFunds")
	h.until(p.ID, plugin.StateNotPaid, poll, 1)

	p = note(h.start("1005", 400, false))
	h.do("POST", "/api/v1/payments/"+p.ID+"/cancel", "")
	s.taps++
	h.until(p.ID, plugin.StateNotPaid, poll, 2)
	return s
}

// After the scripted payments /metrics says exactly what happened.
func TestMetrics_AfterScriptedPayments(t *testing.T) {
	h := newE2E(t)
	scriptedPayments(t, h)
	h.start("1006", 500, false) // the last one holds the kiosk at the scrape

	st, body := h.do("GET", "/metrics", "")
	if st != http.StatusOK {
		t.Fatalf("GET /metrics: %d %s", st, body)
	}
	parser := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := parser.TextToMetricFamilies(bytes.NewReader(body))
	if err != nil {
		t.Fatalf("/metrics is not the Prometheus text format: %v", err)
	}
	value := func(name string, labels ...string) float64 {
		t.Helper()
		f, ok := fams[name]
		if !ok {
			t.Fatalf("%s is missing from /metrics", name)
		}
	next:
		for _, m := range f.GetMetric() {
			have := map[string]string{}
			for _, l := range m.GetLabel() {
				have[l.GetName()] = l.GetValue()
			}
			for i := 0; i+1 < len(labels); i += 2 {
				if have[labels[i]] != labels[i+1] {
					continue next
				}
			}
			switch {
			case m.Counter != nil:
				return m.Counter.GetValue()
			case m.Gauge != nil:
				return m.Gauge.GetValue()
			case m.Histogram != nil:
				return float64(m.Histogram.GetSampleCount())
			}
		}
		return 0
	}
	sum := func(name string) float64 {
		f := fams[name]
		total := 0.0
		for _, m := range f.GetMetric() {
			if m.Histogram != nil {
				total += m.Histogram.GetSampleSum()
			}
		}
		return total
	}
	checks := []struct {
		what string
		got  float64
		want float64
	}{
		{"started, mode 1", value("sbpd_payments_started_total", "mode", "1"), 6},
		{"paid", value("sbpd_payments_finished_total", "mode", "1", "state", "paid"), 2},
		{"not paid: cancelled", value("sbpd_payments_finished_total", "state", "not_paid", "reason", "cancelled"), 2},
		{"not paid: insufficient funds", value("sbpd_payments_finished_total", "state", "not_paid", "reason", "insufficient_funds"), 1},
		{"time to QR observations", value("sbpd_time_to_qr_seconds", "mode", "1"), 6},
		{"time to paid observations", value("sbpd_time_to_paid_seconds", "mode", "1"), 2},
		{"dialogs: pending", value("sbpd_dialogs_shown_total", "reason", "pending"), 1},
		{"dialogs: no connection", value("sbpd_dialogs_shown_total", "reason", "no_connection"), 1},
		{"retries", value("sbpd_retries_total"), 1},
		{"cancels requested", value("sbpd_cancels_total", "outcome", "requested"), 2},
		{"cancels accepted", value("sbpd_cancels_total", "outcome", "accepted"), 2},
		{"cancels failed", value("sbpd_cancels_total", "outcome", "failed"), 0},
		{"PayMaster creates ok", value("sbpd_paymaster_requests_total", "endpoint", "create", "outcome", "ok"), 6},
		{"PayMaster cancels ok", value("sbpd_paymaster_requests_total", "endpoint", "cancel", "outcome", "ok"), 2},
		{"create latency observations", value("sbpd_paymaster_request_duration_seconds", "endpoint", "create"), 6},
		{"printer", value("sbpd_printer_status", "status", "not_configured"), 1},
		{"active payment", value("sbpd_payment_active"), 1},
		{"notify backlog", value("sbpd_notify_outbox", "status", "pending"), 5}, // notify.url unset: queued, never sent
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s = %v, want %v", c.what, c.got, c.want)
		}
	}
	// Polls: every GET of a payment is a poll; those during the dropped
	// connection failed, and they match PayMaster's own count.
	okPolls, failedPolls := value("sbpd_polls_total", "outcome", "ok"), value("sbpd_polls_total", "outcome", "unavailable")
	if failedPolls < 40 || okPolls < 40 {
		t.Errorf("polls ok %v, unavailable %v: want the 2-minute waits' polls", okPolls, failedPolls)
	}
	if got := value("sbpd_paymaster_requests_total", "endpoint", "get", "outcome", "ok"); got != okPolls {
		t.Errorf("PayMaster get ok %v != polls ok %v", got, okPolls)
	}
	if handled := float64(h.sb.Handled(sandbox.KindGet)); okPolls != handled {
		t.Errorf("polls ok %v, the sandbox answered %v GETs", okPolls, handled)
	}
	// The fake clock: time to QR is 0 (no clock step between the request
	// and the QR); time to paid is the polls' steps: 3 s + (123 s + 3 s).
	if got := sum("sbpd_time_to_qr_seconds"); got != 0 {
		t.Errorf("time to QR sum %v s, want 0 under the fake clock", got)
	}
	if got := sum("sbpd_time_to_paid_seconds"); got < 120 || got > 140 {
		t.Errorf("time to paid sum %v s, want one poll plus the 2-minute dialog", got)
	}
	if value("sbpd_build_info", "version", version, "till_id", "K07") != 1 {
		t.Error("sbpd_build_info{version, till_id} missing")
	}
}

// /metrics needs the token when the API has one.
func TestMetrics_BehindToken(t *testing.T) {
	h := newE2E(t, func(c *config.Config) { c.APIToken = "tok-" + strings.Repeat("7", 24) })
	if st, _ := h.do("GET", "/metrics", ""); st != http.StatusUnauthorized {
		t.Fatalf("GET /metrics without the token: %d", st)
	}
}

// Every log line about a payment carries its payment_id and check_id, the
// log is JSON (not a terminal), and no secret is in it.
func TestLogs_CarryIDsAndNoSecrets(t *testing.T) {
	logs := &syncBuffer{}
	notifySecret := "whsec-" + strings.Repeat("5", 20)
	h := newE2E(t, func(c *config.Config) { c.Notify.Secret = notifySecret })
	h.d.Close()
	h.logs = logs
	h.open()
	s := scriptedPayments(t, h)
	h.restart() // the start and reconcile lines too

	text := logs.String()
	for _, secret := range []string{h.sb.Token(), notifySecret} {
		if strings.Contains(text, secret) {
			t.Errorf("a secret is in the log")
		}
	}
	seen := map[string]int{}
	sc := bufio.NewScanner(strings.NewReader(text))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	n := 0
	for sc.Scan() {
		n++
		var line map[string]any
		if err := json.Unmarshal(sc.Bytes(), &line); err != nil {
			t.Fatalf("log line %d is not JSON: %v: %s", n, err, sc.Bytes())
		}
		for _, k := range []string{"time", "level", "msg"} {
			if _, ok := line[k]; !ok {
				t.Errorf("log line %d has no %q: %s", n, k, sc.Bytes())
			}
		}
		msg, _ := line["msg"].(string)
		path, _ := line["path"].(string)
		id, _ := line["payment_id"].(string)
		check, _ := line["check_id"].(string)
		// About a payment: it names one, or it is a call to PayMaster
		// about one, or a request to the till API about one.
		about := id != "" || check != "" || line["paymaster_id"] != nil || line["order_no"] != nil ||
			(strings.HasPrefix(msg, "paymaster:") && strings.Contains(path, "/payments")) ||
			(msg == "till api request" && strings.Count(path, "/") >= 4)
		if !about {
			continue
		}
		if id == "" || check == "" {
			t.Errorf("log line %d is about a payment but lacks payment_id or check_id: %s", n, sc.Bytes())
			continue
		}
		if want, ok := s.ids[id]; !ok || want != check {
			t.Errorf("log line %d: payment %s with check %q, want check %q: %s", n, id, check, want, sc.Bytes())
		}
		seen[id]++
	}
	if n < 50 {
		t.Fatalf("only %d log lines at debug level", n)
	}
	for id, check := range s.ids {
		if seen[id] < 3 {
			t.Errorf("payment %s (check %s) has %d log lines", id, check, seen[id])
		}
	}
	var sawPayMaster bool
	for _, l := range strings.Split(text, "\n") {
		if strings.Contains(l, `"msg":"paymaster: answer"`) && strings.Contains(l, `"payment_id"`) {
			sawPayMaster = true
		}
	}
	if !sawPayMaster {
		t.Error("no PayMaster answer line carries the payment's id")
	}
}

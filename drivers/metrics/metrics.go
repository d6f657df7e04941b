// Package metrics exports what one kiosk's sbpd does as Prometheus metrics
// at /metrics: payments by mode and outcome, how long the shopper waits for
// the QR and for "paid", every PayMaster call with its outcome and latency,
// polls, dialogs, cancels, the receipt printer and the notification
// backlog. Summed over a fleet they show a failure at the acquirer within
// minutes; docs/monitoring.md has the queries and alert rules.
//
// The engine reports through Observe (plugin.Observer); the daemon reports
// PayMaster calls, polls and deliveries through the other methods, and
// gives the gauges' sources (Sources) that are read at each scrape.
package metrics

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/sbpd/sbpd/plugin"
)

// Sources are read at each scrape for the gauges. Any may be nil.
type Sources struct {
	// Printer is the receipt printer's status word: plugin.PrinterOK,
	// PrinterPaperNearEnd, one of the reasons it cannot print
	// (PrinterPaperEnd, …) or PrinterNotConfigured.
	Printer func(ctx context.Context) string
	// Outbox is the number of notifications to the accounting system
	// pending (the backlog) and exhausted (given up).
	Outbox func(ctx context.Context) (map[string]int64, error)
	// Active is whether a payment holds the kiosk now.
	Active func() bool
	// Attention is the number of payments now in needs_attention and of
	// paid payments not yet delivered to the accounting system.
	Attention func(ctx context.Context) (needsAttention, paidUndelivered int64, err error)
}

// Metrics is the registry of one daemon. Its methods are safe for
// concurrent use and never block on I/O.
type Metrics struct {
	reg *prometheus.Registry

	started    *prometheus.CounterVec
	finished   *prometheus.CounterVec
	timeToQR   *prometheus.HistogramVec
	timeToPaid *prometheus.HistogramVec
	dialogs    *prometheus.CounterVec
	retries    prometheus.Counter
	cancels    *prometheus.CounterVec
	fallbacks  *prometheus.CounterVec
	pmCalls    *prometheus.CounterVec
	pmLatency  *prometheus.HistogramVec
	polls      *prometheus.CounterVec
	deliveries *prometheus.CounterVec

	mu    sync.Mutex
	ready map[string]struct{} // payments whose time to QR is observed, until final
}

// ScrapeTimeout bounds the reads of the gauges' sources at one scrape.
const ScrapeTimeout = 2 * time.Second

// New returns the metrics of one daemon, with Go runtime and process
// metrics beside them. info labels sbpd_build_info (version, till_id).
func New(src Sources, info map[string]string) *Metrics {
	m := &Metrics{reg: prometheus.NewRegistry(), ready: map[string]struct{}{}}
	m.define()
	m.reg.MustRegister(m.started, m.finished, m.timeToQR, m.timeToPaid, m.dialogs, m.retries, m.cancels,
		m.fallbacks, m.pmCalls, m.pmLatency, m.polls, m.deliveries,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		&gauges{src: src})
	if info != nil {
		g := prometheus.NewGauge(prometheus.GaugeOpts{Name: "sbpd_build_info", Help: "Always 1; the labels say which sbpd runs where.",
			ConstLabels: info})
		g.Set(1)
		m.reg.MustRegister(g)
	}
	m.zero()
	return m
}

// define creates the counters and histograms.
func (m *Metrics) define() {
	m.started = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "sbpd_payments_started_total",
		Help: "Payments started by the till, by QR mode (0 receipt, 1 screen, 2 sticker).",
	}, []string{"mode"})
	m.finished = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "sbpd_payments_finished_total",
		Help: "Payments that reached paid, not_paid or needs_attention (which may later become paid or not_paid), by mode, state and reason.",
	}, []string{"mode", "state", "reason"})
	m.timeToQR = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "sbpd_time_to_qr_seconds",
		Help:    "From the till's request to the shopper being able to pay (QR on screen or receipt, or the sticker hint), by mode.",
		Buckets: []float64{.01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30},
	}, []string{"mode"})
	m.timeToPaid = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "sbpd_time_to_paid_seconds",
		Help:    "From the till's request to paid, by mode (the shopper's time in the bank app included).",
		Buckets: []float64{5, 10, 15, 20, 30, 45, 60, 90, 120, 180, 300},
	}, []string{"mode"})
	m.dialogs = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "sbpd_dialogs_shown_total",
		Help: `Retry/Cancel dialogs shown: reason "no_connection" (PayMaster unreachable) or "pending" (PayMaster answers, no final status).`,
	}, []string{"reason"})
	m.retries = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "sbpd_retries_total",
		Help: "Times the shopper chose Повторить.",
	})
	m.cancels = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "sbpd_cancels_total",
		Help: `Cancels: "requested" by the shopper, cancel calls "accepted" or "failed" at PayMaster, "paid_anyway" when the payment settled after the cancel.`,
	}, []string{"outcome"})
	m.fallbacks = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "sbpd_printer_fallbacks_total",
		Help: "Mode 0 payments whose QR went to the screen because the receipt printer could not print, by reason.",
	}, []string{"reason"})
	m.pmCalls = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "sbpd_paymaster_requests_total",
		Help: `Calls to PayMaster by endpoint (create, get, cancel, find) and outcome: "ok", "rejected" (PayMaster refused), "not_found", "unavailable" (no answer, 5xx, garbage).`,
	}, []string{"endpoint", "outcome"})
	m.pmLatency = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "sbpd_paymaster_request_duration_seconds",
		Help:    "Duration of calls to PayMaster, retries included, by endpoint.",
		Buckets: []float64{.05, .1, .25, .5, 1, 2, 5, 10, 20, 30},
	}, []string{"endpoint"})
	m.polls = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "sbpd_polls_total",
		Help: `Status polls of a payment at PayMaster, by outcome ("ok" or as in sbpd_paymaster_requests_total).`,
	}, []string{"outcome"})
	m.deliveries = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "sbpd_notify_attempts_total",
		Help: `Deliveries of final payments to the accounting system (notify.url) by outcome: "delivered", "failed" (retried later), "gave_up".`,
	}, []string{"outcome"})
}

// zero exports every label value that can occur from the start, at 0,
// so that rate() and alerts see a series before its first increment.
func (m *Metrics) zero() {
	for _, mode := range []string{"0", "1", "2"} {
		m.started.WithLabelValues(mode)
	}
	for _, r := range []string{"no_connection", "pending"} {
		m.dialogs.WithLabelValues(r)
	}
	for _, o := range []string{"requested", "accepted", "failed", "paid_anyway"} {
		m.cancels.WithLabelValues(o)
	}
	for _, e := range []string{"create", "get", "cancel", "find"} {
		for _, o := range []string{"ok", "rejected", "not_found", "unavailable"} {
			m.pmCalls.WithLabelValues(e, o)
		}
	}
	for _, o := range []string{"ok", "rejected", "not_found", "unavailable"} {
		m.polls.WithLabelValues(o)
	}
	for _, o := range []string{plugin.NotifyDelivered, plugin.NotifyFailed, plugin.NotifyGaveUp} {
		m.deliveries.WithLabelValues(o)
	}
}

// Handler serves the metrics in the Prometheus text format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{Timeout: ScrapeTimeout + time.Second})
}

// Registry is the metrics' registry (tests gather from it).
func (m *Metrics) Registry() *prometheus.Registry { return m.reg }

// Observe counts one change the engine committed (plugin.Observer).
func (m *Metrics) Observe(ev plugin.Event, p plugin.Payment) {
	mode := strconv.Itoa(int(p.Mode))
	switch ev.Kind {
	case plugin.EvCreated:
		m.started.WithLabelValues(mode).Inc()
	case plugin.EvRemoteCreated, plugin.EvQRReady, plugin.EvSlipPrinted, plugin.EvPrinterFallback:
		if ev.Kind == plugin.EvPrinterFallback {
			m.fallbacks.WithLabelValues(fallbackReason(ev.Detail)).Inc()
		}
		if ev.State == plugin.StateAwaitingPayment && !p.CreatedAt.IsZero() && m.firstReady(p.ID) {
			m.timeToQR.WithLabelValues(mode).Observe(ev.At.Sub(p.CreatedAt).Seconds())
		}
	case plugin.EvStatusTimeout:
		reason := "pending"
		if p.Offline {
			reason = "no_connection"
		}
		m.dialogs.WithLabelValues(reason).Inc()
	case plugin.EvRetry:
		m.retries.Inc()
	case plugin.EvCancelRequested:
		m.cancels.WithLabelValues("requested").Inc()
	case plugin.EvCancelSent:
		m.cancels.WithLabelValues("accepted").Inc()
	case plugin.EvCancelFailed:
		m.cancels.WithLabelValues("failed").Inc()
	}
	// A payment's runner stops at a final state: it is reached once. A
	// payment that needs attention is counted when it gets there; the
	// runner goes on polling, so it may later be counted paid or not paid.
	if ev.State.Final() && ev.Kind != plugin.EvCreated ||
		ev.Kind == plugin.EvAttention && ev.State == plugin.StateNeedsAttention {
		m.mu.Lock()
		delete(m.ready, p.ID)
		m.mu.Unlock()
		m.finished.WithLabelValues(mode, string(ev.State), string(p.Reason)).Inc()
		if ev.State == plugin.StatePaid {
			if p.LateSettle {
				m.cancels.WithLabelValues("paid_anyway").Inc()
			}
			if !p.CreatedAt.IsZero() {
				m.timeToPaid.WithLabelValues(mode).Observe(ev.At.Sub(p.CreatedAt).Seconds())
			}
		}
	}
}

// firstReady tells whether the payment can be paid for the first time
// (QR shown, slip printed, sticker hint): a payment whose QR arrives again
// after a restart or whose slip falls back to the screen is timed once.
func (m *Metrics) firstReady(id string) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, seen := m.ready[id]; seen {
		return false
	}
	if len(m.ready) >= maxTracked {
		clear(m.ready) // payments that never finished in this process
	}
	m.ready[id] = struct{}{}
	return true
}

// maxTracked bounds the payments remembered by firstReady.
const maxTracked = 1000

// fallbackReason is the reason word of a printer_fallback event's detail
// ("paper_end: …"), kept to a short known set.
func fallbackReason(detail string) string {
	reason, _, _ := strings.Cut(detail, ":")
	if reason == "" || strings.Trim(reason, "abcdefghijklmnopqrstuvwxyz_") != "" {
		return "other"
	}
	return reason
}

// PayMasterCall counts one call to PayMaster: endpoint is create, get,
// cancel or find; err is its result.
func (m *Metrics) PayMasterCall(endpoint string, err error, d time.Duration) {
	o := outcome(err)
	m.pmCalls.WithLabelValues(endpoint, o).Inc()
	m.pmLatency.WithLabelValues(endpoint).Observe(d.Seconds())
	if endpoint == "get" {
		m.polls.WithLabelValues(o).Inc()
	}
}

// Delivery counts one attempt to notify the accounting system.
func (m *Metrics) Delivery(outcome string) { m.deliveries.WithLabelValues(outcome).Inc() }

func outcome(err error) string {
	if err == nil {
		return "ok"
	}
	switch plugin.ErrorCode(err) {
	case plugin.ERejected:
		return "rejected"
	case plugin.ENotFound:
		return "not_found"
	default:
		return "unavailable"
	}
}

// gauges reads the sources at each scrape.
type gauges struct {
	src Sources
	mu  sync.Mutex // one scrape at a time asks the printer
}

var (
	printerDesc = prometheus.NewDesc("sbpd_printer_status",
		"The receipt printer's status at the scrape: 1 for the current status, labelled (ok, paper_near_end, paper_end, cover_open, offline, no_answer, not_configured, …).",
		[]string{"status"}, nil)
	printerUpDesc = prometheus.NewDesc("sbpd_printer_up",
		"1 if the receipt printer can print (ok or paper near end), 0 if not; absent without a printer.", nil, nil)
	outboxDesc = prometheus.NewDesc("sbpd_notify_outbox",
		"Notifications to the accounting system not delivered: pending (the backlog) and exhausted (given up).",
		[]string{"status"}, nil)
	activeDesc = prometheus.NewDesc("sbpd_payment_active",
		"1 while a payment holds the kiosk.", nil, nil)
	attentionDesc = prometheus.NewDesc("sbpd_payments_needs_attention",
		"Payments now in needs_attention: an administrator must decide (sbpd journal list --state needs_attention).", nil, nil)
	undeliveredDesc = prometheus.NewDesc("sbpd_notify_paid_undelivered",
		"Paid payments the accounting system has not been told of yet (delivery pending or given up).", nil, nil)
	scrapeErrDesc = prometheus.NewDesc("sbpd_scrape_errors",
		"Gauges that could not be read at this scrape, by source.", []string{"source"}, nil)
)

func (g *gauges) Describe(ch chan<- *prometheus.Desc) {
	ch <- printerDesc
	ch <- printerUpDesc
	ch <- outboxDesc
	ch <- activeDesc
	ch <- attentionDesc
	ch <- undeliveredDesc
	ch <- scrapeErrDesc
}

func (g *gauges) Collect(ch chan<- prometheus.Metric) {
	g.mu.Lock()
	defer g.mu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), ScrapeTimeout)
	defer cancel()
	if g.src.Printer != nil {
		st := g.src.Printer(ctx)
		ch <- prometheus.MustNewConstMetric(printerDesc, prometheus.GaugeValue, 1, st)
		if st != plugin.PrinterNotConfigured {
			up := 0.0
			if plugin.PrinterCanPrint(st) {
				up = 1
			}
			ch <- prometheus.MustNewConstMetric(printerUpDesc, prometheus.GaugeValue, up)
		}
	}
	if g.src.Outbox != nil {
		counts, err := g.src.Outbox(ctx)
		if err != nil {
			ch <- prometheus.MustNewConstMetric(scrapeErrDesc, prometheus.GaugeValue, 1, "outbox")
		}
		for status, n := range counts {
			ch <- prometheus.MustNewConstMetric(outboxDesc, prometheus.GaugeValue, float64(n), status)
		}
	}
	if g.src.Attention != nil {
		na, pu, err := g.src.Attention(ctx)
		if err != nil {
			ch <- prometheus.MustNewConstMetric(scrapeErrDesc, prometheus.GaugeValue, 1, "attention")
		} else {
			ch <- prometheus.MustNewConstMetric(attentionDesc, prometheus.GaugeValue, float64(na))
			ch <- prometheus.MustNewConstMetric(undeliveredDesc, prometheus.GaugeValue, float64(pu))
		}
	}
	if g.src.Active != nil {
		v := 0.0
		if g.src.Active() {
			v = 1
		}
		ch <- prometheus.MustNewConstMetric(activeDesc, prometheus.GaugeValue, v)
	}
}

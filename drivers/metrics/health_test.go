package metrics_test

import (
	"context"
	"encoding/json"
	"errors"
	"testing"

	"github.com/sbpd/sbpd/drivers/metrics"
	"github.com/sbpd/sbpd/plugin"
)

// CheckHealth judges the daemon by the journal and the engine only, and its
// parts encode as /healthz has always shown them.
func TestCheckHealth(t *testing.T) {
	ready := func() bool { return true }
	cases := map[string]struct {
		src  metrics.HealthSources
		ok   bool
		want string
	}{
		"nothing asked": {want: `{"engine":{"ready":false},"journal":{"status":"ok"},"notify":{"status":"not_configured"},"paymaster":{"status":"unknown"},"printer":{"status":"not_configured"}}`},
		"ready":         {src: metrics.HealthSources{Ready: ready, Notify: func() bool { return true }}, ok: true, want: `{"engine":{"ready":true},"journal":{"status":"ok"},"notify":{"status":"ok"},"paymaster":{"status":"unknown"},"printer":{"status":"not_configured"}}`},
		"journal broken": {src: metrics.HealthSources{Ready: ready, Journal: func(context.Context) error { return errors.New("disk I/O error") }},
			want: `{"engine":{"ready":true},"journal":{"error":"disk I/O error","status":"error"},"notify":{"status":"not_configured"},"paymaster":{"status":"unknown"},"printer":{"status":"not_configured"}}`},
		"stuck, paper end, a payment": {src: metrics.HealthSources{Ready: ready,
			Stuck: func(context.Context) (int, error) { return 2, nil },
			Printer: func(context.Context) metrics.PrinterHealth {
				return metrics.PrinterHealth{Port: "/dev/ttyS0", State: "paper end", Status: "paper_end"}
			},
			Active: func() (plugin.Payment, bool) {
				return plugin.Payment{ID: "p1", CheckID: "000153", State: plugin.StateAwaitingPayment}, true
			}},
			ok:   true,
			want: `{"active_payment":{"check_id":"000153","id":"p1","state":"awaiting_payment"},"engine":{"ready":true},"journal":{"status":"ok"},"notify":{"status":"stuck","stuck_paid":2},"paymaster":{"status":"unknown"},"printer":{"port":"/dev/ttyS0","state":"paper end","status":"paper_end"}}`},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			h := metrics.CheckHealth(context.Background(), c.src)
			b, _ := json.Marshal(h.Parts())
			if h.OK() != c.ok || string(b) != c.want {
				t.Fatalf("ok %v\n%s\nwant %v\n%s", h.OK(), b, c.ok, c.want)
			}
		})
	}
}

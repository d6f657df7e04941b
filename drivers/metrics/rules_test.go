package metrics_test

import (
	"context"
	"encoding/json"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/sbpd/sbpd/drivers/metrics"
	"github.com/sbpd/sbpd/plugin"
)

// The example alert rules in the docs parse and name only metrics sbpd
// exports, so a renamed metric cannot silently break a fleet's alerts.
func TestExampleAlertRules(t *testing.T) {
	b, err := os.ReadFile("../../docs/prometheus/sbpd-rules.yml")
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Groups []struct {
			Name  string `yaml:"name"`
			Rules []struct {
				Alert       string            `yaml:"alert"`
				Expr        string            `yaml:"expr"`
				Labels      map[string]string `yaml:"labels"`
				Annotations map[string]string `yaml:"annotations"`
			} `yaml:"rules"`
		} `yaml:"groups"`
	}
	if err := yaml.Unmarshal(b, &doc); err != nil {
		t.Fatalf("sbpd-rules.yml: %v", err)
	}
	known := exported(t)
	alerts := 0
	for _, g := range doc.Groups {
		for _, r := range g.Rules {
			alerts++
			if r.Alert == "" || strings.TrimSpace(r.Expr) == "" || r.Labels["severity"] == "" || r.Annotations["summary"] == "" {
				t.Errorf("group %s: rule %q lacks alert, expr, severity or summary", g.Name, r.Alert)
			}
			for _, n := range metricName.FindAllString(r.Expr, -1) {
				if !known[n] {
					t.Errorf("alert %s uses %s, which sbpd does not export", r.Alert, n)
				}
			}
		}
	}
	if alerts < 5 {
		t.Fatalf("%d alert rules", alerts)
	}
}

var metricName = regexp.MustCompile(`\bsbpd_[a-z_]+\b`)

// exported is every series name sbpd's /metrics can carry, histogram
// suffixes included.
func exported(t *testing.T) map[string]bool {
	t.Helper()
	m := metrics.New(metrics.Sources{Printer: func(context.Context) string { return "ok" }, Active: func() bool { return false },
		Attention: func(context.Context) (int64, int64, error) { return 0, 0, nil }}, map[string]string{"version": "x"})
	// Vectors show in a scrape once they have a value.
	p := plugin.Payment{ID: "P", Mode: plugin.ModeScreen, CreatedAt: t0}
	flow(m, p, step{plugin.EvCreated, plugin.StateCreating, 0},
		step{plugin.EvRemoteCreated, plugin.StateAwaitingPayment, time.Second},
		step{plugin.EvFinal, plugin.StatePaid, time.Minute})
	m.Observe(plugin.Event{Kind: plugin.EvPrinterFallback, Detail: "paper_end", State: plugin.StateAwaitingPayment, At: t0}, p)
	m.PayMasterCall("create", nil, time.Second)
	fams, err := m.Registry().Gather()
	if err != nil {
		t.Fatal(err)
	}
	known := map[string]bool{}
	for _, f := range fams {
		n := f.GetName()
		known[n], known[n+"_bucket"], known[n+"_sum"], known[n+"_count"] = true, true, true, true
	}
	known["sbpd_notify_outbox"] = true // present once the journal answers
	return known
}

// The example Grafana dashboard is valid JSON with a query in every panel,
// and names only metrics sbpd exports.
func TestExampleDashboard(t *testing.T) {
	b, err := os.ReadFile("../../docs/grafana/sbpd-fleet.json")
	if err != nil {
		t.Fatal(err)
	}
	var dash struct {
		Title  string
		Panels []struct {
			Title   string
			Targets []struct{ Expr string }
		}
	}
	if err := json.Unmarshal(b, &dash); err != nil {
		t.Fatalf("sbpd-fleet.json: %v", err)
	}
	known := exported(t)
	if dash.Title == "" || len(dash.Panels) < 8 {
		t.Fatalf("dashboard %q with %d panels", dash.Title, len(dash.Panels))
	}
	for _, p := range dash.Panels {
		if p.Title == "" || len(p.Targets) == 0 {
			t.Errorf("panel %q has no title or no query", p.Title)
		}
		for _, q := range p.Targets {
			names := metricName.FindAllString(q.Expr, -1)
			if len(names) == 0 && !strings.Contains(q.Expr, "up{") {
				t.Errorf("panel %q: query %q names no sbpd metric", p.Title, q.Expr)
			}
			for _, n := range names {
				if !known[n] {
					t.Errorf("panel %q uses %s, which sbpd does not export", p.Title, n)
				}
			}
		}
	}
}

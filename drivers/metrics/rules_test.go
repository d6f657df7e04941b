package metrics_test

import (
	"context"
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
	m := metrics.New(metrics.Sources{Printer: func(context.Context) string { return "ok" }, Active: func() bool { return false }}, map[string]string{"version": "x"})
	// Vectors show in a scrape once they have a value.
	p := plugin.Payment{ID: "P", Mode: plugin.ModeScreen, CreatedAt: t0}
	flow(m, p, step{plugin.EvCreated, plugin.StateCreating, 0},
		step{plugin.EvRemoteCreated, plugin.StateAwaitingPayment, time.Second},
		step{plugin.EvFinal, plugin.StatePaid, time.Minute})
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
	name := regexp.MustCompile(`\bsbpd_[a-z_]+\b`)
	alerts := 0
	for _, g := range doc.Groups {
		for _, r := range g.Rules {
			alerts++
			if r.Alert == "" || strings.TrimSpace(r.Expr) == "" || r.Labels["severity"] == "" || r.Annotations["summary"] == "" {
				t.Errorf("group %s: rule %q lacks alert, expr, severity or summary", g.Name, r.Alert)
			}
			for _, n := range name.FindAllString(r.Expr, -1) {
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

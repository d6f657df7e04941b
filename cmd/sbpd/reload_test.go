package main

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sbpd/sbpd/config"
	"github.com/sbpd/sbpd/drivers/paymaster"
	"github.com/sbpd/sbpd/drivers/paymaster/sandbox"
	"github.com/sbpd/sbpd/plugin"
	"github.com/sbpd/sbpd/plugin/plugintest"
)

// TestServe_LiveReload runs the daemon as serve does (template file + till
// settings in the journal's database) and changes settings under it.
func TestServe_LiveReload(t *testing.T) {
	clock := plugintest.NewClock()
	sb := sandbox.New(sandbox.Options{Token: "reload-secret-token", MerchantID: "0b7c2f9e-3a51-4c1d-9e8a-5f2d6c7b8a90",
		Clock: clock, Stickers: []string{testSticker}})
	if _, err := sb.Start("127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	defer sb.Close()
	dir := t.TempDir()
	tmpl := filepath.Join(dir, "sbpd.yaml")
	writeTemplate := func(tillID string) {
		os.WriteFile(tmpl, []byte(fmt.Sprintf(`listen: 127.0.0.1:0
data_dir: %s
till: {id: %s}
paymaster:
  base_url: %s
  merchant_id: %s
  token: %s
  sticker_id: %s
`, filepath.Join(dir, "data"), tillID, sb.URL(), sb.MerchantID(), sb.Token(), testSticker)), 0o600)
	}
	writeTemplate("K07")
	layers := config.Options{Path: tmpl, MustExist: true}
	base, err := config.Open(context.Background(), layers)
	if err != nil {
		t.Fatal(err)
	}
	logs := &syncBuffer{}
	d := &Daemon{Config: base, Layers: &layers, Remote: true, Clock: clock, ReloadEvery: 2 * time.Second,
		Logger: slog.New(slog.NewTextHandler(logs, nil)),
		Tune:   func(c *paymaster.Config) { c.RetryWaitMin, c.RetryWaitMax = time.Millisecond, 5*time.Millisecond }}
	if err := d.Open(context.Background()); err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	h := &e2e{t: t, clock: clock, sb: sb, cfg: base, d: d}

	waitUntil := func(what string, cond func() bool) {
		t.Helper()
		deadline := time.Now().Add(5 * time.Second)
		for !cond() {
			if time.Now().After(deadline) {
				t.Fatalf("timed out: %s", what)
			}
			time.Sleep(2 * time.Millisecond)
		}
	}
	reloadTick := func() { // the reload timer fires; the poll timer (3 s) does not
		clock.WaitForTimers(t, 2)
		clock.Advance(2 * time.Second)
	}

	// /healthz reads the settings in force while reloads replace them.
	stopHealth := make(chan struct{})
	healthDone := make(chan struct{})
	go func() {
		defer close(healthDone)
		for {
			select {
			case <-stopHealth:
				return
			default:
			}
			if r, err := http.Get(d.URL() + "/healthz"); err == nil {
				r.Body.Close()
			}
		}
	}()
	defer func() { close(stopHealth); <-healthDone }()

	p1 := h.start("1", 100, false)
	if p1.Mode != 1 {
		t.Fatalf("mode %d", p1.Mode)
	}
	if err := d.DB.Settings().Set(context.Background(), "sbp.qr_mode", "2", "technician"); err != nil {
		t.Fatal(err)
	}
	reloadTick()
	waitUntil("the engine takes mode 2", func() bool { return d.Engine.Settings().Mode == plugin.ModeSticker })
	if !strings.Contains(logs.String(), "sbp.qr_mode: 1 → 2") {
		t.Fatalf("the change is not logged:\n%s", logs)
	}
	// The payment in progress keeps its mode and finishes as it started.
	if got := h.get(p1.ID); got.Mode != 1 || got.State != plugin.StateAwaitingPayment {
		t.Fatalf("payment in progress changed: mode %d %s", got.Mode, got.State)
	}
	sb.Pay(p1.PayMasterID)
	clock.Advance(time.Second) // the 3 s poll
	waitUntil("paid", func() bool { return h.get(p1.ID).State == plugin.StatePaid })
	if p2 := h.start("2", 100, false); p2.Mode != 2 {
		t.Fatalf("the next payment has mode %d, want 2", p2.Mode)
	}

	// A change that does not validate is rejected; the running settings stay.
	if err := d.DB.Settings().Set(context.Background(), "sbp.status_timeout", "1s", "technician"); err != nil {
		t.Fatal(err)
	}
	reloadTick()
	waitUntil("the rejection is logged", func() bool { return strings.Contains(logs.String(), "settings change rejected") })
	if st := d.Engine.Settings().StatusTimeout; st != 120*time.Second {
		t.Fatalf("a rejected change was applied: status timeout %s", st)
	}

	// The template changes too.
	d.DB.Settings().Unset(context.Background(), "sbp.status_timeout")
	writeTemplate("K08")
	reloadTick()
	waitUntil("till.id from the template", func() bool { return d.Engine.Settings().TillID == "K08" })
	if strings.Contains(logs.String(), sb.Token()) {
		t.Fatal("the token is in the log")
	}
	if st, _ := h.do("GET", "/healthz", ""); st != http.StatusOK {
		t.Fatalf("healthz %d", st)
	}
}

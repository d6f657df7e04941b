package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"path/filepath"
	"testing"
	"time"

	"github.com/sbpd/sbpd/config"
	"github.com/sbpd/sbpd/drivers/paymaster"
	"github.com/sbpd/sbpd/drivers/paymaster/sandbox"
	"github.com/sbpd/sbpd/drivers/serial"
	"github.com/sbpd/sbpd/plugin"
	"github.com/sbpd/sbpd/plugin/plugintest"
)

const testSticker = "a1b2c3d4e5f6"

// e2e is the real daemon wiring: the till API over loopback HTTP, the
// PayMaster sandbox over loopback HTTP, a SQLite file in a temp dir, and a
// fake clock so that 3-second polls and 2-minute timeouts take no time.
type e2e struct {
	t       *testing.T
	clock   *plugintest.Clock
	sb      *sandbox.Server
	cfg     *config.Config
	d       *Daemon
	dataDir string
	serial  func(*serial.Options)   // tunes the printer port, if any
	pm      func(*paymaster.Config) // tunes the PayMaster client further, if set
	logs    io.Writer               // the daemon's JSON log at debug level, if set
	// routes and embeddable are the daemon's extra routes and whether its
	// kiosk page may be framed (the demo's), set before a restart.
	routes     map[string]http.Handler
	embeddable bool
	// sleepers is how many of the daemon's goroutines sleep on the fake
	// clock when it is idle besides the payment's runner (the notify
	// deliverer's timer): until waits for all of them before a step.
	sleepers int
}

func newE2E(t *testing.T, mutate ...func(*config.Config)) *e2e {
	t.Helper()
	return newE2EWith(t, nil, mutate...)
}

// newE2EWith also tunes the printer's serial port; every test gets its own
// lock directory.
func newE2EWith(t *testing.T, tune func(*serial.Options), mutate ...func(*config.Config)) *e2e {
	t.Helper()
	lockDir := t.TempDir()
	h := &e2e{t: t, clock: plugintest.NewClock(), dataDir: t.TempDir(),
		serial: func(o *serial.Options) {
			o.LockDir = lockDir
			if tune != nil {
				tune(o)
			}
		}}

	h.sb = sandbox.New(sandbox.Options{Token: "sandbox-token-3f9a", MerchantID: "0b7c2f9e-3a51-4c1d-9e8a-5f2d6c7b8a90",
		Clock: h.clock, Stickers: []string{testSticker}})
	base, err := h.sb.Start("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { h.sb.Close() })
	cfg, err := config.Load("", false, nil)
	if err != nil {
		t.Fatal(err)
	}
	cfg.Listen, cfg.DataDir, cfg.TillID = "127.0.0.1:0", h.dataDir, "K07"
	cfg.PayMaster.BaseURL, cfg.PayMaster.MerchantID, cfg.PayMaster.Token = base, h.sb.MerchantID(), h.sb.Token()
	cfg.PayMaster.StickerID = testSticker
	for _, m := range mutate {
		m(cfg)
	}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	h.cfg = cfg
	h.open()
	return h
}

func (h *e2e) open() {
	h.t.Helper()
	h.d = &Daemon{Config: h.cfg, Clock: h.clock, Tune: func(c *paymaster.Config) {
		c.RetryWaitMin, c.RetryWaitMax, c.Timeout = time.Millisecond, 5*time.Millisecond, 2*time.Second
		if h.pm != nil {
			h.pm(c)
		}
	}, SerialTune: h.serial, Routes: h.routes, Embeddable: h.embeddable}
	if h.logs != nil {
		h.d.Logger = newLogger(h.logs, "debug")
	}
	if err := h.d.Open(context.Background()); err != nil {
		h.t.Fatal(err)
	}
	d := h.d
	h.t.Cleanup(func() { d.Close() })
}

// restart stops the daemon as SIGTERM would and starts a new one on the
// same journal and sandbox.
func (h *e2e) restart() {
	h.t.Helper()
	if err := h.d.Close(); err != nil {
		h.t.Fatal(err)
	}
	h.open()
}

func (h *e2e) do(method, path, body string) (int, []byte) {
	h.t.Helper()
	req, err := http.NewRequest(method, h.d.URL()+path, bytes.NewBufferString(body))
	if err != nil {
		h.t.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json") // as the till sends it
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		h.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b
}

func (h *e2e) payment(status int, b []byte, want int) plugin.Payment {
	h.t.Helper()
	if status != want {
		h.t.Fatalf("HTTP %d, want %d: %s", status, want, b)
	}
	var p plugin.Payment
	if err := json.Unmarshal(b, &p); err != nil {
		h.t.Fatalf("decode payment: %v: %s", err, b)
	}
	return p
}

func (h *e2e) start(check string, amount int64, mixed bool) plugin.Payment {
	h.t.Helper()
	body, _ := json.Marshal(map[string]any{"check_id": check, "amount": amount, "mixed": mixed})
	st, b := h.do("POST", "/api/v1/payments", string(body))
	return h.payment(st, b, http.StatusCreated)
}

func (h *e2e) get(id string) plugin.Payment {
	h.t.Helper()
	st, b := h.do("GET", "/api/v1/payments/"+id, "")
	return h.payment(st, b, http.StatusOK)
}

// until moves the fake clock in steps until the payment, read through the
// till API, is in state want. Before each step it waits for the payment's
// runner to sleep (and h.sleepers more), so no step is lost while a
// request is in flight.
func (h *e2e) until(id string, want plugin.State, step time.Duration, maxSteps int) plugin.Payment {
	h.t.Helper()
	for i := 0; ; i++ {
		deadline := time.Now().Add(10 * time.Second)
		for {
			if p := h.get(id); p.State == want {
				return p
			}
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Millisecond)
			sleeping := h.clock.BlockUntilContext(ctx, 1+h.sleepers) == nil
			cancel()
			if sleeping {
				if p := h.get(id); p.State == want {
					return p
				}
				break
			}
			if time.Now().After(deadline) {
				h.t.Fatalf("payment %s stuck in %s, want %s", id, h.get(id).State, want)
			}
		}
		if i == maxSteps {
			h.t.Fatalf("payment %s is %s after %d steps of %s, want %s", id, h.get(id).State, maxSteps, step, want)
		}
		h.clock.Advance(step)
	}
}

// events returns the kinds of the payment's journal events, in order.
func (h *e2e) events(id string) []string {
	h.t.Helper()
	evs, err := h.d.DB.Journal().Events(context.Background(), id)
	if err != nil {
		h.t.Fatal(err)
	}
	var kinds []string
	for _, ev := range evs {
		kinds = append(kinds, ev.Kind)
	}
	return kinds
}

func (h *e2e) dbPath() string { return filepath.Join(h.dataDir, "sbpd.db") }

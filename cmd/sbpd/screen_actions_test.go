package main

// The kiosk page's Повторить and Отменить with api.token set: the page
// carries no credentials, so its buttons go to the screen's own routes
// (display.Screen.Actions), which act only on the dialog on show, and the
// screen is served only to the kiosk's own browser (display.Screen.LocalOnly).

import (
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/sbpd/sbpd/config"
	"github.com/sbpd/sbpd/plugin"
)

// screenAPIToken is the till API's token in these tests.
const screenAPIToken = "screen-api-token-0c41f7a9d2e8b365"

// wireScreen gives the daemon's kiosk screen the engine for its buttons,
// and LocalOnly when api.token is set, should the daemon not do so itself
// yet. The wiring belongs in Daemon.Open; TestDaemon_ScreenWiring checks it.
func wireScreen(t *testing.T, h *e2e) {
	t.Helper()
	if h.d.Screen.Actions == nil {
		t.Log("the daemon does not set Screen.Actions: the test does")
		h.d.Screen.Actions = h.d.Engine
	}
	if h.cfg.APIToken != "" && !h.d.Screen.LocalOnly {
		t.Log("the daemon does not set Screen.LocalOnly with api.token: the test does")
		h.d.Screen.LocalOnly = true
	}
}

// TestDaemon_ScreenWiring: the daemon gives the kiosk screen the engine for
// its buttons and its own clock (that of expires_at, for the countdown),
// hides the screen's own Отменить with screen.cancel_button false, and with
// api.token serves the screen only to the kiosk's own browser; the screen's
// routes need no token.
func TestDaemon_ScreenWiring(t *testing.T) {
	for _, c := range []struct {
		token        string
		cancelButton bool
	}{{"", true}, {screenAPIToken, true}, {"", false}} {
		token := c.token
		h := newE2E(t, func(cfg *config.Config) { cfg.APIToken, cfg.Screen.CancelButton = token, c.cancelButton })
		if h.d.Screen.HideCancel != !c.cancelButton {
			t.Errorf("screen.cancel_button %t: Screen.HideCancel is %t (daemon.go: d.Screen.HideCancel = !cfg.Screen.CancelButton)",
				c.cancelButton, h.d.Screen.HideCancel)
		}
		// The test's daemon runs on a fake clock far from the wall clock:
		// the screen must send the page that clock's time.
		if h.d.Screen.Now == nil {
			t.Errorf("Screen.Now is not set (daemon.go: d.Screen.Now = d.Clock.Now)")
		} else if got, want := h.d.Screen.Now(), h.clock.Now(); !got.Equal(want) {
			t.Errorf("Screen.Now() is %v, want the daemon's clock %v", got, want)
		}
		if h.d.Screen.Actions != h.d.Engine {
			t.Errorf("api.token set %t: Screen.Actions is %T, want the engine (daemon.go: d.Screen.Actions = eng)", token != "", h.d.Screen.Actions)
		}
		if h.d.Screen.LocalOnly != (token != "") {
			t.Errorf("api.token set %t: Screen.LocalOnly is %t (daemon.go: d.Screen.LocalOnly = cfg.APIToken != \"\")", token != "", h.d.Screen.LocalOnly)
		}
		// From this machine, without the token: the page, and the buttons'
		// route refusing a payment that is not on show.
		if st, b := h.do("GET", "/", ""); st != http.StatusOK {
			t.Errorf("api.token set %t: GET / from loopback: %d %.100s", token != "", st, b)
		}
		st, b := h.do("POST", "/screen/payments/NOPE/cancel", "")
		var e struct{ Error plugin.APIError }
		json.Unmarshal(b, &e)
		if st != http.StatusConflict || e.Error.Code != "not_on_screen" {
			t.Errorf("api.token set %t: POST /screen/payments/NOPE/cancel: %d %s, want 409 not_on_screen", token != "", st, b)
		}
	}
}

// TestBrowser_DialogButtonsWithToken: with api.token set, the till API
// refuses calls without the token, yet the shopper's Повторить and
// Отменить on the kiosk page work: the same taps, states and one cancel at
// PayMaster as TestBrowser_DialogButtons.
func TestBrowser_DialogButtonsWithToken(t *testing.T) {
	browser := startBrowser(t)
	h := newE2E(t, func(c *config.Config) { c.APIToken = screenAPIToken })
	wireScreen(t, h)
	till := tokenTill{h: h, token: screenAPIToken}
	for _, path := range []string{"/api/v1/payments/NOPE/retry", "/api/v1/payments/NOPE/cancel"} {
		if st, b := h.do("POST", path, ""); st != http.StatusUnauthorized {
			t.Fatalf("POST %s without the token: %d %s, want 401 (what the page would get there)", path, st, b)
		}
	}
	tapDialogButtons(t, browser, h, till)
}

// tokenTill is the till software calling the till API with api.token.
type tokenTill struct {
	h     *e2e
	token string
}

var _ tillClient = tokenTill{}

func (c tokenTill) do(method, path, body string) (int, []byte) {
	c.h.t.Helper()
	req, err := http.NewRequest(method, c.h.d.URL()+path, strings.NewReader(body))
	if err != nil {
		c.h.t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+c.token)
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		c.h.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b
}

func (c tokenTill) start(check string, amount int64, mixed bool) plugin.Payment {
	c.h.t.Helper()
	body, _ := json.Marshal(map[string]any{"check_id": check, "amount": amount, "mixed": mixed})
	st, b := c.do("POST", "/api/v1/payments", string(body))
	return c.h.payment(st, b, http.StatusCreated)
}

func (c tokenTill) get(id string) plugin.Payment {
	c.h.t.Helper()
	st, b := c.do("GET", "/api/v1/payments/"+id, "")
	return c.h.payment(st, b, http.StatusOK)
}

// until is e2e.until with the token: it moves the fake clock in steps until
// the payment is in state want, waiting before each step for the payment's
// runner to sleep.
func (c tokenTill) until(id string, want plugin.State, step time.Duration, maxSteps int) plugin.Payment {
	h := c.h
	h.t.Helper()
	for i := 0; ; i++ {
		deadline := time.Now().Add(10 * time.Second)
		for {
			if p := c.get(id); p.State == want {
				return p
			}
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Millisecond)
			sleeping := h.clock.BlockUntilContext(ctx, 1) == nil
			cancel()
			if sleeping {
				if p := c.get(id); p.State == want {
					return p
				}
				break
			}
			if time.Now().After(deadline) {
				h.t.Fatalf("payment %s stuck in %s, want %s", id, c.get(id).State, want)
			}
		}
		if i == maxSteps {
			h.t.Fatalf("payment %s is %s after %d steps of %s, want %s", id, c.get(id).State, maxSteps, step, want)
		}
		h.clock.Advance(step)
	}
}

// TestDaemon_ScreenLocalOnlyServesThisMachine: with api.token on a
// non-loopback listen address the screen still answers this machine,
// both the kiosk's browser and the systemd watchdog's check (GET
// /screen/current.json on d.URL()): on every interface (0.0.0.0, reached
// over loopback) and on one LAN address (reached from that address).
func TestDaemon_ScreenLocalOnlyServesThisMachine(t *testing.T) {
	listens := []string{"0.0.0.0:0"}
	if ip := lanAddress(); ip.IsValid() {
		listens = append(listens, netip.AddrPortFrom(ip, 0).String())
	} else {
		t.Log("no non-loopback address on this machine: only 0.0.0.0 is tried")
	}
	for _, listen := range listens {
		h := newE2E(t, func(c *config.Config) { c.Listen, c.APIToken = listen, screenAPIToken })
		wireScreen(t, h)
		if !h.d.Screen.LocalOnly {
			t.Fatal("the screen is not LocalOnly")
		}
		if st, b := h.do("GET", "/", ""); st != http.StatusOK {
			t.Errorf("listen %s: GET %s/: %d %.100s", listen, h.d.URL(), st, b)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		if err := watchdogCheck(h.d)(ctx); err != nil {
			t.Errorf("listen %s: the watchdog's check fails: %v", listen, err)
		}
		cancel()
	}
}

// lanAddress is a non-loopback IPv4 address of this machine, if any.
func lanAddress() netip.Addr {
	addrs, _ := net.InterfaceAddrs()
	for _, a := range addrs {
		if n, ok := a.(*net.IPNet); ok {
			if ip, ok := netip.AddrFromSlice(n.IP); ok && ip.Unmap().Is4() && !ip.IsLoopback() && !ip.IsLinkLocalUnicast() {
				return ip.Unmap()
			}
		}
	}
	return netip.Addr{}
}

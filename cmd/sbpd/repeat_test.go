package main

import (
	"net/http"
	"strings"
	"testing"

	"github.com/sbpd/sbpd/config"
	"github.com/sbpd/sbpd/plugin"
)

// TestE2E_RepeatAfterSettingsChange is the tester's finding through the
// real till API: the same start again answers the payment that exists
// after sbp.enabled and sbp.mixed_payment changed under the daemon (as a
// reload changes them), while a new start is refused by them.
func TestE2E_RepeatAfterSettingsChange(t *testing.T) {
	h := newE2E(t, func(c *config.Config) { c.SBP.MixedPayment = true })
	const m1 = `{"check_id":"M1","amount":100,"mixed":true}`
	st, b := h.do("POST", "/api/v1/payments", m1)
	p := h.payment(st, b, http.StatusCreated)
	change := func(f func(*plugin.Settings)) {
		s := h.d.Engine.Settings()
		f(&s)
		if err := h.d.Engine.SetSettings(s); err != nil {
			t.Fatal(err)
		}
	}

	change(func(s *plugin.Settings) { s.Enabled = false })
	st, b = h.do("POST", "/api/v1/payments", m1)
	if got := h.payment(st, b, http.StatusOK); got.ID != p.ID {
		t.Fatalf("the same start while disabled answered payment %s, want %s", got.ID, p.ID)
	}
	if st, b := h.do("POST", "/api/v1/payments", `{"check_id":"M2","amount":100}`); st != http.StatusForbidden || !strings.Contains(string(b), "sbp_disabled") {
		t.Fatalf("a new start while disabled: %d %s", st, b)
	}

	change(func(s *plugin.Settings) { s.Enabled, s.MixedAllowed = true, false })
	h.sb.Pay(p.PayMasterID)
	h.until(p.ID, plugin.StatePaid, poll, 1)
	st, b = h.do("POST", "/api/v1/payments", m1)
	if got := h.payment(st, b, http.StatusOK); got.ID != p.ID || got.State != plugin.StatePaid {
		t.Fatalf("the same start after paid, mixed off: %s %s", got.ID, got.State)
	}
	if st, b := h.do("POST", "/api/v1/payments", `{"check_id":"M2","amount":100,"mixed":true}`); st != http.StatusUnprocessableEntity || !strings.Contains(string(b), "mixed_not_enabled") {
		t.Fatalf("a new mixed start, mixed off: %d %s", st, b)
	}
}

package plugin_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/sbpd/sbpd/plugin"
	"github.com/sbpd/sbpd/plugin/plugintest"
)

// TestEngine_RepeatSurvivesSettingsChange: the same start again answers the
// payment that exists (active, or paid for the same amount) whatever
// sbp.enabled and sbp.mixed_payment now say, since a till that lost the
// answer must always find the payment or learn that the check is paid. A
// start that would make a new payment is still refused by those settings,
// with the same refusal as before.
func TestEngine_RepeatSurvivesSettingsChange(t *testing.T) {
	off := func(s *plugin.Settings) { s.Enabled = false }
	noMixed := func(s *plugin.Settings) { s.MixedAllowed = false }
	m1 := plugin.StartRequest{CheckID: "M1", Amount: 100, Mixed: true}
	a1 := plugin.StartRequest{CheckID: "A1", Amount: 100}
	cases := []struct {
		name   string
		first  plugin.StartRequest
		final  plugin.State // what the first payment becomes before the change ("" = stays active)
		change func(*plugin.Settings)
		again  plugin.StartRequest
		repeat bool   // the answer is the first payment, not created
		reason string // else the refusal
	}{
		{"active, then disabled", m1, "", off, m1, true, ""},
		{"active, then mixed off", m1, "", noMixed, m1, true, ""},
		{"active plain, then disabled", a1, "", off, a1, true, ""},
		{"paid, then disabled", m1, plugin.StatePaid, off, m1, true, ""},
		{"paid, then mixed off", m1, plugin.StatePaid, noMixed, m1, true, ""},
		// The check's own state answers before the settings: "SBP is off"
		// tells the till to take the money another way, wrong for a check
		// whose SBP payment is on screen, paid or may yet be paid.
		{"disabled: same check, other amount, active", a1, "", off, plugin.StartRequest{CheckID: "A1", Amount: 200}, false, "check_in_progress"},
		{"disabled: same check, other amount, paid", a1, plugin.StatePaid, off, plugin.StartRequest{CheckID: "A1", Amount: 200}, false, "check_already_paid"},
		{"disabled: after needs attention", a1, plugin.StateNeedsAttention, off, a1, false, "check_needs_attention"},
		{"mixed off: same check, other amount, active", m1, "", noMixed, plugin.StartRequest{CheckID: "M1", Amount: 200, Mixed: true}, false, "check_in_progress"},
		// Paid whole for the amount, asked again as mixed: the paid payment
		// answers (as it always has), so the till learns the check is paid
		// and charges nothing; mixed being off now changes nothing of that.
		{"paid plain, then mixed off, asked mixed", a1, plugin.StatePaid, noMixed, plugin.StartRequest{CheckID: "A1", Amount: 100, Mixed: true}, true, ""},
		// Not repeats, nothing of this check's: the settings refuse them as before.
		{"disabled: another check while active", a1, "", off, plugin.StartRequest{CheckID: "B1", Amount: 100}, false, "sbp_disabled"},
		{"disabled: after not paid", a1, plugin.StateNotPaid, off, a1, false, "sbp_disabled"},
		{"mixed off: another check after paid", m1, plugin.StatePaid, noMixed, plugin.StartRequest{CheckID: "M2", Amount: 100, Mixed: true}, false, "mixed_not_enabled"},
		{"mixed off: after not paid", m1, plugin.StateNotPaid, noMixed, m1, false, "mixed_not_enabled"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			h := newHarness(t, func(s *plugin.Settings) { s.MixedAllowed = true })
			first, created, err := h.engine.Start(context.Background(), c.first)
			if err != nil || !created {
				t.Fatalf("first start: created=%v err=%v", created, err)
			}
			switch c.final {
			case plugin.StatePaid:
				h.bank.set(first.PayMasterID, plugin.RemoteSettled, "Success", 0)
				h.until(first.ID, plugin.StatePaid, 3*time.Second, 1)
			case plugin.StateNotPaid:
				if _, err := h.engine.Cancel(context.Background(), first.ID); err != nil {
					t.Fatal(err)
				}
				h.until(first.ID, plugin.StateNotPaid, 3*time.Second, 1)
			case plugin.StateNeedsAttention:
				h.engine.Close()
				h.journal.Resolve(first.ID, plugin.StateNeedsAttention)
				h = reopen(t, h)
			}
			s := h.engine.Settings()
			c.change(&s)
			if err := h.engine.SetSettings(s); err != nil {
				t.Fatal(err)
			}
			creates, _ := h.bank.counts()
			got, created, err := h.engine.Start(context.Background(), c.again)
			if c.repeat {
				if err != nil || created || got.ID != first.ID {
					t.Fatalf("the same start again: err=%v created=%v id=%s, want payment %s", err, created, got.ID, first.ID)
				}
				if c.final != "" && got.State != c.final {
					t.Fatalf("state %s, want %s", got.State, c.final)
				}
			} else if created || plugin.ErrorReason(err) != c.reason {
				t.Fatalf("created=%v err=%v, want %s", created, err, c.reason)
			}
			if after, _ := h.bank.counts(); after != creates {
				t.Fatalf("PayMaster asked to create %d more payments", after-creates)
			}
		})
	}
}

// reopen starts a new engine on h's journal and bank, as sbpd does after a
// restart, and returns the harness with it.
func reopen(t *testing.T, h *harness) *harness {
	t.Helper()
	e, err := plugin.NewEngine(h.bank.gateway(), h.journal, h.clock, h.engine.Settings())
	if err != nil {
		t.Fatal(err)
	}
	e.NewID, e.NewKey = h.engine.NewID, h.engine.NewKey
	if err := e.Open(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.Close() })
	return &harness{t: t, clock: h.clock, bank: h.bank, journal: h.journal, engine: e}
}

// unreadable is a journal whose reads of a check fail.
type unreadable struct {
	plugin.Journal
}

func (unreadable) ByCheck(context.Context, string) ([]*plugin.Payment, error) {
	return nil, errors.New("disk I/O error")
}

// TestEngine_DisabledKioskUnreadableJournal: a kiosk with SBP turned off
// that cannot read its journal cannot tell the same start again (a check
// perhaps paid) from a new one, so it answers journal_unavailable (retry)
// rather than sbp_disabled, on which the till would take the check's money
// another way.
func TestEngine_DisabledKioskUnreadableJournal(t *testing.T) {
	s := plugin.DefaultSettings()
	s.Enabled = false
	e, err := plugin.NewEngine(newBank().gateway(), unreadable{plugintest.NewJournal()}, plugintest.NewClock(), s)
	if err != nil {
		t.Fatal(err)
	}
	if err := e.Open(context.Background()); err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	_, _, err = e.Start(context.Background(), plugin.StartRequest{CheckID: "A1", Amount: 100})
	if plugin.ErrorReason(err) != "journal_unavailable" || plugin.ErrorCode(err) != plugin.EStorage {
		t.Fatalf("%v", err)
	}
}

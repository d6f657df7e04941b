package backoffice

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/sbpd/sbpd/plugin"
)

func TestMark(t *testing.T) {
	unreachable := plugin.Errorf(plugin.EUnavailable, "PayMaster unreachable: dial tcp 127.0.0.1:1: connection refused (token s3cr3t-token)")
	cases := []struct {
		name   string
		state  plugin.State
		pmID   string         // stored PayMaster id
		remote *plugin.Remote // PayMaster's payment, nil: none
		pmErr  error          // PayMaster cannot be asked
		m      Mark           // ID, Who filled in
		code   string         // refusal's code, "" when done
		reason string         // refusal's reason
		says   []string       // in the refusal's message, or the event's detail
		state2 plugin.State   // the state written
		kind   string         // the event written
	}{
		{name: "paid: settled, same amount", state: plugin.StateNeedsAttention, pmID: "PM1",
			remote: &plugin.Remote{ID: "PM1", Status: plugin.RemoteSettled, Amount: 100}, m: Mark{Paid: true, Reason: "bank confirmed"},
			says: []string{"bank confirmed", "PayMaster says Settled for 1,00 ₽ (PayMaster id PM1)"}, state2: plugin.StatePaid, kind: EvManualPaid},
		{name: "paid: found by order number", state: plugin.StateNotPaid,
			remote: &plugin.Remote{ID: "PM9", OrderNo: "K07-CP-1", Status: plugin.RemoteSettled, Amount: 100}, m: Mark{Paid: true, Reason: "x"},
			says: []string{"PayMaster id PM9"}, state2: plugin.StatePaid, kind: EvManualPaid},
		{name: "paid: still open", state: plugin.StateNeedsAttention, pmID: "PM1",
			remote: &plugin.Remote{ID: "PM1", Status: plugin.RemoteConfirmation, Amount: 100}, m: Mark{Paid: true, Reason: "x"},
			code: plugin.EConflict, reason: RPayMasterDisagrees, says: []string{"not marked paid", "PayMaster says Confirmation", "does not say it is settled"}},
		{name: "paid: settled for another amount", state: plugin.StateNotPaid, pmID: "PM1",
			remote: &plugin.Remote{ID: "PM1", Status: plugin.RemoteSettled, Amount: 40}, m: Mark{Paid: true, Reason: "x"},
			code: plugin.EConflict, reason: RPayMasterDisagrees, says: []string{"settled 0,40 ₽, but the payment is for 1,00 ₽"}},
		{name: "paid: unknown to PayMaster", state: plugin.StateNeedsAttention, pmID: "PM1", m: Mark{Paid: true, Reason: "x"},
			code: plugin.EConflict, reason: RPayMasterDisagrees, says: []string{"PayMaster does not know payment PM1"}},
		{name: "paid: PayMaster cannot be asked", state: plugin.StateNeedsAttention, pmID: "PM1", pmErr: unreachable, m: Mark{Paid: true, Reason: "x"},
			code: plugin.EUnavailable, reason: RPayMasterAsk, says: []string{"PayMaster could not be asked: PayMaster unreachable", "(token ***)"}},
		{name: "paid: forced while PayMaster cannot be asked", state: plugin.StateNeedsAttention, pmID: "PM1", pmErr: unreachable,
			m: Mark{Paid: true, Reason: "bank confirmed", Force: true}, says: []string{"bank confirmed", "could not be asked", "forced: PayMaster could not be asked", "***"},
			state2: plugin.StatePaid, kind: EvManualPaid},
		{name: "paid: forced while still open", state: plugin.StateNeedsAttention, pmID: "PM1",
			remote: &plugin.Remote{ID: "PM1", Status: plugin.RemotePending, Amount: 100}, m: Mark{Paid: true, Reason: "x", Force: true},
			says: []string{"forced: PayMaster does not say it is settled"}, state2: plugin.StatePaid, kind: EvManualPaid},
		{name: "paid: no reason", state: plugin.StateNeedsAttention, m: Mark{Paid: true, Reason: "  "},
			code: plugin.EInvalid, reason: RReasonRequired, says: []string{"say why the payment is paid"}},
		{name: "paid: active", state: plugin.StateAwaitingPayment, pmID: "PM1", m: Mark{Paid: true, Reason: "x", Force: true},
			code: plugin.EConflict, reason: RPaymentActive, says: []string{"the daemon is still watching this payment"}},
		{name: "paid: already paid", state: plugin.StatePaid, pmID: "PM1", m: Mark{Paid: true, Reason: "x", Force: true},
			code: plugin.EConflict, reason: "already_paid", says: []string{"already paid"}},
		{name: "not paid: rejected", state: plugin.StateNeedsAttention, pmID: "PM1",
			remote: &plugin.Remote{ID: "PM1", Status: plugin.RemoteRejected, Amount: 100}, m: Mark{Reason: "declined in the app"},
			says: []string{"declined in the app", "PayMaster says Rejected"}, state2: plugin.StateNotPaid, kind: EvManualNotPaid},
		{name: "not paid: never at PayMaster", state: plugin.StateNeedsAttention, m: Mark{Reason: "x"},
			says: []string{"PayMaster has no payment with order number K07-CP-1"}, state2: plugin.StateNotPaid, kind: EvManualNotPaid},
		{name: "not paid: settled", state: plugin.StateNeedsAttention, pmID: "PM1",
			remote: &plugin.Remote{ID: "PM1", Status: plugin.RemoteSettled, Amount: 100}, m: Mark{Reason: "x"},
			code: plugin.EConflict, reason: RPayMasterDisagrees, says: []string{"the money arrived", "Settled"}},
		{name: "not paid: still open", state: plugin.StateNeedsAttention, pmID: "PM1",
			remote: &plugin.Remote{ID: "PM1", Status: plugin.RemotePending, Amount: 100}, m: Mark{Reason: "x"},
			code: plugin.EConflict, reason: RPayMasterDisagrees, says: []string{"may yet be paid"}},
		{name: "not paid: already not paid", state: plugin.StateNotPaid, m: Mark{Reason: "x"},
			code: plugin.EConflict, reason: RAlreadyNotPaid, says: []string{"already not paid"}},
		{name: "not paid: paid is never un-paid", state: plugin.StatePaid, m: Mark{Reason: "x", Force: true},
			code: plugin.EConflict, reason: RAlreadyPaid, says: []string{"never un-pays"}},
		{name: "not paid: status unknown", state: plugin.StateStatusUnknown, m: Mark{Reason: "x", Force: true},
			code: plugin.EConflict, reason: RPaymentActive, says: []string{"still watching"}},
		{name: "unknown payment", m: Mark{ID: "nope", Paid: true, Reason: "x"}, code: plugin.ENotFound, reason: RNoPayment,
			says: []string{`no payment with id, order number or PayMaster id "nope"`}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := pay("P", c.state, 100, c.pmID, 0)
			j := newJournal(p)
			pm := newPayMaster()
			if c.remote != nil {
				pm.byID[c.remote.ID] = *c.remote
			}
			pm.err = c.pmErr
			svc := &Service{Journal: j, PayMaster: pm, Secrets: []string{"s3cr3t-token"}}
			m := c.m
			if m.ID == "" {
				m.ID = "P"
			}
			m.Who = "ivanov"
			got, err := svc.Mark(context.Background(), m)
			if c.code != "" {
				wantRefusal(t, err, c.code, c.reason, c.says...)
				if q := j.ps["P"]; q.State != c.state || len(j.events["P"]) != 0 {
					t.Fatalf("refused, but the payment changed: %s, events %v", q.State, j.events["P"])
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			ev := j.last("P")
			if got.Payment.State != c.state2 || got.Payment.Reason != plugin.ReasonManual || ev.Kind != c.kind || ev.Actor != "ivanov" {
				t.Fatalf("payment %+v, event %+v", got.Payment, ev)
			}
			for _, s := range c.says {
				if !strings.Contains(ev.Detail, s) {
					t.Errorf("event detail %q does not say %q", ev.Detail, s)
				}
			}
			if strings.Contains(ev.Detail+got.Said, "s3cr3t-token") {
				t.Errorf("a secret was recorded: %q", ev.Detail)
			}
			if (got.Forced != "") != strings.Contains(ev.Detail, "forced") {
				t.Errorf("forced %q, detail %q", got.Forced, ev.Detail)
			}
			if c.remote != nil && (got.Payment.PayMasterID != c.remote.ID || got.Payment.PayMasterStatus != string(c.remote.Status)) {
				t.Errorf("PayMaster's answer not stored: %+v", got.Payment)
			}
		})
	}
}

// The refusal of mark-paid when PayMaster cannot be asked says so once.
func TestMark_UnreachableSaidOnce(t *testing.T) {
	j := newJournal(pay("P", plugin.StateNeedsAttention, 100, "PM1", 0))
	pm := newPayMaster()
	pm.err = plugin.Errorf(plugin.EUnavailable, "connection refused")
	_, err := (&Service{Journal: j, PayMaster: pm}).Mark(context.Background(), Mark{ID: "P", Paid: true, Reason: "x", Who: "w"})
	if n := strings.Count(err.Error(), "could not be asked"); n != 1 {
		t.Fatalf("%q says %d times that PayMaster could not be asked, want once", err, n)
	}
}

// A payment that changes while PayMaster is asked is not overwritten.
func TestMark_ChangedMeanwhile(t *testing.T) {
	j := newJournal(pay("P", plugin.StateNeedsAttention, 100, "PM1", 0))
	j.beforeResolve = func(p *plugin.Payment) { p.State = plugin.StatePaid }
	pm := newPayMaster(plugin.Remote{ID: "PM1", Status: plugin.RemoteSettled, Amount: 100})
	_, err := (&Service{Journal: j, PayMaster: pm}).Mark(context.Background(), Mark{ID: "P", Paid: true, Reason: "x", Who: "w"})
	wantRefusal(t, err, plugin.EConflict, RStateChanged, "changed while PayMaster was asked")
}

// No PayMaster settings: refused before anything is read.
func TestMark_NoPayMaster(t *testing.T) {
	j := newJournal(pay("P", plugin.StateNeedsAttention, 100, "PM1", 0))
	_, err := (&Service{Journal: j}).Mark(context.Background(), Mark{ID: "P", Paid: true, Reason: "x"})
	wantRefusal(t, err, plugin.EUnavailable, RPayMasterUnset)
}

func wantRefusal(t *testing.T, err error, code, reason string, says ...string) {
	t.Helper()
	var pe *plugin.Error
	if !errors.As(err, &pe) {
		t.Fatalf("error %v (%T), want a refusal %s/%s", err, err, code, reason)
	}
	if pe.Code != code || (reason != "" && pe.Reason != reason) {
		t.Fatalf("refusal %s/%s %q, want %s/%s", pe.Code, pe.Reason, pe.Message, code, reason)
	}
	if !Refused(err) {
		t.Errorf("Refused(%v) is false", err)
	}
	for _, s := range says {
		if !strings.Contains(pe.Message, s) {
			t.Errorf("refusal %q does not say %q", pe.Message, s)
		}
	}
}

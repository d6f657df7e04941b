package backoffice

import (
	"context"
	"testing"

	"github.com/sbpd/sbpd/plugin"
)

// refAct is one of the service's acts on a payment named by a reference.
type refAct struct {
	name  string
	state plugin.State  // the payment's state before the act
	pm    plugin.Remote // what PayMaster says about it
	run   func(svc *Service, ref string) error
	done  func(t *testing.T, j *fakeJournal, o *fakeOutbox) // the act hit payment P
	clean func(j *fakeJournal, o *fakeOutbox) bool          // nothing changed
}

// refActs are every act that takes a payment's reference: each must find
// the payment as Show does (Find), with the same refusals.
var refActs = []refAct{
	{name: "mark-paid", state: plugin.StateNeedsAttention, pm: plugin.Remote{ID: "40211873", Status: plugin.RemoteSettled, Amount: 100},
		run: func(svc *Service, ref string) error {
			_, err := svc.Mark(context.Background(), Mark{ID: ref, Paid: true, Reason: "bank confirmed", Who: "ivanov"})
			return err
		},
		done: func(t *testing.T, j *fakeJournal, _ *fakeOutbox) {
			if p := j.ps["P"]; p.State != plugin.StatePaid || j.last("P").Kind != EvManualPaid {
				t.Fatalf("payment P %s, last event %+v", p.State, j.last("P"))
			}
		},
		clean: func(j *fakeJournal, _ *fakeOutbox) bool { return len(j.events) == 0 }},
	{name: "mark-not-paid", state: plugin.StateNeedsAttention, pm: plugin.Remote{ID: "40211873", Status: plugin.RemoteRejected, Amount: 100},
		run: func(svc *Service, ref string) error {
			_, err := svc.Mark(context.Background(), Mark{ID: ref, Reason: "declined in the app", Who: "ivanov"})
			return err
		},
		done: func(t *testing.T, j *fakeJournal, _ *fakeOutbox) {
			if p := j.ps["P"]; p.State != plugin.StateNotPaid || j.last("P").Kind != EvManualNotPaid {
				t.Fatalf("payment P %s, last event %+v", p.State, j.last("P"))
			}
		},
		clean: func(j *fakeJournal, _ *fakeOutbox) bool { return len(j.events) == 0 }},
	{name: "mark-entered", state: plugin.StatePaid,
		run: func(svc *Service, ref string) error {
			return svc.MarkEntered(context.Background(), ref, "ivanov", "typed into 1C")
		},
		done: func(t *testing.T, _ *fakeJournal, o *fakeOutbox) {
			if len(o.hand) != 1 || o.hand["P"] != "ivanov: typed into 1C" {
				t.Fatalf("entered by hand: %v, want P only", o.hand)
			}
		},
		clean: func(_ *fakeJournal, o *fakeOutbox) bool { return len(o.hand) == 0 }},
	{name: "resync", state: plugin.StatePaid,
		run: func(svc *Service, ref string) error {
			d, err := svc.Resync(context.Background(), ref, "ivanov", "1C is back")
			if err == nil && (d.PaymentID != "P" || d.ID != "P:paid") {
				return plugin.Errorf(plugin.EInternal, "delivery %+v, want P's", d)
			}
			return err
		},
		done: func(t *testing.T, _ *fakeJournal, o *fakeOutbox) {
			if len(o.requeued) != 1 || o.requeued[0] != "P by ivanov: 1C is back" {
				t.Fatalf("requeued %v, want P once", o.requeued)
			}
		},
		clean: func(_ *fakeJournal, o *fakeOutbox) bool { return len(o.requeued) == 0 }},
	{name: "show", state: plugin.StatePaid,
		run: func(svc *Service, ref string) error {
			sh, err := svc.Show(context.Background(), ref)
			if err == nil && sh.Payment.ID != "P" {
				return plugin.Errorf(plugin.EInternal, "shown %s, want P", sh.Payment.ID)
			}
			return err
		},
		done:  func(*testing.T, *fakeJournal, *fakeOutbox) {},
		clean: func(*fakeJournal, *fakeOutbox) bool { return true }},
}

// Every act takes what `sbpd journal show` takes: our id, the order
// number (what the kiosk's needs-attention screen shows) or PayMaster's
// id; an unknown or ambiguous reference is refused with Find's own
// refusal, before anything is asked or written.
func TestActs_TakeEveryReference(t *testing.T) {
	refs := []struct {
		name, ref string
		reason    string // the refusal's reason; "" when the act is done
	}{
		{"our id", "P", ""},
		{"order number", "K07-K07/200-1", ""},
		{"PayMaster id", "40211873", ""},
		{"unknown", "K07-K07/999-1", RNoPayment},
		{"ambiguous", "PM-TWICE", RAmbiguous},
	}
	for _, a := range refActs {
		for _, r := range refs {
			t.Run(a.name+"/"+r.name, func(t *testing.T) {
				p := pay("P", a.state, 100, "40211873", 0)
				p.CheckID, p.OrderNo = "K07/200", "K07-K07/200-1"
				// Two other payments share a PayMaster id (a reference that
				// names two payments); neither is P.
				j := newJournal(p, pay("Q1", plugin.StatePaid, 100, "PM-TWICE", 1), pay("Q2", plugin.StatePaid, 100, "PM-TWICE", 2))
				o := &fakeOutbox{j: j, hand: map[string]string{}}
				pm := newPayMaster(a.pm)
				svc := &Service{Journal: j, Outbox: o, PayMaster: pm}
				err := a.run(svc, r.ref)
				if r.reason == "" {
					if err != nil {
						t.Fatalf("%s %q: %v", a.name, r.ref, err)
					}
					a.done(t, j, o)
					return
				}
				_, want := svc.Find(context.Background(), r.ref)
				if plugin.ErrorReason(want) != r.reason {
					t.Fatalf("Find(%q): %v, want %s", r.ref, want, r.reason)
				}
				wantRefusal(t, err, plugin.ErrorCode(want), r.reason, plugin.ErrorMessage(want))
				if !a.clean(j, o) || pm.asked != 0 {
					t.Errorf("refused, but something changed or PayMaster was asked %d times: events %v, outbox %+v", pm.asked, j.events, o)
				}
			})
		}
	}
}

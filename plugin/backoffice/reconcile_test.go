package backoffice

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/sbpd/sbpd/plugin"
)

func TestCompare(t *testing.T) {
	from, to := t0, t0.Add(time.Hour)
	settled := plugin.RemoteSettled
	cases := []struct {
		name    string
		row     *plugin.Payment // nil: none
		remotes []plugin.Remote
		kinds   []string     // the differences' kinds, in order
		safe    plugin.State // the first difference's safe resolution
		journal int
		pm      int
		active  int
		other   int
		probes  int
	}{
		{name: "agree: paid and settled", row: pay("A", plugin.StatePaid, 100, "PA", 1),
			remotes: []plugin.Remote{remote("PA", "K07-CA-1", settled, 100, 1)}, journal: 1, pm: 1},
		{name: "agree: not paid and cancelled", row: pay("A", plugin.StateNotPaid, 100, "PA", 1),
			remotes: []plugin.Remote{remote("PA", "K07-CA-1", plugin.RemoteCancelled, 100, 1)}, journal: 1, pm: 1},
		{name: "never created at PayMaster", row: pay("A", plugin.StateNotPaid, 100, "", 1), journal: 1},
		{name: "needs attention, settled", row: pay("A", plugin.StateNeedsAttention, 100, "PA", 1),
			remotes: []plugin.Remote{remote("PA", "K07-CA-1", settled, 100, 1)}, kinds: []string{DiffPaidAtPayMaster}, safe: plugin.StatePaid, journal: 1, pm: 1},
		{name: "not paid, settled", row: pay("A", plugin.StateNotPaid, 100, "PA", 1),
			remotes: []plugin.Remote{remote("PA", "K07-CA-1", settled, 100, 1)}, kinds: []string{DiffPaidAtPayMaster}, safe: plugin.StatePaid, journal: 1, pm: 1},
		{name: "needs attention, rejected", row: pay("A", plugin.StateNeedsAttention, 100, "PA", 1),
			remotes: []plugin.Remote{remote("PA", "K07-CA-1", plugin.RemoteRejected, 100, 1)}, kinds: []string{DiffStatus}, safe: plugin.StateNotPaid, journal: 1, pm: 1},
		{name: "needs attention, still open", row: pay("A", plugin.StateNeedsAttention, 100, "PA", 1),
			remotes: []plugin.Remote{remote("PA", "K07-CA-1", plugin.RemotePending, 100, 1)}, kinds: []string{DiffStatus}, journal: 1, pm: 1},
		{name: "not paid, still open", row: pay("A", plugin.StateNotPaid, 100, "PA", 1),
			remotes: []plugin.Remote{remote("PA", "K07-CA-1", plugin.RemoteAuthorized, 100, 1)}, kinds: []string{DiffStatus}, journal: 1, pm: 1},
		{name: "paid here, cancelled there: never un-paid", row: pay("A", plugin.StatePaid, 100, "PA", 1),
			remotes: []plugin.Remote{remote("PA", "K07-CA-1", plugin.RemoteCancelled, 100, 1)}, kinds: []string{DiffStatus}, journal: 1, pm: 1},
		{name: "amounts differ: a person decides", row: pay("A", plugin.StateNeedsAttention, 50000, "PA", 1),
			remotes: []plugin.Remote{remote("PA", "K07-CA-1", settled, 5000, 1)}, kinds: []string{DiffAmount}, journal: 1, pm: 1},
		{name: "paid here, unknown there", row: pay("A", plugin.StatePaid, 100, "", 1), kinds: []string{DiffUnknownPayMaster}, journal: 1},
		{name: "missing here", remotes: []plugin.Remote{remote("PX", "K07-CX-1", settled, 100, 1)}, kinds: []string{DiffMissingHere}, pm: 1},
		{name: "another till's payment", remotes: []plugin.Remote{remote("PX", "K99-CX-1", settled, 100, 1)}, other: 1},
		// `sbpd paymaster probe` makes a test payment and cancels it; the
		// journal never has it.
		{name: "the probe's payment: skipped, counted", remotes: []plugin.Remote{
			remote("PP", plugin.ProbeOrderNo("K07", t0.Add(time.Minute)), plugin.RemoteCancelled, 100, 1)}, probes: 1},
		{name: "the probe's payment, PayMaster's clock ahead", remotes: []plugin.Remote{
			remote("PP", plugin.ProbeOrderNo("K07", t0), plugin.RemotePending, 100, 4)}, probes: 1},
		{name: "another till's probe", remotes: []plugin.Remote{
			remote("PP", plugin.ProbeOrderNo("K99", t0.Add(time.Minute)), plugin.RemoteCancelled, 100, 1)}, other: 1},
		{name: "a till's check PROBE missing here is a difference", remotes: []plugin.Remote{
			remote("PX", plugin.OrderNo("K07", "PROBE", 1), settled, 100, 1)}, kinds: []string{DiffMissingHere}, pm: 1},
		{name: "a check PROBE in the journal is compared", row: &plugin.Payment{ID: "A", CheckID: "PROBE", OrderNo: "K07-PROBE-1741946460",
			State: plugin.StateNotPaid, Amount: 100, PayMasterID: "PA", CreatedAt: t0.Add(time.Minute)},
			remotes: []plugin.Remote{remote("PA", "K07-PROBE-1741946460", settled, 100, 1)}, kinds: []string{DiffPaidAtPayMaster}, safe: plugin.StatePaid, journal: 1, pm: 1},
		{name: "active: skipped", row: pay("A", plugin.StateAwaitingPayment, 100, "PA", 1),
			remotes: []plugin.Remote{remote("PA", "K07-CA-1", settled, 100, 1)}, journal: 1, pm: 1, active: 1},
		{name: "matched by order number, settled preferred", row: pay("A", plugin.StateNeedsAttention, 100, "", 1),
			remotes: []plugin.Remote{remote("P1", "K07-CA-1", plugin.RemoteCancelled, 100, 1), remote("P2", "K07-CA-1", settled, 100, 2)},
			kinds:   []string{DiffPaidAtPayMaster, DiffMissingHere}, safe: plugin.StatePaid, journal: 1, pm: 2},
		{name: "matched by order number, open preferred to cancelled", row: pay("A", plugin.StateNeedsAttention, 100, "", 1),
			remotes: []plugin.Remote{remote("P1", "K07-CA-1", plugin.RemoteCancelled, 100, 1), remote("P2", "K07-CA-1", plugin.RemotePending, 100, 2)},
			kinds:   []string{DiffStatus, DiffMissingHere}, journal: 1, pm: 2},
		{name: "outside the period, matched in the margin", row: pay("A", plugin.StatePaid, 100, "PA", -5),
			remotes: []plugin.Remote{remote("PA", "K07-CA-1", settled, 100, 2)}, pm: 1},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var rows []*plugin.Payment
			if c.row != nil {
				rows = append(rows, c.row)
			}
			rep := Compare("K07", from, to, rows, c.remotes)
			var kinds []string
			for _, d := range rep.Differences {
				kinds = append(kinds, d.Kind)
			}
			if fmt.Sprint(kinds) != fmt.Sprint(c.kinds) {
				t.Fatalf("kinds %v, want %v: %+v", kinds, c.kinds, rep.Differences)
			}
			if len(kinds) > 0 && rep.Differences[0].Safe != c.safe {
				t.Errorf("safe %q, want %q", rep.Differences[0].Safe, c.safe)
			}
			if rep.Journal != c.journal || rep.PayMaster != c.pm || rep.Active != c.active || rep.OtherTills != c.other || rep.Probes != c.probes {
				t.Errorf("journal %d paymaster %d active %d other %d probes %d, want %d %d %d %d %d",
					rep.Journal, rep.PayMaster, rep.Active, rep.OtherTills, rep.Probes, c.journal, c.pm, c.active, c.other, c.probes)
			}
			if rep.OK != (len(c.kinds) == 0) || rep.Remaining != len(c.kinds) {
				t.Errorf("ok %t remaining %d", rep.OK, rep.Remaining)
			}
		})
	}
}

func TestReconcile_Apply(t *testing.T) {
	na := pay("NA", plugin.StateNeedsAttention, 100, "P1", 1)
	cancelled := pay("CA", plugin.StateNeedsAttention, 100, "P2", 2)
	mismatch := pay("MM", plugin.StateNeedsAttention, 500, "P3", 3)
	moved := pay("MV", plugin.StateNotPaid, 100, "P4", 4)
	j := newJournal(na, cancelled, mismatch, moved)
	pm := newPayMaster(remote("P1", na.OrderNo, plugin.RemoteSettled, 100, 1),
		plugin.Remote{ID: "P2", OrderNo: cancelled.OrderNo, Status: plugin.RemoteCancelled, ResultCode: "PaymentExpired", Amount: 100, Created: t0.Add(2 * time.Minute)},
		remote("P3", mismatch.OrderNo, plugin.RemoteSettled, 50, 3), remote("P4", moved.OrderNo, plugin.RemoteSettled, 100, 4))
	// A technician marks MV while the reconciliation runs.
	j.beforeResolve = func(p *plugin.Payment) {
		if p.ID == "MV" {
			p.State = plugin.StatePaid
		}
	}
	svc := &Service{Journal: j, PayMaster: pm, TillID: "K07", Margin: 10 * time.Minute, PageSize: 2, Secrets: []string{"s3cr3t-token"}}
	ctx := context.Background()

	rep, err := svc.Reconcile(ctx, t0, t0.Add(time.Hour), false, "")
	if err != nil {
		t.Fatal(err)
	}
	if rep.Resolved != 0 || rep.Remaining != 4 || len(j.events) != 0 {
		t.Fatalf("without apply: resolved %d remaining %d events %v", rep.Resolved, rep.Remaining, j.events)
	}
	if j.searches != 3 || j.offsets != 0 {
		t.Errorf("%d pages read, %d by offset; want 3 (2+2+0), each after the last row read", j.searches, j.offsets)
	}

	rep, err = svc.Reconcile(ctx, t0, t0.Add(time.Hour), true, "olga s3cr3t-token")
	if err != nil {
		t.Fatal(err)
	}
	if rep.Resolved != 2 || rep.Remaining != 2 || rep.OK {
		t.Fatalf("resolved %d remaining %d: %+v", rep.Resolved, rep.Remaining, rep.Differences)
	}
	if p := j.ps["NA"]; p.State != plugin.StatePaid || p.Reason != plugin.ReasonNone || p.PayMasterStatus != "Settled" {
		t.Errorf("NA %+v", p)
	}
	if ev := j.last("NA"); ev.Kind != EvReconciledPaid || ev.Actor != "olga ***" || !strings.Contains(ev.Detail, "PayMaster says Settled for 1,00 ₽ (PayMaster id P1)") ||
		strings.Contains(ev.Detail, "sbpd journal") || !strings.Contains(ev.Detail, "reconciliation of ") {
		// the web applies it too: the detail names the period, not a command
		t.Errorf("NA event %+v", ev)
	}
	if p := j.ps["CA"]; p.State != plugin.StateNotPaid || p.Reason != plugin.ReasonExpired {
		t.Errorf("CA %+v", p)
	}
	if ev := j.last("CA"); ev.Kind != EvReconciledNotPaid || !strings.Contains(ev.Detail, "Cancelled/PaymentExpired") {
		t.Errorf("CA event %+v", ev)
	}
	if p := j.ps["MM"]; p.State != plugin.StateNeedsAttention || len(j.events["MM"]) != 0 {
		t.Errorf("the amount mismatch was changed: %+v", p)
	}
	for _, d := range rep.Differences {
		if d.PaymentID == "MV" && (d.Resolved != "" || !strings.Contains(d.Detail, "not resolved: payment MV is now paid")) {
			t.Errorf("MV changed meanwhile: %+v", d)
		}
	}
	if len(j.events["MV"]) != 0 {
		t.Errorf("MV written: %v", j.events["MV"])
	}
}

func TestReconcile_Refusals(t *testing.T) {
	ctx := context.Background()
	pm := newPayMaster()
	svc := &Service{Journal: newJournal(), PayMaster: pm, Secrets: []string{"s3cr3t-token"}}
	_, err := svc.Reconcile(ctx, t0, t0, false, "")
	wantRefusal(t, err, plugin.EInvalid, RPeriod, "must be after")
	pm.err = fmt.Errorf("401 for token s3cr3t-token")
	_, err = svc.Reconcile(ctx, t0, t0.Add(time.Hour), false, "")
	wantRefusal(t, err, plugin.EUnavailable, RListFailed, "PayMaster's payment list could not be read", "***")
	if strings.Contains(err.Error(), "s3cr3t") {
		t.Errorf("the token in %q", err)
	}
	_, err = (&Service{Journal: newJournal()}).Reconcile(ctx, t0, t0.Add(time.Hour), false, "")
	wantRefusal(t, err, plugin.EUnavailable, RPayMasterUnset)
	// A period is at most MaxPeriod: what was given and what is allowed.
	pm.err = nil
	_, err = svc.Reconcile(ctx, t0, t0.Add(MaxPeriod+time.Second), false, "")
	wantRefusal(t, err, plugin.EInvalid, RPeriodTooLong, "31 days", t0.Format(time.RFC3339), "at most 31 days")
	if _, err = svc.Reconcile(ctx, t0, t0.Add(MaxPeriod), false, ""); err != nil {
		t.Errorf("a period of exactly %s: %v", MaxPeriod, err)
	}
}

func TestReport_Wording(t *testing.T) {
	for _, c := range []struct {
		diffs, resolved int
		remain, summary string
	}{
		{0, 0, "0 differences remain", "0 differences, 0 resolved, 0 remain"},
		{1, 0, "1 difference remains", "1 difference, 0 resolved, 1 remains"},
		{2, 1, "1 difference remains", "2 differences, 1 resolved, 1 remains"},
		{5, 0, "5 differences remain", "5 differences, 0 resolved, 5 remain"},
		{5, 3, "2 differences remain", "5 differences, 3 resolved, 2 remain"},
	} {
		r := Report{Differences: make([]Diff, c.diffs), Resolved: c.resolved, Remaining: c.diffs - c.resolved}
		if got := r.Remain(); got != c.remain {
			t.Errorf("%d-%d: Remain %q, want %q", c.diffs, c.resolved, got, c.remain)
		}
		if got := r.Summary(); got != c.summary {
			t.Errorf("%d-%d: Summary %q, want %q", c.diffs, c.resolved, got, c.summary)
		}
	}
}

// The day of a `sbpd paymaster probe`: PayMaster lists the probe's
// cancelled test payment, which the journal never has. It is no
// difference; the report counts it, in text and in JSON.
func TestReconcile_ProbeIsNoDifference(t *testing.T) {
	p := pay("A", plugin.StatePaid, 25990, "P1", 5)
	j := newJournal(p)
	pm := newPayMaster(remote("P1", p.OrderNo, plugin.RemoteSettled, 25990, 5),
		remote("40211873", plugin.ProbeOrderNo("K07", t0.Add(20*time.Minute)), plugin.RemoteCancelled, 100, 20))
	svc := &Service{Journal: j, Outbox: &fakeOutbox{j: j}, PayMaster: pm, TillID: "K07", Margin: 10 * time.Minute}
	rep, err := svc.Reconcile(context.Background(), t0, t0.Add(24*time.Hour), true, "")
	if err != nil {
		t.Fatal(err)
	}
	if !rep.OK || len(rep.Differences) != 0 || rep.Probes != 1 || rep.PayMaster != 1 || rep.Journal != 1 {
		t.Fatalf("report %+v, want ok with 1 probe skipped", rep)
	}
	var b strings.Builder
	if err := WriteJSON(&b, rep); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(b.String(), `"probes_skipped": 1`) {
		t.Errorf("JSON lacks probes_skipped:\n%s", b.String())
	}
	b.Reset()
	if err := WriteReport(&b, rep, true); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(b.String(), "1 probe payment skipped (sbpd paymaster probe)") {
		t.Errorf("the text does not count the probe:\n%s", b.String())
	}
}

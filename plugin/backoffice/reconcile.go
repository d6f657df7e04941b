package backoffice

import (
	"context"
	"fmt"
	"sort"
	"time"

	"github.com/sbpd/sbpd/plugin"
)

// Difference kinds.
const (
	DiffPaidAtPayMaster  = "paid_at_paymaster"    // Settled at PayMaster, not paid here
	DiffMissingHere      = "missing_here"         // at PayMaster, no journal row
	DiffUnknownPayMaster = "unknown_to_paymaster" // in the journal, PayMaster does not have it
	DiffAmount           = "amount_mismatch"
	DiffStatus           = "status_mismatch"
)

// Diff is one difference between the journal and PayMaster.
type Diff struct {
	Kind            string `json:"kind"`
	PaymentID       string `json:"payment_id,omitempty"`
	CheckID         string `json:"check_id,omitempty"`
	OrderNo         string `json:"order_no,omitempty"`
	PayMasterID     string `json:"paymaster_id,omitempty"`
	State           string `json:"state,omitempty"`
	Amount          *int64 `json:"amount,omitempty"`
	PayMasterStatus string `json:"paymaster_status,omitempty"`
	PayMasterAmount *int64 `json:"paymaster_amount,omitempty"`
	Detail          string `json:"detail"`
	Resolved        string `json:"resolved,omitempty"` // applied: the state written

	// Safe is the state the difference may be resolved to without a
	// person, or "".
	Safe plugin.State `json:"-"`

	p      *plugin.Payment
	remote plugin.Remote
}

// Report is a reconciliation of the period [From, To).
type Report struct {
	From       time.Time `json:"from"`
	To         time.Time `json:"to"`
	Journal    int       `json:"journal"`
	PayMaster  int       `json:"paymaster"`
	Active     int       `json:"active_skipped"`
	OtherTills int       `json:"other_tills_ignored"`
	// Probes counts the test payments of `sbpd paymaster probe` at this
	// till (plugin.ProbeOrderOf) that no journal row matches: never a
	// difference.
	Probes      int    `json:"probes_skipped"`
	Differences []Diff `json:"differences"`
	Resolved    int    `json:"resolved"`
	Remaining   int    `json:"remaining"`
	OK          bool   `json:"ok"`
}

// Remain says how many differences remain: "1 difference remains",
// "3 differences remain".
func (r Report) Remain() string {
	if r.Remaining == 1 {
		return "1 difference remains"
	}
	return fmt.Sprintf("%d differences remain", r.Remaining)
}

// Summary is the report's last line: "2 differences, 1 resolved, 1 remains".
func (r Report) Summary() string {
	n := fmt.Sprintf("%d differences", len(r.Differences))
	if len(r.Differences) == 1 {
		n = "1 difference"
	}
	verb := "remain"
	if r.Remaining == 1 {
		verb = "remains"
	}
	return fmt.Sprintf("%s, %d resolved, %d %s", n, r.Resolved, r.Remaining, verb)
}

// Reconcile lists PayMaster's payments and the journal's for [from, to)
// (each widened by s.Margin), matches them by PayMaster id, else by order
// number, and reports each difference. With apply, the safe ones are
// resolved, each only if the payment is still as compared, as an event by
// who (the person who asked for it; ActorReconcile when empty); one that
// cannot be says why in its Detail.
func (s *Service) Reconcile(ctx context.Context, from, to time.Time, apply bool, who string) (Report, error) {
	if !to.After(from) {
		return Report{}, refuse(plugin.EInvalid, RPeriod, "the end of the period (%s) must be after its start (%s)", to.Format(time.RFC3339), from.Format(time.RFC3339))
	}
	if to.Sub(from) > MaxPeriod {
		return Report{}, refuse(plugin.EInvalid, RPeriodTooLong, "the period from %s to %s is %s; reconcile at most %d days at a time: split it",
			from.Format(time.RFC3339), to.Format(time.RFC3339), days(to.Sub(from)), MaxPeriod/(24*time.Hour))
	}
	pm, err := s.payMaster()
	if err != nil {
		return Report{}, err
	}
	remotes, err := pm.List(ctx, from.Add(-s.Margin), to.Add(s.Margin))
	if err != nil {
		return Report{}, &plugin.Error{Code: plugin.EUnavailable, Reason: RListFailed,
			Message: "PayMaster's payment list could not be read: " + plugin.Printable(s.Scrub(err.Error()))}
	}
	rows, err := s.journalRows(ctx, from.Add(-s.Margin), to.Add(s.Margin))
	if err != nil {
		return Report{}, err
	}
	rep := Compare(s.TillID, from, to, rows, remotes)
	for i := range rep.Differences {
		d := &rep.Differences[i]
		if !apply || d.Safe == "" {
			continue
		}
		if err := s.apply(ctx, d, from, to, who); err != nil {
			d.Detail += "; not resolved: " + s.Scrub(plugin.ErrorMessage(err))
			continue
		}
		rep.Resolved++
	}
	rep.Remaining = len(rep.Differences) - rep.Resolved
	rep.OK = rep.Remaining == 0
	return rep, nil
}

// MaxPeriod is the longest period one reconciliation compares: its
// journal rows and PayMaster's list are held in memory, so a year is
// refused (the web and the CLI alike) and must be split.
const MaxPeriod = 31 * 24 * time.Hour

// days says a duration in days, with a fraction when it has one.
func days(d time.Duration) string {
	if d%(24*time.Hour) == 0 {
		return fmt.Sprintf("%d days", d/(24*time.Hour))
	}
	return fmt.Sprintf("%.1f days", d.Hours()/24)
}

// journalRows reads the journal's payments of [from, to) page by page,
// each page after the last row of the one before (Filter.Before), so a
// deep page costs what the first does.
func (s *Service) journalRows(ctx context.Context, from, to time.Time) ([]*plugin.Payment, error) {
	size := s.PageSize
	if size <= 0 {
		size = 100
	}
	var rows []*plugin.Payment
	before := ""
	for {
		page, err := s.Journal.Search(ctx, plugin.Filter{From: from, To: to, Limit: size, Before: before})
		if err != nil {
			return nil, fmt.Errorf("backoffice: reconcile: journal: %w", err)
		}
		rows = append(rows, page...)
		if len(page) < size {
			return rows, nil
		}
		before = page[len(page)-1].ID
	}
}

func in(t, from, to time.Time) bool { return !t.Before(from) && t.Before(to) }

// Compare matches the journal's rows with PayMaster's payments and lists
// the differences among those created in [from, to): the rule of
// reconciliation, without the journal or PayMaster. Rows are sorted oldest
// first. PayMaster's payments of other tills (order numbers not starting
// with tillID-) and the test payments of `sbpd paymaster probe` at this
// till that match no row are counted, not compared.
func Compare(tillID string, from, to time.Time, rows []*plugin.Payment, remotes []plugin.Remote) Report {
	rep := Report{From: from, To: to, Differences: []Diff{}}
	byID := map[string]int{}
	byOrder := map[string][]int{}
	for i, r := range remotes {
		byID[r.ID] = i
		byOrder[r.OrderNo] = append(byOrder[r.OrderNo], i)
	}
	matched := make([]bool, len(remotes))
	sort.SliceStable(rows, func(a, b int) bool { return rows[a].CreatedAt.Before(rows[b].CreatedAt) })
	for _, p := range rows {
		ri, ok := -1, false
		if p.PayMasterID != "" {
			ri, ok = byID[p.PayMasterID]
		}
		if !ok {
			ri = bestByOrder(remotes, byOrder[p.OrderNo], matched)
			ok = ri >= 0
		}
		if ok {
			matched[ri] = true
		}
		if !in(p.CreatedAt, from, to) {
			continue
		}
		rep.Journal++
		if p.State.Active() {
			rep.Active++
			continue
		}
		var r *plugin.Remote
		if ok {
			r = &remotes[ri]
		}
		if d, bad := compare(p, r); bad {
			rep.Differences = append(rep.Differences, d)
		}
	}
	for i, r := range remotes {
		if !in(r.Created, from, to) {
			continue
		}
		if tillID != "" && !plugin.OrderOfTill(r.OrderNo, tillID) && !matched[i] {
			rep.OtherTills++
			continue
		}
		if !matched[i] && plugin.ProbeOrderOf(r.OrderNo, tillID, r.Created) {
			rep.Probes++
			continue
		}
		rep.PayMaster++
		if !matched[i] {
			rep.Differences = append(rep.Differences, missingHere(r))
		}
	}
	rep.Remaining = len(rep.Differences)
	rep.OK = rep.Remaining == 0
	return rep
}

func missingHere(r plugin.Remote) Diff {
	d := Diff{Kind: DiffMissingHere, OrderNo: r.OrderNo, PayMasterID: r.ID,
		PayMasterStatus: string(r.Status), PayMasterAmount: ptr(r.Amount), remote: r}
	d.Detail = "PayMaster has it, the journal does not"
	if r.Status == plugin.RemoteSettled {
		d.Detail = "paid at PayMaster, missing here"
	}
	return d
}

// bestByOrder picks the unmatched remote with this order number, preferring
// Settled, then one not final.
func bestByOrder(remotes []plugin.Remote, idx []int, matched []bool) int {
	best, rank := -1, -1
	for _, i := range idx {
		if matched[i] {
			continue
		}
		r := 0
		switch {
		case remotes[i].Status == plugin.RemoteSettled:
			r = 2
		case !remotes[i].Status.Final():
			r = 1
		}
		if r > rank {
			best, rank = i, r
		}
	}
	return best
}

func ptr(n int64) *int64 { return &n }

// compare says how a final or needs_attention journal row and PayMaster's
// payment (nil: unknown to PayMaster) disagree, and what is safe to do.
func compare(p *plugin.Payment, r *plugin.Remote) (Diff, bool) {
	d := Diff{PaymentID: p.ID, CheckID: p.CheckID, OrderNo: p.OrderNo, PayMasterID: p.PayMasterID,
		State: string(p.State), Amount: ptr(p.Amount), p: p}
	if r == nil {
		if p.State == plugin.StateNotPaid && p.PayMasterID == "" {
			return d, false // never created at PayMaster: nothing to compare
		}
		d.Kind = DiffUnknownPayMaster
		d.Detail = fmt.Sprintf("%s here, PayMaster has no such payment in the period", p.State)
		return d, true
	}
	d.remote = *r
	d.PayMasterID, d.PayMasterStatus, d.PayMasterAmount = r.ID, string(r.Status), ptr(r.Amount)
	status := string(r.Status)
	if r.ResultCode != "" {
		status += "/" + r.ResultCode
	}
	if r.Amount != p.Amount {
		d.Kind = DiffAmount
		d.Detail = fmt.Sprintf("%s ₽ here, %s ₽ at PayMaster (%s, %s here): a person must decide", plugin.FormatRoubles(p.Amount), plugin.FormatRoubles(r.Amount), status, p.State)
		return d, true
	}
	return compareState(d, p.State, r.Status, status)
}

// compareState compares the states of a row and a remote of the same
// amount.
func compareState(d Diff, here plugin.State, there plugin.RemoteStatus, status string) (Diff, bool) {
	settled := there == plugin.RemoteSettled
	failed := there == plugin.RemoteCancelled || there == plugin.RemoteRejected
	switch here {
	case plugin.StatePaid:
		if settled {
			return d, false
		}
		d.Kind, d.Detail = DiffStatus, fmt.Sprintf("paid here, PayMaster says %s: a person must decide (sbpd never un-pays)", status)
	case plugin.StateNotPaid:
		switch {
		case settled:
			d.Kind, d.Detail, d.Safe = DiffPaidAtPayMaster, "not paid here, Settled at PayMaster", plugin.StatePaid
		case failed:
			return d, false
		default:
			d.Kind, d.Detail = DiffStatus, fmt.Sprintf("not paid here, PayMaster still says %s", status)
		}
	case plugin.StateNeedsAttention:
		switch {
		case settled:
			d.Kind, d.Detail, d.Safe = DiffPaidAtPayMaster, "needs attention here, Settled at PayMaster", plugin.StatePaid
		case failed:
			d.Kind, d.Detail, d.Safe = DiffStatus, fmt.Sprintf("needs attention here, PayMaster says %s", status), plugin.StateNotPaid
		default:
			d.Kind, d.Detail = DiffStatus, fmt.Sprintf("needs attention here, PayMaster still says %s: it may yet be paid", status)
		}
	default:
		return d, false
	}
	return d, true
}

// apply writes the safe resolution, only if the payment is still in the
// state the comparison saw.
func (s *Service) apply(ctx context.Context, d *Diff, from, to time.Time, who string) error {
	actor := s.actor(who)
	if actor == "" {
		actor = ActorReconcile
	}
	r := d.remote
	kind := EvReconciledPaid
	if d.Safe == plugin.StateNotPaid {
		kind = EvReconciledNotPaid
	}
	detail := fmt.Sprintf("PayMaster says %s; reconciliation of %s to %s, applied",
		remoteText(r), from.Format(time.RFC3339), to.Format(time.RFC3339))
	got, err := s.Journal.Resolve(ctx, d.p.ID, []plugin.State{d.p.State}, func(q *plugin.Payment) {
		q.State, q.Error, q.Offline = d.Safe, nil, false
		if q.PayMasterID == "" {
			q.PayMasterID = r.ID
		}
		q.PayMasterStatus, q.ResultCode = string(r.Status), r.ResultCode
		if d.Safe == plugin.StatePaid {
			q.Reason = plugin.ReasonNone
		} else {
			q.Reason = plugin.ReasonFor(r, q.CancelRequested)
		}
	}, plugin.Event{Kind: kind, Actor: actor, Detail: s.Scrub(detail)})
	if err != nil {
		return err
	}
	d.Resolved = string(got.State)
	return nil
}

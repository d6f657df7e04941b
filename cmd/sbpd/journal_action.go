package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/sbpd/sbpd/config"
	"github.com/sbpd/sbpd/drivers/paymaster"
	"github.com/sbpd/sbpd/drivers/sqlite"
	"github.com/sbpd/sbpd/plugin"
)

// Event kinds written by a person's or a reconciliation's decision.
const (
	evManualPaid        = "manual_paid"
	evManualNotPaid     = "manual_not_paid"
	evReconciledPaid    = "reconciled_paid"
	evReconciledNotPaid = "reconciled_not_paid"
)

// actTune adjusts the PayMaster client of the journal's actions (tests:
// short retry waits).
var actTune func(*paymaster.Config)

// journalActionCmds are the commands that change the journal: manual
// resolution and reconciliation with PayMaster (README's back-office section).
func journalActionCmds() []*cobra.Command {
	return []*cobra.Command{newMarkPaidCmd(), newMarkNotPaidCmd(), newReconcileCmd()}
}

// actEnv is what an action needs: the settings, the journal, PayMaster.
type actEnv struct {
	cfg     *config.Config
	db      *sqlite.DB
	gw      *paymaster.Gateway
	secrets []string
}

// openActEnv loads the settings (the till's own from the journal's
// database too), opens the journal, which must exist, and builds the
// PayMaster client. The daemon may be running: SQLite serializes writers.
func openActEnv(cmd *cobra.Command) (*actEnv, error) {
	ctx := cmd.Context()
	path, _ := cmd.Flags().GetString("config")
	opts := config.Options{Path: path, MustExist: cmd.Flags().Changed("config")}
	cfg, err := config.LoadWith(ctx, opts)
	if cfg == nil {
		return nil, err
	}
	if cfg.DataDir == "" {
		return nil, fmt.Errorf("data_dir is empty (%s): it must name the directory of the till's journal", cfg.Source("data_dir"))
	}
	dbPath := filepath.Join(cfg.DataDir, "sbpd.db")
	if _, err := os.Stat(dbPath); errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("no journal at %s (data_dir from %s): sbpd serve creates it when it first starts", dbPath, cfg.Source("data_dir"))
	}
	db, err := sqlite.Open(dbPath)
	if err != nil {
		return nil, err
	}
	opts.Till = db.Settings()
	if full, _ := config.LoadWith(ctx, opts); full != nil {
		cfg = full
	}
	e := &actEnv{cfg: cfg, db: db, secrets: []string{cfg.PayMaster.Token, cfg.APIToken, cfg.Notify.Secret}}
	if err := cfg.RequireRemote(); err != nil {
		db.Close()
		return nil, fmt.Errorf("PayMaster settings are needed to check the payment: %s", e.scrub(err.Error()))
	}
	pmc := paymaster.Config{
		BaseURL: cfg.PayMaster.BaseURL, MerchantID: cfg.PayMaster.MerchantID, Token: cfg.PayMaster.Token,
		TestMode: cfg.PayMaster.TestMode, Timeout: cfg.PayMaster.Timeout,
		UserAgent: "sbpd-journal/" + version,
	}
	if actTune != nil {
		actTune(&pmc)
	}
	if e.gw, err = paymaster.New(pmc); err != nil {
		db.Close()
		return nil, errors.New(e.scrub(err.Error()))
	}
	return e, nil
}

func (e *actEnv) Close() error { return e.db.Close() }

// scrub removes the secrets from a text that may be printed or recorded.
func (e *actEnv) scrub(s string) string {
	for _, sec := range e.secrets {
		if len(sec) >= 4 {
			s = strings.ReplaceAll(s, sec, "***")
		}
	}
	return s
}

// actor is the person named by --by, else the one behind sudo, else the
// login name.
func actor(cmd *cobra.Command) string {
	if by, _ := cmd.Flags().GetString("by"); strings.TrimSpace(by) != "" {
		return strings.TrimSpace(by)
	}
	for _, v := range []string{"SUDO_USER", "USER", "LOGNAME"} {
		if s := strings.TrimSpace(os.Getenv(v)); s != "" {
			return s
		}
	}
	return "unknown user"
}

// pmAnswer is what PayMaster said about one payment.
type pmAnswer struct {
	remote plugin.Remote
	found  bool
	err    error
}

// askPayMaster reads the payment by its stored PayMaster id, or looks it
// up by its order number when no id was stored.
func askPayMaster(ctx context.Context, gw *paymaster.Gateway, p *plugin.Payment) pmAnswer {
	if p.PayMasterID != "" {
		r, err := gw.GetPayment(ctx, p.PayMasterID)
		if plugin.ErrorCode(err) == plugin.ENotFound {
			return pmAnswer{}
		}
		return pmAnswer{remote: r, found: err == nil, err: err}
	}
	r, ok, err := gw.FindPayment(ctx, p.OrderNo, p.CreatedAt)
	return pmAnswer{remote: r, found: ok, err: err}
}

// describe says in one line what PayMaster answered.
func (a pmAnswer) describe(e *actEnv, p *plugin.Payment) string {
	switch {
	case a.err != nil:
		return "PayMaster could not be asked: " + e.scrub(a.err.Error())
	case !a.found && p.PayMasterID != "":
		return fmt.Sprintf("PayMaster does not know payment %s", p.PayMasterID)
	case !a.found:
		return fmt.Sprintf("PayMaster has no payment with order number %s", p.OrderNo)
	}
	s := fmt.Sprintf("PayMaster says %s", a.remote.Status)
	if a.remote.ResultCode != "" {
		s += "/" + a.remote.ResultCode
	}
	s += fmt.Sprintf(" for %s ₽ (PayMaster id %s)", plugin.FormatRoubles(a.remote.Amount), a.remote.ID)
	return s
}

func (a pmAnswer) settledFor(amount int64) bool {
	return a.err == nil && a.found && a.remote.Status == plugin.RemoteSettled && a.remote.Amount == amount
}

// markSpec is what differs between mark-paid and mark-not-paid.
type markSpec struct {
	verb  string // "paid" / "not paid"
	state plugin.State
	kind  string
	from  []plugin.State
	// refuse returns why PayMaster's answer forbids the change, or "".
	refuse func(a pmAnswer, p *plugin.Payment) string
}

var markPaidSpec = markSpec{
	verb: "paid", state: plugin.StatePaid, kind: evManualPaid,
	from: []plugin.State{plugin.StateNeedsAttention, plugin.StateNotPaid},
	refuse: func(a pmAnswer, p *plugin.Payment) string {
		if a.settledFor(p.Amount) {
			return ""
		}
		if a.found && a.remote.Status == plugin.RemoteSettled {
			return fmt.Sprintf("PayMaster settled %s ₽, but the payment is for %s ₽", plugin.FormatRoubles(a.remote.Amount), plugin.FormatRoubles(p.Amount))
		}
		return "PayMaster does not say it is settled"
	},
}

var markNotPaidSpec = markSpec{
	verb: "not paid", state: plugin.StateNotPaid, kind: evManualNotPaid,
	from: []plugin.State{plugin.StateNeedsAttention},
	refuse: func(a pmAnswer, p *plugin.Payment) string {
		switch {
		case !a.found:
			return ""
		case a.remote.Status == plugin.RemoteSettled:
			return "the money arrived at PayMaster: use mark-paid"
		case !a.remote.Status.Final():
			return "the payment is still open at PayMaster and may yet be paid: cancel it in the PayMaster cabinet first"
		}
		return ""
	},
}

func newMarkPaidCmd() *cobra.Command {
	return newMarkCmd(markPaidSpec, "mark-paid ID --reason TEXT",
		"Mark a payment paid by hand, after PayMaster confirms it",
		`mark-paid records that a payment was paid when sbpd could not learn it, e.g.
the bank's status was lost. It is for payments in needs_attention or not_paid;
a payment the daemon still watches (creating, awaiting_payment, status_unknown,
canceling) is refused, and so is one already paid.

PayMaster is asked first (by the stored PayMaster id, else by the order
number): the payment is marked paid only if PayMaster says Settled for the same
amount. Otherwise, or when PayMaster cannot be reached, nothing changes unless
--force is given; then the journal records that it was forced and what
PayMaster said. The change is an event with who (--by, default $SUDO_USER or
$USER) and why (--reason, required); the state becomes paid, reason manual.`,
		`  sbpd journal mark-paid 01JD2K8Q5X3V9R7T6Y4W2E1A0B --reason "bank confirmed, ticket 4411"
  sbpd journal mark-paid 01JD2K8Q5X3V9R7T6Y4W2E1A0B --reason "seen in the PayMaster cabinet" --by ivanov --force`)
}

func newMarkNotPaidCmd() *cobra.Command {
	return newMarkCmd(markNotPaidSpec, "mark-not-paid ID --reason TEXT",
		"Mark a payment that needs attention as not paid, after PayMaster confirms it",
		`mark-not-paid closes a payment in needs_attention as not paid. A payment the
daemon still watches is refused, and so is a final one.

PayMaster is asked first: if it says Settled (the money arrived) or the payment
is still open there (it may yet be paid), nothing changes unless --force is
given; also when PayMaster cannot be reached. The change is an event with who
(--by) and why (--reason, required); the state becomes not_paid, reason manual.`,
		`  sbpd journal mark-not-paid 01JD2K8Q5X3V9R7T6Y4W2E1A0B --reason "cancelled in the PayMaster cabinet"`)
}

func newMarkCmd(spec markSpec, use, short, long, example string) *cobra.Command {
	cmd := &cobra.Command{
		Use: use, Short: short, Long: long, Example: example,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runMark(cmd, spec, args[0])
		},
	}
	cmd.Flags().String("reason", "", "why (required): recorded in the payment's history")
	cmd.Flags().String("by", "", "who decides (default $SUDO_USER or $USER)")
	cmd.Flags().Bool("force", false, "change it even if PayMaster disagrees or cannot be reached (recorded as forced)")
	return cmd
}

func runMark(cmd *cobra.Command, spec markSpec, id string) error {
	ctx := cmd.Context()
	reason, _ := cmd.Flags().GetString("reason")
	reason = strings.TrimSpace(reason)
	if reason == "" {
		return fmt.Errorf(`--reason is required: say why the payment is %s, e.g. --reason "bank confirmed by phone, ticket 4411"`, spec.verb)
	}
	force, _ := cmd.Flags().GetBool("force")
	by := actor(cmd)

	e, err := openActEnv(cmd)
	if err != nil {
		return err
	}
	defer e.Close()
	j := e.db.Journal()
	p, err := j.Get(ctx, id)
	if err != nil {
		return err
	}
	if err := markAllowed(spec, p); err != nil {
		return err
	}

	a := askPayMaster(ctx, e.gw, p)
	said := a.describe(e, p)
	var why string
	if a.err != nil {
		why = "PayMaster could not be asked"
	} else {
		why = spec.refuse(a, p)
	}
	forced := false
	if why != "" {
		if !force {
			return fmt.Errorf("payment %s not marked %s: %s; %s. Check the PayMaster cabinet; if you are sure, repeat with --force", plugin.Printable(p.ID), spec.verb, plugin.Printable(said), why)
		}
		forced = true
	}

	detail := reason + " | " + said
	if forced {
		detail += " | forced: " + why
	}
	seen := p.State
	got, err := j.Resolve(ctx, p.ID, []plugin.State{seen}, func(q *plugin.Payment) {
		q.State, q.Reason, q.Error, q.Offline = spec.state, plugin.ReasonManual, nil, false
		if a.found && a.err == nil {
			if q.PayMasterID == "" {
				q.PayMasterID = a.remote.ID
			}
			q.PayMasterStatus, q.ResultCode = string(a.remote.Status), a.remote.ResultCode
		}
	}, plugin.Event{Kind: spec.kind, Actor: by, Detail: e.scrub(detail)})
	if err != nil {
		if plugin.ErrorReason(err) == "state_changed" {
			return fmt.Errorf("payment %s changed while PayMaster was asked: %s; look at it again", p.ID, plugin.ErrorMessage(err))
		}
		return err
	}
	w := cmd.OutOrStdout()
	fmt.Fprintf(w, "payment %s (check %s, order %s, %s ₽) marked %s by %s\n", plugin.Printable(got.ID), plugin.Printable(got.CheckID),
		plugin.Printable(got.OrderNo), plugin.FormatRoubles(got.Amount), spec.verb, plugin.Printable(by))
	fmt.Fprintf(w, "  %s\n", plugin.Printable(said))
	if forced {
		fmt.Fprintf(w, "  forced: %s\n", plugin.Printable(why))
	}
	return nil
}

// markAllowed refuses a payment the action is not for.
func markAllowed(spec markSpec, p *plugin.Payment) error {
	switch {
	case p.State.Active():
		return &plugin.Error{Code: plugin.EConflict, Reason: "payment_active",
			Message: fmt.Sprintf("payment %s is %s: the daemon is still watching this payment; wait until it ends (it becomes needs_attention if nobody can decide)", p.ID, p.State)}
	case p.State == spec.state:
		return &plugin.Error{Code: plugin.EConflict, Reason: "already_" + string(spec.state),
			Message: fmt.Sprintf("payment %s is already %s", p.ID, spec.verb)}
	case p.State == plugin.StatePaid:
		return &plugin.Error{Code: plugin.EConflict, Reason: "already_paid",
			Message: fmt.Sprintf("payment %s is paid: sbpd never un-pays a payment; a refund is a back-office act at PayMaster", p.ID)}
	}
	for _, s := range spec.from {
		if p.State == s {
			return nil
		}
	}
	return &plugin.Error{Code: plugin.EConflict, Reason: "invalid_state",
		Message: fmt.Sprintf("payment %s is %s: only a payment that needs attention can be marked %s", p.ID, p.State, spec.verb)}
}

// Reconciliation.

// Difference kinds.
const (
	diffPaidAtPayMaster  = "paid_at_paymaster"    // Settled at PayMaster, not paid here
	diffMissingHere      = "missing_here"         // at PayMaster, no journal row
	diffUnknownPayMaster = "unknown_to_paymaster" // in the journal, PayMaster does not have it
	diffAmount           = "amount_mismatch"
	diffStatus           = "status_mismatch"
)

// reconMargin widens both lists so that a payment near an edge of the
// period is matched even if the journal and PayMaster stamped it on
// different sides of the edge.
const reconMargin = paymaster.FindWindow

type reconDiff struct {
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
	Resolved        string `json:"resolved,omitempty"` // --apply: the state written

	p      *plugin.Payment
	remote plugin.Remote
	apply  plugin.State // the safe resolution, or ""
}

type reconReport struct {
	From        time.Time   `json:"from"`
	To          time.Time   `json:"to"`
	Journal     int         `json:"journal"`
	PayMaster   int         `json:"paymaster"`
	Active      int         `json:"active_skipped"`
	OtherTills  int         `json:"other_tills_ignored"`
	Differences []reconDiff `json:"differences"`
	Resolved    int         `json:"resolved"`
	Remaining   int         `json:"remaining"`
	OK          bool        `json:"ok"`
}

func newReconcileCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "reconcile --from TIME --to TIME [--apply]",
		Short: "Compare the journal with PayMaster's payments for a period",
		Long: `reconcile lists PayMaster's payments created in the period (the payments
list call) and this kiosk's journal for the same period, matches them by
PayMaster id, else by order number, and reports each difference:

  paid_at_paymaster     Settled at PayMaster, not paid here
  missing_here          at PayMaster (this till's order numbers), no journal row
  unknown_to_paymaster  in the journal with a PayMaster id or a decision, unknown to PayMaster
  amount_mismatch       PayMaster's amount is not the journal's
  status_mismatch       a final state here disagrees with PayMaster's

Payments the daemon still watches are skipped. With --apply, what is safe is
resolved, each as an event with actor "reconcile": needs_attention or not_paid
and PayMaster Settled for the same amount become paid; needs_attention and
PayMaster Cancelled or Rejected become not_paid. A paid payment is never
un-paid, active payments and amounts are never changed: those stay reported
for a person (see mark-paid and mark-not-paid).

TIME is RFC 3339 (2025-03-14T10:00:00+03:00), "2025-03-14 10:00" or a date
(local time); a date given to --to includes that whole day.
The exit status is 0 when no differences remain, 1 otherwise.`,
		Example: `  sbpd journal reconcile --from 2025-03-01 --to 2025-03-31
  sbpd journal reconcile --from "2025-03-14 09:00" --to "2025-03-14 18:00" --apply
  sbpd journal reconcile --from 2025-03-14 --to 2025-03-14 --json | jq '.differences[]'`,
		Args: cobra.NoArgs,
		RunE: runReconcile,
	}
	cmd.Flags().String("from", "", "start of the period (required)")
	cmd.Flags().String("to", "", "end of the period (required)")
	cmd.Flags().Bool("apply", false, "resolve the safe differences, recording each")
	cmd.Flags().Bool("json", false, "print the report as JSON")
	return cmd
}

// parsePeriodTime reads TIME; end says it is the end of a period, where a
// bare date means the end of that day.
func parsePeriodTime(flag, s string, end bool) (time.Time, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return time.Time{}, fmt.Errorf("--%s is required, e.g. --%s 2025-03-14", flag, flag)
	}
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t, nil
	}
	for _, layout := range []string{"2006-01-02 15:04:05", "2006-01-02 15:04", "2006-01-02T15:04"} {
		if t, err := time.ParseInLocation(layout, s, time.Local); err == nil {
			return t, nil
		}
	}
	if t, err := time.ParseInLocation("2006-01-02", s, time.Local); err == nil {
		if end {
			t = t.AddDate(0, 0, 1)
		}
		return t, nil
	}
	return time.Time{}, fmt.Errorf("--%s %q is not a time: use 2025-03-14, \"2025-03-14 10:00\" or 2025-03-14T10:00:00+03:00", flag, s)
}

func runReconcile(cmd *cobra.Command, args []string) error {
	ctx := cmd.Context()
	fromS, toS := cmd.Flag("from").Value.String(), cmd.Flag("to").Value.String()
	from, err := parsePeriodTime("from", fromS, false)
	if err != nil {
		return err
	}
	to, err := parsePeriodTime("to", toS, true)
	if err != nil {
		return err
	}
	if !to.After(from) {
		return fmt.Errorf("--to (%s) must be after --from (%s)", to.Format(time.RFC3339), from.Format(time.RFC3339))
	}
	apply, _ := cmd.Flags().GetBool("apply")
	asJSON, _ := cmd.Flags().GetBool("json")

	e, err := openActEnv(cmd)
	if err != nil {
		return err
	}
	defer e.Close()

	remotes, err := e.gw.List(ctx, from.Add(-reconMargin), to.Add(reconMargin))
	if err != nil {
		return fmt.Errorf("reconcile: PayMaster's payment list could not be read: %s", plugin.Printable(e.scrub(err.Error())))
	}
	var rows []*plugin.Payment
	for off := 0; ; off += sqlite.MaxLimit {
		page, err := e.db.Journal().Search(ctx, plugin.Filter{From: from.Add(-reconMargin), To: to.Add(reconMargin), Limit: sqlite.MaxLimit, Offset: off})
		if err != nil {
			return err
		}
		rows = append(rows, page...)
		if len(page) < sqlite.MaxLimit {
			break
		}
	}

	rep := reconcile(e.cfg.TillID, from, to, rows, remotes)
	if apply {
		for i := range rep.Differences {
			d := &rep.Differences[i]
			if d.apply == "" {
				continue
			}
			if err := applyDiff(ctx, e, d, from, to); err != nil {
				d.Detail += "; not resolved: " + e.scrub(plugin.ErrorMessage(err))
				continue
			}
			rep.Resolved++
		}
	}
	rep.Remaining = len(rep.Differences) - rep.Resolved
	rep.OK = rep.Remaining == 0

	w := cmd.OutOrStdout()
	if asJSON {
		var buf bytes.Buffer
		enc := json.NewEncoder(&buf)
		enc.SetIndent("", "  ")
		if err := enc.Encode(rep); err != nil {
			return err
		}
		if _, err := w.Write(printableJSON(buf.Bytes())); err != nil {
			return err
		}
	} else {
		printReconcile(w, rep, apply)
	}
	if !rep.OK {
		return fmt.Errorf("reconcile: %s remain", countNoun(rep.Remaining, "difference", "differences"))
	}
	return nil
}

func in(t, from, to time.Time) bool { return !t.Before(from) && t.Before(to) }

// reconcile matches the journal's rows with PayMaster's payments and lists
// the differences among those created in [from, to).
func reconcile(tillID string, from, to time.Time, rows []*plugin.Payment, remotes []plugin.Remote) reconReport {
	rep := reconReport{From: from, To: to, Differences: []reconDiff{}}
	byID := map[string]int{}
	byOrder := map[string][]int{}
	for i, r := range remotes {
		byID[r.ID] = i
		byOrder[r.OrderNo] = append(byOrder[r.OrderNo], i)
	}
	matched := make([]bool, len(remotes))
	// Oldest first, so that the report reads in time order.
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
	prefix := tillID + "-"
	for i, r := range remotes {
		if !in(r.Created, from, to) {
			continue
		}
		if tillID != "" && !strings.HasPrefix(r.OrderNo, prefix) && !matched[i] {
			rep.OtherTills++
			continue
		}
		rep.PayMaster++
		if matched[i] {
			continue
		}
		d := reconDiff{Kind: diffMissingHere, OrderNo: r.OrderNo, PayMasterID: r.ID,
			PayMasterStatus: string(r.Status), PayMasterAmount: ptr(r.Amount), remote: r}
		d.Detail = "PayMaster has it, the journal does not"
		if r.Status == plugin.RemoteSettled {
			d.Detail = "paid at PayMaster, missing here"
		}
		rep.Differences = append(rep.Differences, d)
	}
	return rep
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
func compare(p *plugin.Payment, r *plugin.Remote) (reconDiff, bool) {
	d := reconDiff{PaymentID: p.ID, CheckID: p.CheckID, OrderNo: p.OrderNo, PayMasterID: p.PayMasterID,
		State: string(p.State), Amount: ptr(p.Amount), p: p}
	if r == nil {
		if p.State == plugin.StateNotPaid && p.PayMasterID == "" {
			return d, false // never created at PayMaster: nothing to compare
		}
		d.Kind = diffUnknownPayMaster
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
		d.Kind = diffAmount
		d.Detail = fmt.Sprintf("%s ₽ here, %s ₽ at PayMaster (%s, %s here): a person must decide", plugin.FormatRoubles(p.Amount), plugin.FormatRoubles(r.Amount), status, p.State)
		return d, true
	}
	settled := r.Status == plugin.RemoteSettled
	failed := r.Status == plugin.RemoteCancelled || r.Status == plugin.RemoteRejected
	switch p.State {
	case plugin.StatePaid:
		if settled {
			return d, false
		}
		d.Kind, d.Detail = diffStatus, fmt.Sprintf("paid here, PayMaster says %s: a person must decide (sbpd never un-pays)", status)
	case plugin.StateNotPaid:
		switch {
		case settled:
			d.Kind, d.Detail, d.apply = diffPaidAtPayMaster, "not paid here, Settled at PayMaster", plugin.StatePaid
		case failed:
			return d, false
		default:
			d.Kind, d.Detail = diffStatus, fmt.Sprintf("not paid here, PayMaster still says %s", status)
		}
	case plugin.StateNeedsAttention:
		switch {
		case settled:
			d.Kind, d.Detail, d.apply = diffPaidAtPayMaster, "needs attention here, Settled at PayMaster", plugin.StatePaid
		case failed:
			d.Kind, d.Detail, d.apply = diffStatus, fmt.Sprintf("needs attention here, PayMaster says %s", status), plugin.StateNotPaid
		default:
			d.Kind, d.Detail = diffStatus, fmt.Sprintf("needs attention here, PayMaster still says %s: it may yet be paid", status)
		}
	default:
		return d, false
	}
	return d, true
}

// applyDiff writes the safe resolution, only if the payment is still in
// the state the comparison saw.
func applyDiff(ctx context.Context, e *actEnv, d *reconDiff, from, to time.Time) error {
	r := d.remote
	kind := evReconciledPaid
	if d.apply == plugin.StateNotPaid {
		kind = evReconciledNotPaid
	}
	detail := fmt.Sprintf("PayMaster says %s", r.Status)
	if r.ResultCode != "" {
		detail += "/" + r.ResultCode
	}
	detail += fmt.Sprintf(" for %s ₽ (PayMaster id %s); sbpd journal reconcile --from %s --to %s --apply",
		plugin.FormatRoubles(r.Amount), r.ID, from.Format(time.RFC3339), to.Format(time.RFC3339))
	got, err := e.db.Journal().Resolve(ctx, d.p.ID, []plugin.State{d.p.State}, func(q *plugin.Payment) {
		q.State, q.Error, q.Offline = d.apply, nil, false
		if q.PayMasterID == "" {
			q.PayMasterID = r.ID
		}
		q.PayMasterStatus, q.ResultCode = string(r.Status), r.ResultCode
		if d.apply == plugin.StatePaid {
			q.Reason = plugin.ReasonNone
		} else {
			q.Reason = plugin.ReasonFor(r, q.CancelRequested)
		}
	}, plugin.Event{Kind: kind, Actor: "reconcile", Detail: detail})
	if err != nil {
		return err
	}
	d.Resolved = string(got.State)
	return nil
}

func printReconcile(w io.Writer, rep reconReport, apply bool) {
	fmt.Fprintf(w, "period %s – %s: %d in the journal, %d at PayMaster",
		rep.From.Format("2006-01-02 15:04:05 -07:00"), rep.To.Format("2006-01-02 15:04:05 -07:00"), rep.Journal, rep.PayMaster)
	if rep.Active > 0 {
		fmt.Fprintf(w, ", %d still active (skipped)", rep.Active)
	}
	if rep.OtherTills > 0 {
		fmt.Fprintf(w, ", %d of other tills ignored", rep.OtherTills)
	}
	fmt.Fprintln(w)
	if len(rep.Differences) == 0 {
		fmt.Fprintln(w, "no differences")
		return
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "KIND\tPAYMENT\tORDER\tHERE\tPAYMASTER\tDETAIL")
	money := func(n *int64) string {
		if n == nil {
			return ""
		}
		return plugin.FormatRoubles(*n) + " ₽"
	}
	for _, d := range rep.Differences {
		here, there := "-", "-"
		if d.State != "" {
			here = d.State + " " + money(d.Amount)
		}
		if d.PayMasterStatus != "" {
			there = d.PayMasterStatus + " " + money(d.PayMasterAmount)
		}
		payment := d.PaymentID
		if payment == "" {
			payment = "-"
		}
		detail := d.Detail
		switch {
		case d.Resolved != "":
			detail += "; resolved: now " + d.Resolved
		case d.apply != "" && !apply:
			detail += "; --apply makes it " + string(d.apply)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", plugin.Printable(d.Kind), plugin.Printable(payment), plugin.Printable(d.OrderNo),
			plugin.Printable(here), plugin.Printable(there), plugin.Printable(detail))
	}
	tw.Flush()
	fmt.Fprintf(w, "%s, %d resolved, %d remain\n", countNoun(len(rep.Differences), "difference", "differences"), rep.Resolved, rep.Remaining)
}

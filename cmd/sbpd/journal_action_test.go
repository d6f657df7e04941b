package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sbpd/sbpd/drivers/paymaster"
	"github.com/sbpd/sbpd/drivers/paymaster/sandbox"
	"github.com/sbpd/sbpd/drivers/sqlite"
	"github.com/sbpd/sbpd/plugin"
	"github.com/sbpd/sbpd/plugin/backoffice"
)

// actFixture is a kiosk's journal file with no daemon running, the PayMaster
// sandbox over HTTP, and a config file naming both.
type actFixture struct {
	t       *testing.T
	sb      *sandbox.Server
	cfgPath string
	db      *sqlite.DB
	gw      *paymaster.Gateway
}

func newActFixture(t *testing.T) *actFixture {
	t.Helper()
	f := &actFixture{t: t, sb: newSandbox(t)}
	f.cfgPath = writeConfig(t, f.sb, "")
	dataDir := filepath.Join(filepath.Dir(f.cfgPath), "data")
	if err := os.MkdirAll(dataDir, 0o750); err != nil {
		t.Fatal(err)
	}
	db, err := sqlite.Open(filepath.Join(dataDir, "sbpd.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	f.db = db
	if f.gw, err = paymaster.New(paymaster.Config{BaseURL: f.sb.URL(), MerchantID: f.sb.MerchantID(), Token: f.sb.Token()}); err != nil {
		t.Fatal(err)
	}
	shortActRetries(t)
	return f
}

func shortActRetries(t *testing.T) {
	actTune = func(c *paymaster.Config) {
		c.RetryMax, c.RetryWaitMin, c.RetryWaitMax, c.Timeout = 1, time.Millisecond, 5*time.Millisecond, 2*time.Second
	}
	t.Cleanup(func() { actTune = nil })
}

// plant records a payment for check in state; with remote it is created at
// PayMaster first and its id stored.
func (f *actFixture) plant(check string, amount int64, state plugin.State, remote bool) *plugin.Payment {
	f.t.Helper()
	ctx := context.Background()
	now := time.Now().UTC()
	p := &plugin.Payment{ID: "P-" + check, CheckID: check, OrderNo: "K07-" + check + "-1", Amount: amount,
		Mode: plugin.ModeScreen, State: plugin.StateCreating, IdempotencyKey: "key-" + check,
		ExpiresAt: now.Add(5 * time.Minute), CreatedAt: now, UpdatedAt: now}
	j := f.db.Journal()
	if err := j.Create(ctx, p, plugin.Event{Kind: plugin.EvCreated, Actor: "till"}); err != nil {
		f.t.Fatal(err)
	}
	if remote {
		r := f.remote(p.OrderNo, amount)
		p.PayMasterID, p.PayMasterStatus = r.ID, string(r.Status)
	}
	if state != plugin.StateCreating {
		p.State = state
		switch state {
		case plugin.StateNeedsAttention:
			p.Reason = plugin.ReasonCancelFailed
		case plugin.StateNotPaid:
			p.Reason = plugin.ReasonTechnical
		}
		if err := j.Update(ctx, p, plugin.Event{Kind: "planted"}); err != nil {
			f.t.Fatal(err)
		}
	}
	return p
}

// remote creates a payment at PayMaster only.
func (f *actFixture) remote(orderNo string, amount int64) plugin.Remote {
	f.t.Helper()
	r, err := f.gw.CreatePayment(context.Background(), plugin.CreateRequest{OrderNo: orderNo, Amount: amount,
		Description: "test " + orderNo, Expires: time.Now().Add(30 * time.Minute), IdempotencyKey: "idem-" + orderNo})
	if err != nil {
		f.t.Fatal(err)
	}
	return r
}

func (f *actFixture) get(id string) *plugin.Payment {
	f.t.Helper()
	p, err := f.db.Journal().Get(context.Background(), id)
	if err != nil {
		f.t.Fatal(err)
	}
	return p
}

func (f *actFixture) lastEvent(id string) plugin.Event {
	f.t.Helper()
	evs, err := f.db.Journal().Events(context.Background(), id)
	if err != nil {
		f.t.Fatal(err)
	}
	return evs[len(evs)-1]
}

// run runs sbpd with the fixture's config and returns stdout+stderr and
// the command's error. The token must never appear in either.
func (f *actFixture) run(args ...string) (string, error) {
	f.t.Helper()
	return runAct(f.t, f.sb.Token(), append(args, "--config", f.cfgPath)...)
}

func runAct(t *testing.T, token string, args ...string) (string, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	stdout, stderr, done := runCLI(ctx, args...)
	var err error
	select {
	case err = <-done:
	case <-ctx.Done():
		t.Fatalf("sbpd %s did not finish", strings.Join(args, " "))
	}
	out := stdout.String() + stderr.String()
	if err != nil {
		out += "\nerror: " + err.Error()
	}
	if strings.Contains(out, token) {
		t.Fatalf("the PayMaster token was printed:\n%s", out)
	}
	return out, err
}

func wantRefused(t *testing.T, out string, err error, parts ...string) {
	t.Helper()
	if err == nil {
		t.Fatalf("not refused:\n%s", out)
	}
	for _, s := range parts {
		if !strings.Contains(err.Error(), s) {
			t.Errorf("error %q does not say %q", err, s)
		}
	}
}

func TestJournalMarkPaid_SettledAtPayMaster(t *testing.T) {
	f := newActFixture(t)
	p := f.plant("101", 25990, plugin.StateNeedsAttention, true)
	if err := f.sb.Pay(p.PayMasterID); err != nil {
		t.Fatal(err)
	}
	out, err := f.run("journal", "mark-paid", p.ID, "--reason", "bank confirmed by phone", "--by", "ivanov")
	if err != nil {
		t.Fatal(out)
	}
	if !strings.Contains(out, "marked paid by ivanov") || !strings.Contains(out, "PayMaster says Settled") {
		t.Errorf("output:\n%s", out)
	}
	got := f.get(p.ID)
	if got.State != plugin.StatePaid || got.Reason != plugin.ReasonManual || got.PayMasterStatus != "Settled" || got.Error != nil {
		t.Fatalf("%+v", got)
	}
	ev := f.lastEvent(p.ID)
	if ev.Kind != "manual_paid" || ev.Actor != "ivanov" || ev.State != plugin.StatePaid ||
		!strings.Contains(ev.Detail, "bank confirmed by phone") || !strings.Contains(ev.Detail, "Settled") || strings.Contains(ev.Detail, "forced") {
		t.Fatalf("event %+v", ev)
	}
}

// TestJournalMarkPaid_ByOrderNumber: no PayMaster id was stored (the create
// answer was lost); PayMaster is asked by order number.
func TestJournalMarkPaid_ByOrderNumber(t *testing.T) {
	f := newActFixture(t)
	p := f.plant("102", 10000, plugin.StateNeedsAttention, false)
	r := f.remote(p.OrderNo, p.Amount)
	f.sb.Pay(r.ID)
	t.Setenv("SUDO_USER", "petrova")
	if out, err := f.run("journal", "mark-paid", p.ID, "--reason", "found in the cabinet"); err != nil {
		t.Fatal(out)
	}
	got := f.get(p.ID)
	if got.State != plugin.StatePaid || got.PayMasterID != r.ID {
		t.Fatalf("%+v", got)
	}
	if ev := f.lastEvent(p.ID); ev.Actor != "petrova" {
		t.Fatalf("actor %q, want $SUDO_USER", ev.Actor)
	}
}

func TestJournalMarkPaid_NotSettledNeedsForce(t *testing.T) {
	f := newActFixture(t)
	p := f.plant("103", 5000, plugin.StateNeedsAttention, true) // still open (Confirmation) at PayMaster
	out, err := f.run("journal", "mark-paid", p.ID, "--reason", "shopper shows a receipt")
	wantRefused(t, out, err, "not marked paid", "PayMaster says Confirmation", "--force")
	if got := f.get(p.ID); got.State != plugin.StateNeedsAttention {
		t.Fatalf("state changed to %s", got.State)
	}

	out, err = f.run("journal", "mark-paid", p.ID, "--reason", "shopper shows a receipt", "--by", "ivanov", "--force")
	if err != nil {
		t.Fatal(out)
	}
	if !strings.Contains(out, "forced") {
		t.Errorf("output does not say forced:\n%s", out)
	}
	got := f.get(p.ID)
	if got.State != plugin.StatePaid || got.Reason != plugin.ReasonManual {
		t.Fatalf("%+v", got)
	}
	ev := f.lastEvent(p.ID)
	if ev.Kind != "manual_paid" || !strings.Contains(ev.Detail, "forced") || !strings.Contains(ev.Detail, "PayMaster says Confirmation") {
		t.Fatalf("event %+v", ev)
	}
}

func TestJournalMarkPaid_AmountDiffersNeedsForce(t *testing.T) {
	f := newActFixture(t)
	p := f.plant("104", 5000, plugin.StateNotPaid, true)
	f.sb.PayAmount(p.PayMasterID, 4000)
	out, err := f.run("journal", "mark-paid", p.ID, "--reason", "x")
	wantRefused(t, out, err, "40,00", "50,00")
	if got := f.get(p.ID); got.State != plugin.StateNotPaid {
		t.Fatalf("state %s", got.State)
	}
}

func TestJournalMarkPaid_Refusals(t *testing.T) {
	f := newActFixture(t)
	na := f.plant("110", 100, plugin.StateNeedsAttention, true)
	f.sb.Pay(na.PayMasterID)
	active := f.plant("111", 100, plugin.StateAwaitingPayment, true)
	f.sb.Pay(active.PayMasterID)
	paid := f.plant("112", 100, plugin.StatePaid, true)
	f.sb.Pay(paid.PayMasterID)

	out, err := f.run("journal", "mark-paid", na.ID)
	wantRefused(t, out, err, "--reason is required")
	out, err = f.run("journal", "mark-paid", na.ID, "--reason", "   ")
	wantRefused(t, out, err, "--reason is required")

	for _, force := range []bool{false, true} {
		args := []string{"journal", "mark-paid", active.ID, "--reason", "x"}
		if force {
			args = append(args, "--force")
		}
		out, err = f.run(args...)
		wantRefused(t, out, err, "the daemon is still watching this payment")
		out, err = f.run(append(args[:2:2], append([]string{paid.ID}, args[3:]...)...)...)
		wantRefused(t, out, err, "already paid")
	}
	out, err = f.run("journal", "mark-paid", "no-such-payment", "--reason", "x")
	wantRefused(t, out, err, `no payment with id, order number or PayMaster id "no-such-payment"`)

	for _, id := range []string{na.ID, active.ID} {
		if got := f.get(id); got.State == plugin.StatePaid {
			t.Errorf("%s was changed", id)
		}
	}
}

func TestJournalMarkPaid_PayMasterUnreachable(t *testing.T) {
	f := newActFixture(t)
	p := f.plant("120", 100, plugin.StateNeedsAttention, true)
	f.sb.Pay(p.PayMasterID)
	raw, err := os.ReadFile(f.cfgPath)
	if err != nil {
		t.Fatal(err)
	}
	// Nothing listens on port 1.
	if err := os.WriteFile(f.cfgPath, []byte(strings.Replace(string(raw), f.sb.URL(), "http://127.0.0.1:1", 1)), 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := f.run("journal", "mark-paid", p.ID, "--reason", "bank confirmed")
	wantRefused(t, out, err, "PayMaster could not be asked", "--force")
	if n := strings.Count(err.Error(), "could not be asked"); n != 1 {
		t.Errorf("the refusal says %d times that PayMaster could not be asked: %v", n, err)
	}
	if got := f.get(p.ID); got.State != plugin.StateNeedsAttention {
		t.Fatalf("state %s", got.State)
	}
	out, err = f.run("journal", "mark-paid", p.ID, "--reason", "bank confirmed", "--force")
	if err != nil {
		t.Fatal(out)
	}
	ev := f.lastEvent(p.ID)
	if ev.Kind != "manual_paid" || !strings.Contains(ev.Detail, "forced") || !strings.Contains(ev.Detail, "could not be asked") {
		t.Fatalf("event %+v", ev)
	}
}

func TestJournalMarkNotPaid(t *testing.T) {
	f := newActFixture(t)
	declined := f.plant("130", 100, plugin.StateNeedsAttention, true)
	f.sb.Decline(declined.PayMasterID, "")
	settled := f.plant("131", 100, plugin.StateNeedsAttention, true)
	f.sb.Pay(settled.PayMasterID)
	pending := f.plant("132", 100, plugin.StateNeedsAttention, true)
	notPaid := f.plant("133", 100, plugin.StateNotPaid, true)
	active := f.plant("134", 100, plugin.StateStatusUnknown, true)

	out, err := f.run("journal", "mark-not-paid", declined.ID, "--reason", "declined in the app", "--by", "ivanov")
	if err != nil {
		t.Fatal(out)
	}
	got := f.get(declined.ID)
	if got.State != plugin.StateNotPaid || got.Reason != plugin.ReasonManual || got.PayMasterStatus != "Rejected" {
		t.Fatalf("%+v", got)
	}
	if ev := f.lastEvent(declined.ID); ev.Kind != "manual_not_paid" || ev.Actor != "ivanov" || !strings.Contains(ev.Detail, "declined in the app") {
		t.Fatalf("event %+v", ev)
	}

	out, err = f.run("journal", "mark-not-paid", settled.ID, "--reason", "x")
	wantRefused(t, out, err, "the money arrived", "Settled")
	out, err = f.run("journal", "mark-not-paid", pending.ID, "--reason", "x")
	wantRefused(t, out, err, "may yet be paid")
	out, err = f.run("journal", "mark-not-paid", notPaid.ID, "--reason", "x")
	wantRefused(t, out, err, "already not paid")
	out, err = f.run("journal", "mark-not-paid", active.ID, "--reason", "x", "--force")
	wantRefused(t, out, err, "still watching")
	out, err = f.run("journal", "mark-not-paid", settled.ID)
	wantRefused(t, out, err, "--reason is required")
	for _, p := range []*plugin.Payment{settled, pending, active} {
		if got := f.get(p.ID); got.State != p.State {
			t.Errorf("%s: %s, want %s", p.ID, got.State, p.State)
		}
	}

	// Forced: the person has checked; recorded as forced.
	if out, err := f.run("journal", "mark-not-paid", pending.ID, "--reason", "cancelled by phone", "--force"); err != nil {
		t.Fatal(out)
	}
	if ev := f.lastEvent(pending.ID); !strings.Contains(ev.Detail, "forced") {
		t.Fatalf("event %+v", ev)
	}
}

type reconJSON struct {
	Journal     int `json:"journal"`
	PayMaster   int `json:"paymaster"`
	OtherTills  int `json:"other_tills_ignored"`
	Differences []struct {
		Kind        string `json:"kind"`
		PaymentID   string `json:"payment_id"`
		OrderNo     string `json:"order_no"`
		PayMasterID string `json:"paymaster_id"`
		Resolved    string `json:"resolved"`
		Detail      string `json:"detail"`
	} `json:"differences"`
	Resolved  int  `json:"resolved"`
	Remaining int  `json:"remaining"`
	OK        bool `json:"ok"`
}

func parseRecon(t *testing.T, out string) reconJSON {
	t.Helper()
	var r reconJSON
	if err := json.NewDecoder(strings.NewReader(out)).Decode(&r); err != nil {
		t.Fatalf("%v:\n%s", err, out)
	}
	return r
}

func TestJournalReconcile_PlantedDifferences(t *testing.T) {
	f := newActFixture(t)
	settledNA := f.plant("201", 15000, plugin.StateNeedsAttention, true)
	f.sb.Pay(settledNA.PayMasterID)
	cancelledNA := f.plant("202", 15000, plugin.StateNeedsAttention, true)
	f.sb.Expire(cancelledNA.PayMasterID)
	orphan := f.remote("K07-203-1", 30000) // at PayMaster, no journal row
	f.sb.Pay(orphan.ID)
	unknown := f.plant("204", 20000, plugin.StatePaid, false) // paid here, PayMaster never heard of it
	mismatch := f.plant("205", 50000, plugin.StateNeedsAttention, true)
	f.sb.PayAmount(mismatch.PayMasterID, 5000)
	fine := f.plant("206", 100, plugin.StatePaid, true) // agrees
	f.sb.Pay(fine.PayMasterID)
	neverCreated := f.plant("207", 100, plugin.StateNotPaid, false) // create failed: nothing to compare
	active := f.plant("208", 100, plugin.StateAwaitingPayment, true)
	f.sb.Pay(active.PayMasterID) // the daemon will see it: not reconcile's business
	other := f.remote("K99-1-1", 100)
	f.sb.Pay(other.ID) // another till of the same merchant

	from := time.Now().Add(-time.Hour).Format(time.RFC3339)
	to := time.Now().Add(time.Hour).Format(time.RFC3339)
	want := map[string]string{ // order number -> kind
		settledNA.OrderNo:   "paid_at_paymaster",
		cancelledNA.OrderNo: "status_mismatch",
		orphan.OrderNo:      "missing_here",
		unknown.OrderNo:     "unknown_to_paymaster",
		mismatch.OrderNo:    "amount_mismatch",
	}
	check := func(r reconJSON, resolved map[string]string) {
		t.Helper()
		got := map[string]string{}
		for _, d := range r.Differences {
			got[d.OrderNo] = d.Kind
			if d.Resolved != resolved[d.OrderNo] {
				t.Errorf("%s resolved %q, want %q", d.OrderNo, d.Resolved, resolved[d.OrderNo])
			}
		}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("differences %v\nwant %v", got, want)
		}
		if r.OtherTills != 1 {
			t.Errorf("other tills %d, want 1", r.OtherTills)
		}
	}

	// Report only: nothing changes, exit 1.
	out, err := f.run("journal", "reconcile", "--from", from, "--to", to, "--json")
	if err == nil {
		t.Fatalf("differences but exit 0:\n%s", out)
	}
	r := parseRecon(t, out)
	check(r, nil)
	if r.Remaining != 5 || r.OK || r.Journal != 7 {
		t.Errorf("remaining %d ok %t journal %d", r.Remaining, r.OK, r.Journal)
	}
	if got := f.get(settledNA.ID); got.State != plugin.StateNeedsAttention {
		t.Fatal("changed without --apply")
	}

	// The table.
	out, err = f.run("journal", "reconcile", "--from", from, "--to", to)
	if err == nil || !strings.Contains(out, "KIND") || !strings.Contains(out, "--apply makes it paid") ||
		!strings.Contains(out, "5 differences") || !strings.Contains(err.Error(), "5 differences remain") {
		t.Fatalf("table:\n%s", out)
	}

	// Apply: the two safe ones are resolved, the rest stay.
	out, err = f.run("journal", "reconcile", "--from", from, "--to", to, "--apply", "--json")
	if err == nil {
		t.Fatalf("exit 0 with differences left:\n%s", out)
	}
	r = parseRecon(t, out)
	check(r, map[string]string{settledNA.OrderNo: "paid", cancelledNA.OrderNo: "not_paid"})
	if r.Resolved != 2 || r.Remaining != 3 {
		t.Errorf("resolved %d remaining %d", r.Resolved, r.Remaining)
	}
	if got := f.get(settledNA.ID); got.State != plugin.StatePaid || got.PayMasterStatus != "Settled" {
		t.Errorf("settled: %+v", got)
	}
	// Recorded as applied by the person running the command (no --by:
	// the one behind sudo, or the login name).
	person := backoffice.Who("", os.Getenv)
	if ev := f.lastEvent(settledNA.ID); ev.Kind != "reconciled_paid" || ev.Actor != person || !strings.Contains(ev.Detail, "Settled") {
		t.Errorf("event %+v", ev)
	}
	if got := f.get(cancelledNA.ID); got.State != plugin.StateNotPaid || got.Reason != plugin.ReasonExpired {
		t.Errorf("cancelled: %+v", got)
	}
	if ev := f.lastEvent(cancelledNA.ID); ev.Kind != "reconciled_not_paid" || ev.Actor != person {
		t.Errorf("event %+v", ev)
	}
	for _, p := range []*plugin.Payment{unknown, mismatch, fine, neverCreated, active} {
		if got := f.get(p.ID); got.State != p.State || got.Amount != p.Amount {
			t.Errorf("%s changed: %s %d", p.ID, got.State, got.Amount)
		}
	}

	// Again: only what a person must decide is left.
	out, err = f.run("journal", "reconcile", "--from", from, "--to", to, "--json")
	if err == nil {
		t.Fatal(out)
	}
	r = parseRecon(t, out)
	delete(want, settledNA.OrderNo)
	delete(want, cancelledNA.OrderNo)
	check(r, nil)
}

func TestJournalReconcile_CleanAndBadFlags(t *testing.T) {
	f := newActFixture(t)
	p := f.plant("301", 100, plugin.StatePaid, true)
	f.sb.Pay(p.PayMasterID)
	out, err := f.run("journal", "reconcile", "--from", time.Now().Format("2006-01-02"), "--to", time.Now().Format("2006-01-02"))
	if err != nil || !strings.Contains(out, "no differences") {
		t.Fatalf("%v:\n%s", err, out)
	}
	// A period with nothing in it.
	out, err = f.run("journal", "reconcile", "--from", "2020-01-01", "--to", "2020-01-02 12:00")
	if err != nil {
		t.Fatal(out)
	}
	out, err = f.run("journal", "reconcile", "--to", "2020-01-02")
	wantRefused(t, out, err, `--from "": required, e.g. 2025-03-14`)
	out, err = f.run("journal", "reconcile", "--from", "yesterday", "--to", "2020-01-02")
	wantRefused(t, out, err, "not a time")
	out, err = f.run("journal", "reconcile", "--from", "2020-01-03", "--to", "2020-01-01")
	wantRefused(t, out, err, "must be after")
}

// One difference is "1 difference remains", in the table and the error.
func TestJournalReconcile_OneDifference(t *testing.T) {
	f := newActFixture(t)
	f.plant("401", 100, plugin.StatePaid, false) // paid here, PayMaster never heard of it
	day := time.Now().Format("2006-01-02")
	out, err := f.run("journal", "reconcile", "--from", day, "--to", day)
	if err == nil || err.Error() != "reconcile: 1 difference remains" || !strings.Contains(out, "1 difference, 0 resolved, 1 remains") {
		t.Fatalf("%v:\n%s", err, out)
	}
}

// TestJournalActions_WhileDaemonRuns: a real daemon holds the journal open
// and watches a payment that needs attention (its cancel failed); the money
// arrives at PayMaster; a technician marks it paid before the daemon's next
// poll. The daemon then takes the journal's word and writes nothing more.
func TestJournalActions_WhileDaemonRuns(t *testing.T) {
	h := newE2E(t)
	shortActRetries(t)
	other := h.start("1", 300, false)
	if err := h.sb.Pay(other.PayMasterID); err != nil {
		t.Fatalf("%v: %+v", err, other)
	}
	h.until(other.ID, plugin.StatePaid, poll, 6)
	// One payment at a time holds the fake clock's sleepers: the paid one first.
	h.sb.SetCancelMode(sandbox.CancelReject)
	p := h.start("2", 100, false)
	h.do("POST", "/api/v1/payments/"+p.ID+"/cancel", "")
	h.until(p.ID, plugin.StateNeedsAttention, poll, 2)

	cfgPath := filepath.Join(t.TempDir(), "sbpd.yaml")
	cfg := fmt.Sprintf("data_dir: %s\ntill:\n  id: K07\npaymaster:\n  base_url: %s\n  merchant_id: %s\n  token: %s\n",
		h.dataDir, h.sb.URL(), h.sb.MerchantID(), h.sb.Token())
	if err := os.WriteFile(cfgPath, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	run := func(args ...string) (string, error) {
		return runAct(t, h.sb.Token(), append(args, "--config", cfgPath)...)
	}

	out, err := run("journal", "mark-paid", p.ID, "--reason", "cancel failed, bank confirms")
	wantRefused(t, out, err, "PayMaster says Confirmation")

	if err := h.sb.Pay(p.PayMasterID); err != nil {
		t.Fatal(err)
	}
	if out, err := run("journal", "mark-paid", p.ID, "--reason", "cancel failed, bank confirms", "--by", "ivanov"); err != nil {
		t.Fatal(out)
	}
	got := h.until(p.ID, plugin.StatePaid, poll, 6)
	if got.Reason != plugin.ReasonManual {
		t.Fatalf("%+v", got)
	}
	kinds := h.events(p.ID)
	if kinds[len(kinds)-1] != "manual_paid" {
		t.Fatalf("the daemon wrote after the manual decision: %v", kinds)
	}

	from := h.clock.Now().Add(-time.Hour).Format(time.RFC3339)
	to := h.clock.Now().Add(time.Hour).Format(time.RFC3339)
	out, err = run("journal", "reconcile", "--from", from, "--to", to, "--apply")
	if err != nil || !strings.Contains(out, "2 in the journal, 2 at PayMaster") || !strings.Contains(out, "no differences") {
		t.Fatalf("%v:\n%s", err, out)
	}
	// The daemon still takes payments.
	q := h.start("3", 500, false)
	h.sb.Pay(q.PayMasterID)
	h.until(q.ID, plugin.StatePaid, poll, 6)
}

// reconcile --apply --by names the person its fixes are recorded as, as
// mark-paid's --by does; its help says so.
func TestJournalReconcile_ApplyRecordsBy(t *testing.T) {
	f := newActFixture(t)
	p := f.plant("451", 100, plugin.StateNeedsAttention, true)
	f.sb.Pay(p.PayMasterID)
	day := time.Now().Format("2006-01-02")
	out, err := f.run("journal", "reconcile", "--from", day, "--to", day, "--apply", "--by", "ivanov")
	if err != nil {
		t.Fatalf("%v:\n%s", err, out)
	}
	if ev := f.lastEvent(p.ID); ev.Kind != "reconciled_paid" || ev.Actor != "ivanov" {
		t.Errorf("event %+v, want reconciled_paid by ivanov", ev)
	}
	help, _ := f.run("journal", "reconcile", "--help")
	if strings.Contains(help, `actor "reconcile"`) || !strings.Contains(help, "--by") {
		t.Errorf("help:\n%s", help)
	}
}

// TestJournalReconcileAndStuck_JournalZone: reconcile reads its period and
// stuck shows its times in the zone of every other journal command
// (journalZone), not the process's time.Local.
func TestJournalReconcileAndStuck_JournalZone(t *testing.T) {
	old := journalZone
	journalZone = func() *time.Location { return msk }
	t.Cleanup(func() { journalZone = old })
	f := newActFixture(t)
	out, err := f.run("journal", "reconcile", "--from", "2020-01-01", "--to", "2020-01-02")
	if err != nil || !strings.Contains(out, "period 2020-01-01 00:00:00 +03:00 – ") {
		t.Errorf("reconcile does not read its period in the journal's zone: %v\n%s", err, out)
	}
	p := f.plant("501", 100, plugin.StatePaid, false)
	if err := f.db.Outbox().MarkFailed(context.Background(), p.ID+":"+string(plugin.StatePaid), "HTTP 500", time.Now(), true); err != nil {
		t.Fatal(err)
	}
	out, err = f.run("journal", "stuck")
	if want := p.UpdatedAt.In(msk).Format("2006-01-02 15:04:05"); err != nil || !strings.Contains(out, want) {
		t.Errorf("stuck does not show %s (the journal's zone): %v\n%s", want, err, out)
	}
}

// Every journal command that takes a payment's ID says, in the same
// words, what an ID may be: the service finds it the same way for all.
func TestJournalHelp_IDTakesEveryReference(t *testing.T) {
	const says = "ID is our id, an order number or a PayMaster id"
	n := 0
	for _, c := range newJournalCmd().Commands() {
		if !strings.Contains(" "+c.Use+" ", " ID ") {
			continue
		}
		n++
		if !strings.Contains(strings.Join(strings.Fields(c.Long), " "), says) {
			t.Errorf("sbpd journal %s: its help does not say %q:\n%s", c.Name(), says, c.Long)
		}
	}
	if n < 5 { // show, mark-paid, mark-not-paid, resync, mark-entered
		t.Errorf("%d commands take an ID, want at least 5", n)
	}
}

// TestJournalResync_SaysWhetherItCanBeSent: resync queues the
// notification either way; with notify.url unset it says the URL is not
// set (it goes once it is) instead of promising a delivery within a few
// seconds, which no daemon can keep.
func TestJournalResync_SaysWhetherItCanBeSent(t *testing.T) {
	for _, tc := range []struct {
		extra, says, never string
	}{
		{"", "notify.url is not set", "within a few seconds"},
		{"notify:\n  url: https://1c.example/hook\n  secret: " + strings.Repeat("s", 32) + "\n", "sbpd serve sends it to notify.url within a few seconds", "not set"},
	} {
		f := newActFixture(t)
		if cfg, err := os.ReadFile(f.cfgPath); err != nil || os.WriteFile(f.cfgPath, append(cfg, tc.extra...), 0o600) != nil {
			t.Fatal(err)
		}
		p := f.plant("900001", 100, plugin.StatePaid, false)
		out, err := f.run("journal", "resync", p.ID, "--reason", "1C was down")
		if err != nil || !strings.Contains(out, p.ID+":paid") || !strings.Contains(out, tc.says) || strings.Contains(out, tc.never) {
			t.Errorf("notify %q: resync said %q (%v); want %q, never %q", tc.extra, out, err, tc.says, tc.never)
		}
		n, err := f.db.Outbox().Status(context.Background(), p.ID)
		if err != nil || len(n.Deliveries) != 1 || n.Deliveries[0].Status != plugin.DeliveryPending {
			t.Errorf("notify %q: not queued: %+v %v", tc.extra, n, err)
		}
	}
}

package sqlite

import (
	"context"
	"fmt"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/sbpd/sbpd/plugin"
)

// finish moves a created payment to state at at, through the journal as
// the flow does.
func finish(tb testing.TB, j *Journal, p *plugin.Payment, state plugin.State, at time.Time) {
	tb.Helper()
	p.State, p.UpdatedAt = state, at
	mustUpdate(tb, j, p, plugin.Event{Kind: plugin.EvFinal, At: at, Actor: "sbpd"})
}

func deliveries(tb testing.TB, db *DB, id string) []Delivery {
	tb.Helper()
	s, err := db.Outbox().Status(context.Background(), id)
	if err != nil {
		tb.Fatal(err)
	}
	return s.Deliveries
}

func TestOutboxTriggerEnqueuesFinal(t *testing.T) {
	db := mustOpen(t)
	j := db.Journal()
	p := newPayment("P1", "C1", 25990, base)
	mustCreate(t, j, p)
	p.State, p.UpdatedAt = plugin.StateAwaitingPayment, base.Add(time.Second)
	mustUpdate(t, j, p, plugin.Event{Kind: plugin.EvQRReady})
	if ds := deliveries(t, db, "P1"); len(ds) != 0 {
		t.Fatalf("a payment in progress has deliveries: %+v", ds)
	}
	paidAt := base.Add(30 * time.Second)
	finish(t, j, p, plugin.StatePaid, paidAt)
	ds := deliveries(t, db, "P1")
	if len(ds) != 1 {
		t.Fatalf("deliveries after paid: %+v", ds)
	}
	d := ds[0]
	if d.ID != "P1:paid" || d.PaymentID != "P1" || d.State != plugin.StatePaid || d.Status != plugin.DeliveryPending ||
		d.Attempts != 0 || !d.NextAt.Equal(paidAt) || !d.CreatedAt.Equal(paidAt) || !d.DeliveredAt.IsZero() {
		t.Fatalf("delivery %+v", d)
	}
	due, err := db.Outbox().Due(context.Background(), paidAt, 10)
	if err != nil || len(due) != 1 || due[0].Payment.ID != "P1" || due[0].Payment.State != plugin.StatePaid || due[0].Payment.Amount != 25990 {
		t.Fatalf("Due = %+v, %v", due, err)
	}
	if due, _ := db.Outbox().Due(context.Background(), paidAt.Add(-time.Nanosecond), 10); len(due) != 0 {
		t.Fatalf("due before its time: %+v", due)
	}
}

// The delivery is queued by the statement that writes the state: a
// transaction that is rolled back leaves neither.
func TestOutboxTriggerSameTransaction(t *testing.T) {
	db := mustOpen(t)
	j := db.Journal()
	p := newPayment("P1", "C1", 100, base)
	mustCreate(t, j, p)
	ctx := context.Background()
	tx, err := db.write.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	// A technician's resolution written by hand, as any other writer would.
	if _, err := tx.Exec(`UPDATE payments SET state = 'paid', updated_at = ? WHERE id = 'P1'`, base.Add(time.Minute).UnixNano()); err != nil {
		t.Fatal(err)
	}
	var n int
	tx.QueryRow(`SELECT COUNT(*) FROM outbox WHERE delivery_id = 'P1:paid' AND status = 'pending'`).Scan(&n)
	if n != 1 {
		t.Fatalf("inside the transaction: %d deliveries, want 1", n)
	}
	tx.Rollback()
	if c := countRows(t, db, "outbox"); c != 0 {
		t.Fatalf("after rollback: %d deliveries", c)
	}
	if got := mustGet(t, j, "P1"); got.State != plugin.StateCreating {
		t.Fatalf("state %s after rollback", got.State)
	}
}

func TestOutboxNotPaidAndSuperseded(t *testing.T) {
	db := mustOpen(t)
	j := db.Journal()
	p := newPayment("P1", "C1", 100, base)
	mustCreate(t, j, p)
	finish(t, j, p, plugin.StateNotPaid, base.Add(time.Minute))
	// A technician finds it paid after all (mark-paid writes the state directly).
	if _, err := db.write.Exec(`UPDATE payments SET state = 'paid', updated_at = ? WHERE id = 'P1'`, base.Add(time.Hour).UnixNano()); err != nil {
		t.Fatal(err)
	}
	ds := deliveries(t, db, "P1")
	if len(ds) != 2 || ds[0].ID != "P1:not_paid" || ds[0].Status != plugin.DeliveryCancelled || ds[1].ID != "P1:paid" || ds[1].Status != plugin.DeliveryPending {
		t.Fatalf("deliveries %+v", ds)
	}
}

func TestOutboxEnteredByHand(t *testing.T) {
	db := mustOpen(t)
	j := db.Journal()
	ctx := context.Background()
	o := db.Outbox()

	// Marked while it needs attention: the later final state queues nothing.
	a := newPayment("A", "C1", 100, base)
	mustCreate(t, j, a)
	a.State = plugin.StateNeedsAttention
	mustUpdate(t, j, a, plugin.Event{Kind: plugin.EvAttention})
	if err := o.MarkEnteredByHand(ctx, "A", "olga", "typed into 1C, ticket 4417"); err != nil {
		t.Fatal(err)
	}
	finish(t, j, a, plugin.StatePaid, base.Add(time.Hour))
	if ds := deliveries(t, db, "A"); len(ds) != 0 {
		t.Fatalf("entered by hand, then paid: deliveries %+v", ds)
	}

	// Marked with a delivery pending: cancelled, never due, never resynced.
	b := newPayment("B", "C2", 200, base)
	mustCreate(t, j, b)
	finish(t, j, b, plugin.StatePaid, base.Add(time.Minute))
	if err := o.MarkEnteredByHand(ctx, "B", "olga", "entered by hand"); err != nil {
		t.Fatal(err)
	}
	st, err := o.Status(ctx, "B")
	if err != nil {
		t.Fatal(err)
	}
	if !st.EnteredByHand || st.EnteredBy != "olga" || st.EnteredReason != "entered by hand" ||
		len(st.Deliveries) != 1 || st.Deliveries[0].Status != plugin.DeliveryCancelled {
		t.Fatalf("status %+v", st)
	}
	if due, _ := o.Due(ctx, base.Add(48*time.Hour), 10); len(due) != 0 {
		t.Fatalf("due: %+v", due)
	}
	_, err = o.Requeue(ctx, "B", "ivan", "try again")
	if pe := wantCode(t, err, plugin.EConflict); pe.Reason != "entered_by_hand" {
		t.Fatalf("resync of a payment entered by hand: %v", err)
	}
	wantCode(t, o.MarkEnteredByHand(ctx, "B", "olga", "again"), plugin.EConflict)
	wantCode(t, o.MarkEnteredByHand(ctx, "nope", "olga", "x"), plugin.ENotFound)
	if _, err := db.write.Exec(`UPDATE payments SET entered_by_hand = 0 WHERE id = 'B'`); err == nil {
		t.Fatal("entered_by_hand was undone")
	}
	evs := mustEvents(t, j, "B")
	last := evs[len(evs)-1]
	if last.Kind != plugin.EvEnteredByHand || last.Actor != "olga" || last.State != plugin.StatePaid {
		t.Fatalf("last event %+v", last)
	}
}

func TestOutboxDueOrderAndRetry(t *testing.T) {
	db := mustOpen(t)
	j := db.Journal()
	ctx := context.Background()
	o := db.Outbox()
	for i, id := range []string{"P3", "P1", "P2"} {
		p := newPayment(id, "C"+id, 100, base)
		mustCreate(t, j, p)
		finish(t, j, p, plugin.StatePaid, base.Add(time.Duration(i)*time.Second))
	}
	now := base.Add(time.Minute)
	due, err := o.Due(ctx, now, 10)
	if err != nil {
		t.Fatal(err)
	}
	if got := dueIDs(due); got != "P3:paid P1:paid P2:paid" {
		t.Fatalf("Due order %q, want oldest first", got)
	}
	if due, _ := o.Due(ctx, now, 2); dueIDs(due) != "P3:paid P1:paid" {
		t.Fatalf("Due limit 2: %q", dueIDs(due))
	}
	if err := o.MarkFailed(ctx, "P3:paid", "HTTP 500", now.Add(5*time.Second), false); err != nil {
		t.Fatal(err)
	}
	if err := o.MarkDelivered(ctx, "P1:paid", now); err != nil {
		t.Fatal(err)
	}
	if due, _ := o.Due(ctx, now, 10); dueIDs(due) != "P2:paid" {
		t.Fatalf("after a failure and a delivery: %q", dueIDs(due))
	}
	if c, err := o.Counts(ctx); err != nil || len(c) != 2 || c["pending"] != 2 || c["exhausted"] != 0 {
		t.Fatalf("Counts = %v, %v; want 2 pending (one failed once), 0 exhausted, delivered not counted", c, err)
	}
	if next, ok, err := o.NextDue(ctx); err != nil || !ok || !next.Equal(base.Add(2*time.Second)) {
		t.Fatalf("NextDue = %s %v %v", next, ok, err)
	}
	if due, _ := o.Due(ctx, now.Add(5*time.Second), 10); dueIDs(due) != "P2:paid P3:paid" {
		t.Fatalf("after the backoff: %q", dueIDs(due))
	}
	d := deliveries(t, db, "P3")[0]
	if d.Attempts != 1 || d.LastError != "HTTP 500" || d.Status != plugin.DeliveryPending {
		t.Fatalf("P3 %+v", d)
	}
	d = deliveries(t, db, "P1")[0]
	if d.Attempts != 1 || d.Status != plugin.DeliveryDelivered || !d.DeliveredAt.Equal(now) {
		t.Fatalf("P1 %+v", d)
	}
}

func TestOutboxRequeueAndStuck(t *testing.T) {
	db := mustOpen(t)
	db.Now = func() time.Time { return base.Add(72 * time.Hour) }
	j := db.Journal()
	ctx := context.Background()
	o := db.Outbox()
	paid := newPayment("PAID", "C1", 25990, base)
	mustCreate(t, j, paid)
	finish(t, j, paid, plugin.StatePaid, base.Add(time.Minute))
	notPaid := newPayment("NOT", "C2", 100, base)
	mustCreate(t, j, notPaid)
	finish(t, j, notPaid, plugin.StateNotPaid, base.Add(time.Minute))
	for _, id := range []string{"PAID:paid", "NOT:not_paid"} {
		if err := o.MarkFailed(ctx, id, "connection refused", base.Add(time.Hour), true); err != nil {
			t.Fatal(err)
		}
	}
	wantStuck(t, o, 1)
	stuck, err := o.Stuck(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(stuck) != 1 || stuck[0].Payment.ID != "PAID" || stuck[0].Delivery.Status != plugin.DeliveryExhausted ||
		stuck[0].Payment.Message != plugin.TextPaid {
		t.Fatalf("Stuck = %+v, want only the paid one", stuck)
	}

	d, err := o.Requeue(ctx, "PAID", "ivan", "1C is back")
	if err != nil {
		t.Fatal(err)
	}
	if d.ID != "PAID:paid" || d.Status != plugin.DeliveryPending || d.Attempts != 0 || !d.NextAt.Equal(base.Add(time.Minute)) || d.LastError != "" {
		t.Fatalf("requeued %+v", d)
	}
	wantStuck(t, o, 0)
	if n := len(deliveries(t, db, "PAID")); n != 1 {
		t.Fatalf("%d deliveries after resync, want the same one", n)
	}
	evs := mustEvents(t, j, "PAID")
	if last := evs[len(evs)-1]; last.Kind != plugin.EvResync || last.Actor != "ivan" {
		t.Fatalf("last event %+v", last)
	}
	// A delivered one can be sent again too, with the same id.
	if err := o.MarkDelivered(ctx, "PAID:paid", db.Now()); err != nil {
		t.Fatal(err)
	}
	if d, err := o.Requeue(ctx, "PAID", "ivan", ""); err != nil || d.Status != plugin.DeliveryPending || !d.DeliveredAt.IsZero() {
		t.Fatalf("resync of a delivered one: %+v %v", d, err)
	}

	open := newPayment("OPEN", "C3", 100, base)
	mustCreate(t, j, open)
	_, err = o.Requeue(ctx, "OPEN", "ivan", "")
	if pe := wantCode(t, err, plugin.EConflict); pe.Reason != "not_final" {
		t.Fatalf("resync of an unfinished payment: %v", err)
	}
	_, err = o.Requeue(ctx, "nope", "ivan", "")
	wantCode(t, err, plugin.ENotFound)

	// Entered by hand: no longer stuck.
	o.MarkFailed(ctx, "PAID:paid", "HTTP 502", db.Now(), true)
	wantStuck(t, o, 1)
	if err := o.MarkEnteredByHand(ctx, "PAID", "olga", "typed in"); err != nil {
		t.Fatal(err)
	}
	wantStuck(t, o, 0)
}

// wantStuck checks that n payments are stuck, as listed and as counted.
func wantStuck(t *testing.T, o *Outbox, n int) {
	t.Helper()
	stuck, err := o.Stuck(context.Background())
	if err != nil || len(stuck) != n {
		t.Fatalf("Stuck = %+v, %v; want %d", stuck, err, n)
	}
	if got, err := o.StuckCount(context.Background()); err != nil || got != n {
		t.Fatalf("StuckCount = %d, %v; want %d", got, err, n)
	}
}

// StuckCount counts what Stuck lists, whatever else is in the outbox:
// pending, delivered and not-paid deliveries, and a payment entered by
// hand, are not stuck.
func TestOutboxStuckCount(t *testing.T) {
	db := mustOpen(t)
	j, o, ctx := db.Journal(), db.Outbox(), context.Background()
	wantStuck(t, o, 0)
	for i, c := range []struct {
		state   plugin.State
		outcome string // exhausted, delivered, pending, entered
	}{
		{plugin.StatePaid, "exhausted"}, {plugin.StatePaid, "exhausted"}, {plugin.StatePaid, "delivered"},
		{plugin.StatePaid, "pending"}, {plugin.StateNotPaid, "exhausted"}, {plugin.StatePaid, "entered"},
	} {
		id := fmt.Sprintf("P%d", i)
		p := newPayment(id, "C"+id, 100, base)
		mustCreate(t, j, p)
		finish(t, j, p, c.state, base.Add(time.Minute))
		did := id + ":" + string(c.state)
		switch c.outcome {
		case "exhausted", "entered":
			if err := o.MarkFailed(ctx, did, "HTTP 500", base.Add(time.Hour), true); err != nil {
				t.Fatal(err)
			}
		case "delivered":
			if err := o.MarkDelivered(ctx, did, base.Add(time.Hour)); err != nil {
				t.Fatal(err)
			}
		}
		if c.outcome == "entered" {
			if err := o.MarkEnteredByHand(ctx, id, "olga", "typed in"); err != nil {
				t.Fatal(err)
			}
		}
	}
	wantStuck(t, o, 2)
}

func dueIDs(ds []DueDelivery) string {
	s := ""
	for i, d := range ds {
		if i > 0 {
			s += " "
		}
		s += d.ID
	}
	return s
}

// TestOutboxStatusesArePlugins: the outbox's migration (its table's CHECK,
// the triggers) spells the delivery statuses plugin defines and the back
// office reads, each of them; a status only SQL knows would show as a raw
// word in the back office. The queries bind plugin's constants.
func TestOutboxStatusesArePlugins(t *testing.T) {
	mig, err := os.ReadFile("migrations/0003_outbox.sql")
	if err != nil {
		t.Fatal(err)
	}
	check := regexp.MustCompile(`CHECK \(status IN \(([^)]*)\)\)`).FindSubmatch(mig)
	if check == nil {
		t.Fatal("0003_outbox.sql has no CHECK (status IN (...))")
	}
	var inSQL []string
	for _, w := range strings.Split(string(check[1]), ",") {
		inSQL = append(inSQL, strings.Trim(strings.TrimSpace(w), "'"))
	}
	want := []string{plugin.DeliveryPending, plugin.DeliveryDelivered, plugin.DeliveryExhausted, plugin.DeliveryCancelled}
	if !slices.Equal(inSQL, want) {
		t.Errorf("the outbox table allows %q, plugin defines %q", inSQL, want)
	}
	// The table as migrated takes each of plugin's statuses and no other
	// word: whatever a later migration does, the schema in force agrees.
	db := mustOpen(t)
	p := newPayment("P1", "C1", 25990, base)
	mustCreate(t, db.Journal(), p)
	finish(t, db.Journal(), p, plugin.StatePaid, base.Add(time.Second))
	for _, st := range want {
		if _, err := db.write.Exec(`UPDATE outbox SET status = ? WHERE payment_id = 'P1'`, st); err != nil {
			t.Errorf("the outbox table refuses plugin's status %q: %v", st, err)
		}
	}
	for _, st := range []string{"canceled", "Pending", "", "failed"} {
		if _, err := db.write.Exec(`UPDATE outbox SET status = ? WHERE payment_id = 'P1'`, st); err == nil {
			t.Errorf("the outbox table takes status %q, which plugin does not define", st)
		}
	}
	// The triggers set statuses too; the Go code binds plugin's constants.
	for _, m := range regexp.MustCompile(`status\s*(?:=|IN \()\s*'(\w+)'`).FindAllSubmatch(mig, -1) {
		if !slices.Contains(want, string(m[1])) {
			t.Errorf("the outbox's triggers spell a status %q plugin does not define", m[1])
		}
	}
}

// TestOutboxDueNow: pending deliveries waiting out a backoff become due
// now (a fixed notify.url); delivered ones and those due already stay.
func TestOutboxDueNow(t *testing.T) {
	db := mustOpen(t)
	j, o := db.Journal(), db.Outbox()
	for i, id := range []string{"P1", "P2", "P3"} {
		p := newPayment(id, "C"+id, 100, base)
		mustCreate(t, j, p)
		finish(t, j, p, plugin.StatePaid, base.Add(time.Duration(i+1)*time.Second))
	}
	ctx := context.Background()
	later := base.Add(time.Hour)
	if err := o.MarkFailed(ctx, "P1:paid", "HTTP 500", later, false); err != nil {
		t.Fatal(err)
	}
	if err := o.MarkDelivered(ctx, "P2:paid", base.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	now := base.Add(2 * time.Minute)
	n, err := o.DueNow(ctx, now)
	if err != nil || n != 1 {
		t.Fatalf("DueNow = %d, %v; want the one waiting", n, err)
	}
	due, err := o.Due(ctx, now, 10)
	if err != nil || len(due) != 2 || due[0].ID != "P1:paid" && due[1].ID != "P1:paid" {
		t.Fatalf("due after DueNow: %+v %v", due, err)
	}
	if d := deliveries(t, db, "P1")[0]; d.Attempts != 1 || !d.NextAt.Equal(now) {
		t.Fatalf("P1 after DueNow: %+v (attempts kept, due now)", d)
	}
}

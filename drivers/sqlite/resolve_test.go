package sqlite

import (
	"context"
	"sync"
	"testing"

	"github.com/sbpd/sbpd/plugin"
)

var fromUndecided = []plugin.State{plugin.StateNeedsAttention, plugin.StateNotPaid}

func attentionPayment(t *testing.T, j *Journal, id string) *plugin.Payment {
	t.Helper()
	p := newPayment(id, "c-"+id, 25990, base)
	mustCreate(t, j, p)
	next := *p
	next.State, next.Reason, next.PayMasterID = plugin.StateNeedsAttention, plugin.ReasonCancelFailed, "pm-"+id
	next.Error = &plugin.APIError{Code: "cancel_failed", Message: plugin.TextNeedsAttention}
	mustUpdate(t, j, &next, plugin.Event{Kind: plugin.EvAttention, At: base})
	return &next
}

func markPaid(p *plugin.Payment) {
	p.State, p.Reason, p.Error = plugin.StatePaid, plugin.ReasonManual, nil
	p.PayMasterStatus = string(plugin.RemoteSettled)
}

func TestResolve_WritesRowAndEvent(t *testing.T) {
	j := mustOpen(t).Journal()
	attentionPayment(t, j, "p1")
	got, err := j.Resolve(context.Background(), "p1", fromUndecided, markPaid,
		plugin.Event{Kind: "manual_paid", Actor: "ivanov", Detail: "bank confirmed by phone"})
	if err != nil {
		t.Fatal(err)
	}
	if got.State != plugin.StatePaid || got.Reason != plugin.ReasonManual {
		t.Fatalf("returned %+v", got)
	}
	rec := mustGet(t, j, "p1")
	if rec.State != plugin.StatePaid || rec.Reason != plugin.ReasonManual || rec.Error != nil ||
		rec.PayMasterStatus != "Settled" || rec.PayMasterID != "pm-p1" || rec.Amount != 25990 {
		t.Fatalf("recorded %+v", rec)
	}
	if !rec.CreatedAt.Equal(base) || rec.UpdatedAt.Before(base) {
		t.Errorf("times: created %s updated %s", rec.CreatedAt, rec.UpdatedAt)
	}
	evs := mustEvents(t, j, "p1")
	last := evs[len(evs)-1]
	if last.Kind != "manual_paid" || last.Actor != "ivanov" || last.Detail != "bank confirmed by phone" || last.State != plugin.StatePaid {
		t.Fatalf("last event %+v", last)
	}
	// The flow's Update may no longer touch it.
	stale := *rec
	stale.State = plugin.StateNotPaid
	if err := j.Update(context.Background(), &stale, plugin.Event{Kind: plugin.EvFinal}); plugin.ErrorReason(err) != "payment_final" {
		t.Fatalf("Update after Resolve: %v", err)
	}
}

func TestResolve_RefusesOtherState(t *testing.T) {
	db := mustOpen(t)
	j := db.Journal()
	p := newPayment("p1", "c1", 100, base)
	mustCreate(t, j, p) // creating: the daemon is still watching it
	called := false
	_, err := j.Resolve(context.Background(), "p1", fromUndecided, func(p *plugin.Payment) { called = true; markPaid(p) },
		plugin.Event{Kind: "manual_paid", Actor: "x"})
	pe := wantCode(t, err, plugin.EConflict)
	if pe.Reason != "state_changed" {
		t.Fatalf("reason %q", pe.Reason)
	}
	if called {
		t.Error("change was applied to a payment in another state")
	}
	if got := mustGet(t, j, "p1"); got.State != plugin.StateCreating {
		t.Fatalf("state %s", got.State)
	}
	if n := countRows(t, db, "events"); n != 1 {
		t.Fatalf("events = %d, want 1", n)
	}
}

func TestResolve_Unknown(t *testing.T) {
	j := mustOpen(t).Journal()
	_, err := j.Resolve(context.Background(), "nope", fromUndecided, markPaid, plugin.Event{Kind: "manual_paid"})
	wantCode(t, err, plugin.ENotFound)
}

func TestResolve_NeverChangesAmount(t *testing.T) {
	db := mustOpen(t)
	j := db.Journal()
	attentionPayment(t, j, "p1")
	_, err := j.Resolve(context.Background(), "p1", fromUndecided, func(p *plugin.Payment) { markPaid(p); p.Amount = 1 },
		plugin.Event{Kind: "manual_paid"})
	if pe := wantCode(t, err, plugin.EConflict); pe.Reason != "immutable_field" {
		t.Fatalf("reason %q", pe.Reason)
	}
	if got := mustGet(t, j, "p1"); got.State != plugin.StateNeedsAttention || got.Amount != 25990 {
		t.Fatalf("%+v", got)
	}
}

// TestResolve_IsAtomic makes the event insert fail after the row update:
// neither may be stored.
func TestResolve_IsAtomic(t *testing.T) {
	db := mustOpen(t)
	j := db.Journal()
	attentionPayment(t, j, "p1")
	if _, err := db.write.Exec(`CREATE TEMP TRIGGER boom BEFORE INSERT ON events
		WHEN NEW.kind = 'boom' BEGIN SELECT RAISE(ABORT, 'boom'); END`); err != nil {
		t.Fatal(err)
	}
	before := countRows(t, db, "events")
	if _, err := j.Resolve(context.Background(), "p1", fromUndecided, markPaid, plugin.Event{Kind: "boom"}); err == nil {
		t.Fatal("Resolve succeeded although the event could not be stored")
	}
	if got := mustGet(t, j, "p1"); got.State != plugin.StateNeedsAttention {
		t.Fatalf("state %s after the failed resolve", got.State)
	}
	if n := countRows(t, db, "events"); n != before {
		t.Fatalf("events %d, want %d", n, before)
	}
}

// TestResolve_OneWinner races two people deciding the same payment: one
// decision is written, the other is refused as state_changed.
func TestResolve_OneWinner(t *testing.T) {
	db := mustOpen(t)
	j := db.Journal()
	attentionPayment(t, j, "p1")
	var wg sync.WaitGroup
	errs := make([]error, 2)
	for i := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, errs[i] = j.Resolve(context.Background(), "p1", []plugin.State{plugin.StateNeedsAttention}, markPaid,
				plugin.Event{Kind: "manual_paid", Actor: "p"})
		}()
	}
	wg.Wait()
	ok := 0
	for _, err := range errs {
		switch {
		case err == nil:
			ok++
		case plugin.ErrorReason(err) != "state_changed":
			t.Fatalf("unexpected error %v", err)
		}
	}
	if ok != 1 {
		t.Fatalf("%d decisions written, want 1 (%v)", ok, errs)
	}
	n := 0
	for _, ev := range mustEvents(t, j, "p1") {
		if ev.Kind == "manual_paid" {
			n++
		}
	}
	if n != 1 {
		t.Fatalf("%d manual_paid events", n)
	}
}

package sqlite

import (
	"context"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sbpd/sbpd/plugin"
)

// derived are the Payment fields Decorate computes; the journal does not
// store them.
var derived = map[string]bool{"StateCode": true, "Message": true, "Dialog": true}

// assertSamePayment compares every stored field of got and want. Times must
// be equal to the nanosecond and come back in UTC.
func assertSamePayment(tb testing.TB, got, want *plugin.Payment) {
	tb.Helper()
	gv, wv := reflect.ValueOf(got).Elem(), reflect.ValueOf(want).Elem()
	for i := range gv.NumField() {
		name := gv.Type().Field(i).Name
		if derived[name] {
			continue
		}
		g, w := gv.Field(i).Interface(), wv.Field(i).Interface()
		if gt, ok := g.(time.Time); ok {
			wt := w.(time.Time)
			if !gt.Equal(wt) {
				tb.Errorf("%s = %s, want %s", name, gt.Format(time.RFC3339Nano), wt.Format(time.RFC3339Nano))
			}
			if !gt.IsZero() && gt.Location() != time.UTC {
				tb.Errorf("%s is in %s, want UTC", name, gt.Location())
			}
			continue
		}
		if !reflect.DeepEqual(g, w) {
			tb.Errorf("%s = %#v, want %#v", name, g, w)
		}
	}
}

// fullPayment has every stored field set to something other than its zero
// value.
func fullPayment() *plugin.Payment {
	return &plugin.Payment{
		ID:              "01JPAY000000000000000000001",
		CheckID:         "check-42",
		OrderNo:         "T7-check-42-1",
		Amount:          25990,
		Mixed:           true,
		Mode:            plugin.ModeSticker,
		State:           plugin.StateNeedsAttention,
		PayMasterID:     "pm-100500",
		QRPayload:       "https://qr.nspk.ru/AD100004BAL7227F9BNP6KNE007J9B3K?type=02&bank=100000000007&sum=25990&cur=RUB&crc=AB75",
		ExpiresAt:       base.Add(5*time.Minute + 1),
		Error:           &plugin.APIError{Code: "cancel_failed", Message: "Оплата не завершена. Обратитесь к администратору"},
		CreatedAt:       base,
		UpdatedAt:       base.Add(time.Minute + 7),
		IdempotencyKey:  "idem-7f3c",
		PayMasterStatus: "Authorized",
		ResultCode:      "CancelledByUser",
		Reason:          plugin.ReasonCancelFailed,
		CancelRequested: true,
		CancelSent:      true,
		LateSettle:      true,
		Offline:         true,
	}
}

func TestJournal_StoresEveryPaymentField(t *testing.T) {
	want := fullPayment()
	// A field added to plugin.Payment must be set above and stored, or be
	// listed as derived.
	v := reflect.ValueOf(want).Elem()
	for i := range v.NumField() {
		if name := v.Type().Field(i).Name; !derived[name] && v.Field(i).IsZero() {
			t.Errorf("fullPayment leaves %s zero: does the journal store it? (add a column, or list it as derived)", name)
		}
	}

	for _, via := range []string{"create", "update"} {
		t.Run(via, func(t *testing.T) {
			j := mustOpen(t).Journal()
			p := fullPayment()
			if via == "update" {
				first := newPayment(p.ID, p.CheckID, p.Amount, p.CreatedAt)
				first.OrderNo, first.Mixed, first.IdempotencyKey = p.OrderNo, p.Mixed, p.IdempotencyKey
				mustCreate(t, j, first)
				mustUpdate(t, j, p, plugin.Event{Kind: plugin.EvAttention, At: p.UpdatedAt})
			} else {
				mustCreate(t, j, p)
			}
			got := mustGet(t, j, p.ID)
			assertSamePayment(t, got, want)
			if got.StateCode != 0 || got.Message != "" || got.Dialog != nil {
				t.Errorf("derived fields filled (%d %q %v): Decorate is the caller's job", got.StateCode, got.Message, got.Dialog)
			}
		})
	}
}

func TestJournal_RoundTrip(t *testing.T) {
	tests := []struct {
		name string
		p    func() *plugin.Payment
	}{
		{"fresh attempt", func() *plugin.Payment { return newPayment("p1", "c1", 1, base) }},
		{"no expiry no error", func() *plugin.Payment {
			p := newPayment("p1", "c1", plugin.MaxAmount, base)
			p.ExpiresAt = time.Time{}
			return p
		}},
		{"error with code only", func() *plugin.Payment {
			p := newPayment("p1", "c1", 100, base)
			p.State, p.Reason = plugin.StateNeedsAttention, plugin.ReasonTechnical
			p.Error = &plugin.APIError{Code: "technical"}
			return p
		}},
		{"unicode and quotes", func() *plugin.Payment {
			p := newPayment("p'1\"", "чек №5 'x'", 100, base)
			p.QRPayload = "line1\nline2\x00tail"
			return p
		}},
		{"utc and local times", func() *plugin.Payment {
			p := newPayment("p1", "c1", 100, time.Date(2262, 4, 11, 0, 0, 0, 1, time.UTC))
			p.ExpiresAt = time.Date(1970, 1, 1, 0, 0, 0, 1, time.Local)
			p.UpdatedAt = p.CreatedAt.Add(time.Nanosecond)
			return p
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			j := mustOpen(t).Journal()
			p := tt.p()
			mustCreate(t, j, p)
			assertSamePayment(t, mustGet(t, j, p.ID), tt.p())

			// Change every mutable field.
			p.Mode = plugin.ModePrint
			p.State = plugin.StateNeedsAttention
			p.PayMasterID = "pm-" + p.ID
			p.PayMasterStatus = "Settled"
			p.ResultCode = "Success"
			p.Reason = plugin.ReasonManual
			p.QRPayload = "https://qr.nspk.ru/x"
			p.ExpiresAt = p.CreatedAt.Add(time.Hour + 3)
			p.CancelRequested, p.CancelSent, p.LateSettle, p.Offline = true, true, true, true
			p.Error = &plugin.APIError{Code: "c", Message: "m"}
			p.UpdatedAt = p.CreatedAt.Add(2*time.Second + 9)
			mustUpdate(t, j, p, plugin.Event{Kind: plugin.EvFinal, At: p.UpdatedAt})
			assertSamePayment(t, mustGet(t, j, p.ID), p)

			// And back to empty.
			p.PayMasterID, p.PayMasterStatus, p.ResultCode, p.Reason, p.QRPayload = "", "", "", "", ""
			p.ExpiresAt, p.Error = time.Time{}, nil
			p.CancelRequested, p.CancelSent, p.LateSettle, p.Offline = false, false, false, false
			mustUpdate(t, j, p, plugin.Event{Kind: plugin.EvRemoteStatus, At: p.UpdatedAt})
			assertSamePayment(t, mustGet(t, j, p.ID), p)
		})
	}
}

func TestJournal_FinalIsNeverUpdated(t *testing.T) {
	j := mustOpen(t).Journal()
	p := newPayment("p1", "c1", 100, base)
	mustCreate(t, j, p)
	p.State = plugin.StatePaid
	mustUpdate(t, j, p, plugin.Event{Kind: plugin.EvFinal, At: base})
	p.State = plugin.StateNeedsAttention
	err := j.Update(context.Background(), p, plugin.Event{Kind: plugin.EvAttention, At: base})
	if plugin.ErrorCode(err) != plugin.EConflict || plugin.ErrorReason(err) != "payment_final" {
		t.Fatalf("update of a paid payment: %v", err)
	}
	if got := mustGet(t, j, "p1"); got.State != plugin.StatePaid {
		t.Fatalf("state %s", got.State)
	}
}

func TestJournal_AmountIsIntegerKopecks(t *testing.T) {
	db := mustOpen(t)
	mustCreate(t, db.Journal(), newPayment("p1", "c1", 25990, base))
	var typ string
	var amount int64
	if err := db.read.QueryRow("SELECT typeof(amount), amount FROM payments WHERE id = 'p1'").Scan(&typ, &amount); err != nil {
		t.Fatal(err)
	}
	if typ != "integer" || amount != 25990 {
		t.Errorf("amount stored as %s %d, want integer 25990", typ, amount)
	}
	_, err := db.write.Exec(`INSERT INTO payments (id, check_id, order_no, amount, mode, state, created_at, updated_at)
		VALUES ('p2', 'c', 'o2', 259.9, 1, 'creating', 1, 1)`)
	if err == nil {
		t.Error("a REAL amount was accepted")
	}
}

func TestJournal_CreateDefaults(t *testing.T) {
	db := mustOpen(t)
	now := time.Date(2025, 1, 2, 3, 4, 5, 6, time.UTC)
	db.Now = func() time.Time { return now }
	j := db.Journal()

	p := newPayment("p1", "c1", 100, time.Time{})
	p.CreatedAt, p.UpdatedAt, p.ExpiresAt = time.Time{}, time.Time{}, time.Time{}
	if err := j.Create(context.Background(), p, plugin.Event{Kind: plugin.EvCreated, PaymentID: "ignored"}); err != nil {
		t.Fatal(err)
	}
	if !p.CreatedAt.Equal(now) || !p.UpdatedAt.Equal(now) {
		t.Errorf("p.CreatedAt, p.UpdatedAt = %s, %s, want both %s", p.CreatedAt, p.UpdatedAt, now)
	}
	got := mustGet(t, j, "p1")
	if !got.CreatedAt.Equal(now) || !got.UpdatedAt.Equal(now) || !got.ExpiresAt.IsZero() {
		t.Errorf("stored times %s %s %s", got.CreatedAt, got.UpdatedAt, got.ExpiresAt)
	}

	later := now.Add(time.Second)
	db.Now = func() time.Time { return later }
	p.State, p.UpdatedAt = plugin.StateAwaitingPayment, time.Time{}
	mustUpdate(t, j, p, plugin.Event{Kind: plugin.EvQRReady})
	if got := mustGet(t, j, "p1"); !got.UpdatedAt.Equal(later) {
		t.Errorf("UpdatedAt after Update with zero = %s, want the event time %s", got.UpdatedAt, later)
	}

	evs := mustEvents(t, j, "p1")
	want := []plugin.Event{
		{Seq: evs[0].Seq, PaymentID: "p1", At: now, Kind: plugin.EvCreated, State: plugin.StateCreating},
		{Seq: evs[1].Seq, PaymentID: "p1", At: later, Kind: plugin.EvQRReady, State: plugin.StateAwaitingPayment},
	}
	if !reflect.DeepEqual(evs, want) {
		t.Errorf("events =\n%+v\nwant\n%+v", evs, want)
	}
}

func TestJournal_CreateConflicts(t *testing.T) {
	tests := []struct {
		name       string
		p          func() *plugin.Payment
		wantReason string
		wantText   string
	}{
		{"same id", func() *plugin.Payment {
			p := newPayment("p1", "c2", 200, base)
			p.OrderNo = "other-order"
			return p
		}, "duplicate_id", "payment p1 is already recorded"},
		{"same order_no", func() *plugin.Payment {
			p := newPayment("p2", "c2", 200, base)
			p.OrderNo = "T1-p1"
			return p
		}, "duplicate_order_no", "order_no T1-p1 is already recorded"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			db := mustOpen(t)
			j := db.Journal()
			mustCreate(t, j, newPayment("p1", "c1", 100, base))
			p := tt.p()
			err := j.Create(context.Background(), p, created(p))
			pe := wantCode(t, err, plugin.EConflict)
			if pe.Reason != tt.wantReason || !strings.Contains(err.Error(), tt.wantText) {
				t.Errorf("err = %q (reason %q), want reason %q and %q", err, pe.Reason, tt.wantReason, tt.wantText)
			}
			if n := countRows(t, db, "payments"); n != 1 {
				t.Errorf("payments = %d, want 1", n)
			}
			if n := countRows(t, db, "events"); n != 1 {
				t.Errorf("events = %d, want 1: the refused create must leave no event", n)
			}
			assertSamePayment(t, mustGet(t, j, "p1"), newPayment("p1", "c1", 100, base))
		})
	}
}

func TestJournal_CreateInvalid(t *testing.T) {
	ev := plugin.Event{Kind: plugin.EvCreated}
	tests := []struct {
		name string
		p    func() *plugin.Payment
		ev   plugin.Event
		want string
	}{
		{"nil payment", func() *plugin.Payment { return nil }, ev, "nil payment"},
		{"empty id", func() *plugin.Payment { return newPayment("", "c", 1, base) }, ev, "id is empty"},
		{"empty order_no", func() *plugin.Payment {
			p := newPayment("p1", "c", 1, base)
			p.OrderNo = ""
			return p
		}, ev, "order_no is empty"},
		{"unknown state", func() *plugin.Payment {
			p := newPayment("p1", "c", 1, base)
			p.State = "done"
			return p
		}, ev, `unknown state "done"`},
		{"empty event kind", func() *plugin.Payment { return newPayment("p1", "c", 1, base) }, plugin.Event{}, "event kind is empty"},
		{"unknown event state", func() *plugin.Payment { return newPayment("p1", "c", 1, base) },
			plugin.Event{Kind: plugin.EvCreated, State: "weird"}, `unknown state "weird"`},
		{"time out of range", func() *plugin.Payment {
			p := newPayment("p1", "c", 1, base)
			p.ExpiresAt = time.Date(3000, 1, 1, 0, 0, 0, 0, time.UTC)
			return p
		}, ev, "expires_at"},
		{"event time out of range", func() *plugin.Payment { return newPayment("p1", "c", 1, base) },
			plugin.Event{Kind: plugin.EvCreated, At: time.Date(1500, 1, 1, 0, 0, 0, 0, time.UTC)}, "outside"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			db := mustOpen(t)
			err := db.Journal().Create(context.Background(), tt.p(), tt.ev)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want %q", err, tt.want)
			}
			if n := countRows(t, db, "payments") + countRows(t, db, "events"); n != 0 {
				t.Errorf("%d rows written by a refused create", n)
			}
		})
	}
}

func TestJournal_UpdateUnknown(t *testing.T) {
	db := mustOpen(t)
	j := db.Journal()
	mustCreate(t, j, newPayment("p1", "c1", 100, base))
	err := j.Update(context.Background(), newPayment("nope", "c1", 100, base), plugin.Event{Kind: plugin.EvFinal})
	pe := wantCode(t, err, plugin.ENotFound)
	if pe.Message != "payment nope not found" {
		t.Errorf("message = %q", pe.Message)
	}
	if n := countRows(t, db, "events"); n != 1 {
		t.Errorf("events = %d, want 1", n)
	}
}

func TestJournal_UpdateRequestFieldsImmutable(t *testing.T) {
	tests := []struct {
		name   string
		change func(*plugin.Payment)
		want   string
	}{
		{"amount", func(p *plugin.Payment) { p.Amount = 1 }, "amount 25990 -> 1"},
		{"check_id", func(p *plugin.Payment) { p.CheckID = "c2" }, `check_id "c1" -> "c2"`},
		{"order_no", func(p *plugin.Payment) { p.OrderNo = "o2" }, `order_no "T1-p1" -> "o2"`},
		{"mixed", func(p *plugin.Payment) { p.Mixed = true }, "mixed false -> true"},
		{"idempotency key", func(p *plugin.Payment) { p.IdempotencyKey = "other" }, "idempotency key"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			db := mustOpen(t)
			j := db.Journal()
			orig := newPayment("p1", "c1", 25990, base)
			mustCreate(t, j, orig)
			p := newPayment("p1", "c1", 25990, base)
			p.State = plugin.StatePaid
			tt.change(p)
			err := j.Update(context.Background(), p, plugin.Event{Kind: plugin.EvFinal})
			wantCode(t, err, plugin.EConflict)
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %q, want %q", err, tt.want)
			}
			assertSamePayment(t, mustGet(t, j, "p1"), orig)
			if n := countRows(t, db, "events"); n != 1 {
				t.Errorf("events = %d, want 1", n)
			}
		})
	}
}

func TestJournal_UpdateKeepsCreatedAt(t *testing.T) {
	j := mustOpen(t).Journal()
	p := newPayment("p1", "c1", 100, base)
	mustCreate(t, j, p)
	p.CreatedAt = base.Add(time.Hour)
	mustUpdate(t, j, p, plugin.Event{Kind: plugin.EvRemoteStatus})
	if got := mustGet(t, j, "p1"); !got.CreatedAt.Equal(base) {
		t.Errorf("CreatedAt = %s, want the recorded %s", got.CreatedAt, base)
	}
}

func TestJournal_UpdateIsAtomic(t *testing.T) {
	db := mustOpen(t)
	j := db.Journal()
	p := newPayment("p1", "c1", 100, base)
	mustCreate(t, j, p)

	// The row update succeeds inside the transaction, the event insert
	// fails: neither may be stored.
	next := *p
	next.State = plugin.StatePaid
	err := j.Update(context.Background(), &next, plugin.Event{Kind: plugin.EvFinal, At: time.Date(3000, 1, 1, 0, 0, 0, 0, time.UTC)})
	if err == nil {
		t.Fatal("Update with an unstorable event time succeeded")
	}
	if got := mustGet(t, j, "p1"); got.State != plugin.StateCreating {
		t.Errorf("state = %s after the failed update, want creating", got.State)
	}
	if n := countRows(t, db, "events"); n != 1 {
		t.Errorf("events = %d, want 1", n)
	}
}

func TestJournal_GetNotFound(t *testing.T) {
	j := mustOpen(t).Journal()
	for _, id := range []string{"nope", "", "' OR 1=1 --"} {
		_, err := j.Get(context.Background(), id)
		pe := wantCode(t, err, plugin.ENotFound)
		if want := "payment " + id + " not found"; pe.Message != want || err.Error() != want {
			t.Errorf("Get(%q): message %q, error %q, want %q", id, pe.Message, err, want)
		}
	}
	// An id of any length (the till API's path) is quoted back clipped.
	long := strings.Repeat("A", 30000)
	_, err := j.Get(context.Background(), long)
	if want := "payment " + plugin.Clip(long) + " not found"; plugin.ErrorMessage(err) != want {
		t.Errorf("Get(30 000 bytes): message of %d bytes, want %q", len(plugin.ErrorMessage(err)), want)
	}
}

func TestJournal_Events(t *testing.T) {
	j := mustOpen(t).Journal()
	p := newPayment("p1", "c1", 100, base)
	q := newPayment("q1", "c2", 100, base)
	mustCreate(t, j, p)
	mustCreate(t, j, q)

	steps := []struct {
		state  plugin.State
		kind   string
		actor  string
		detail string
	}{
		{plugin.StateAwaitingPayment, plugin.EvRemoteCreated, "sbpd", "pm-1"},
		{plugin.StateAwaitingPayment, plugin.EvQRReady, "sbpd", ""},
		{plugin.StateStatusUnknown, plugin.EvStatusTimeout, "sbpd", "no final status in 120s"},
		{plugin.StateAwaitingPayment, plugin.EvRetry, "shopper", ""},
		{plugin.StateCanceling, plugin.EvCancelRequested, "shopper", ""},
		{plugin.StateCanceling, plugin.EvCancelSent, "sbpd", ""},
		{plugin.StatePaid, plugin.EvFinal, "sbpd", "late Settled after cancel"},
	}
	want := []plugin.Event{{PaymentID: "p1", At: base, Kind: plugin.EvCreated, State: plugin.StateCreating, Actor: "till"}}
	for i, s := range steps {
		at := base.Add(time.Duration(i+1)*time.Second + time.Duration(i))
		p.State, p.UpdatedAt = s.state, at
		ev := plugin.Event{At: at, Kind: s.kind, Actor: s.actor, Detail: s.detail}
		mustUpdate(t, j, p, ev)
		ev.PaymentID, ev.State = "p1", s.state
		want = append(want, ev)
		// Interleave another payment's history.
		mustUpdate(t, j, q, plugin.Event{Kind: plugin.EvRemoteStatus, At: at})
	}

	got := mustEvents(t, j, "p1")
	if len(got) != len(want) {
		t.Fatalf("got %d events, want %d: %+v", len(got), len(want), got)
	}
	for i := range got {
		if i > 0 && got[i].Seq <= got[i-1].Seq {
			t.Errorf("event %d seq %d not after %d", i, got[i].Seq, got[i-1].Seq)
		}
		if got[i].At.Location() != time.UTC {
			t.Errorf("event %d at %s, want UTC", i, got[i].At.Location())
		}
		g, w := got[i], want[i]
		g.Seq, g.At, w.At = 0, time.Time{}, time.Time{}
		if g != w || !got[i].At.Equal(want[i].At) {
			t.Errorf("event %d = %+v, want %+v", i, got[i], want[i])
		}
	}
	if n := len(mustEvents(t, j, "q1")); n != 1+len(steps) {
		t.Errorf("q1 has %d events, want %d", n, 1+len(steps))
	}

	_, err := j.Events(context.Background(), "nope")
	wantCode(t, err, plugin.ENotFound)
}

// createAt creates a payment with the given state and creation time.
func createAt(tb testing.TB, j *Journal, id, checkID string, state plugin.State, at time.Time) {
	tb.Helper()
	p := newPayment(id, checkID, 100, at)
	p.State = state
	mustCreate(tb, j, p)
}

func TestJournal_Unfinished(t *testing.T) {
	j := mustOpen(t).Journal()
	if got, err := j.Unfinished(context.Background()); err != nil || got == nil || len(got) != 0 {
		t.Fatalf("Unfinished on an empty journal = %v, %v; want an empty slice", got, err)
	}
	// Created out of order; same creation time breaks ties by insertion.
	createAt(t, j, "paid", "c1", plugin.StatePaid, base)
	createAt(t, j, "c", "c2", plugin.StateStatusUnknown, base.Add(3*time.Second))
	createAt(t, j, "a", "c3", plugin.StateCreating, base.Add(time.Second))
	createAt(t, j, "notpaid", "c4", plugin.StateNotPaid, base.Add(2*time.Second))
	createAt(t, j, "e", "c5", plugin.StateNeedsAttention, base.Add(5*time.Second))
	createAt(t, j, "d2", "c6", plugin.StateCanceling, base.Add(4*time.Second))
	createAt(t, j, "d1", "c7", plugin.StateAwaitingPayment, base.Add(4*time.Second))
	createAt(t, j, "b", "c8", plugin.StateAwaitingPayment, base.Add(time.Second+1))

	got, err := j.Unfinished(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"a", "b", "c", "d2", "d1", "e"}; !slices.Equal(ids(got), want) {
		t.Errorf("Unfinished = %v, want %v", ids(got), want)
	}

	// Finishing one takes it off the list.
	p := mustGet(t, j, "c")
	p.State = plugin.StateNotPaid
	mustUpdate(t, j, p, plugin.Event{Kind: plugin.EvFinal})
	got, _ = j.Unfinished(context.Background())
	if want := []string{"a", "b", "d2", "d1", "e"}; !slices.Equal(ids(got), want) {
		t.Errorf("Unfinished after finishing c = %v, want %v", ids(got), want)
	}
}

func TestJournal_ByCheck(t *testing.T) {
	j := mustOpen(t).Journal()
	createAt(t, j, "x3", "c1", plugin.StateCreating, base.Add(3*time.Second))
	createAt(t, j, "y1", "c2", plugin.StatePaid, base)
	createAt(t, j, "x1", "c1", plugin.StateNotPaid, base.Add(time.Second))
	createAt(t, j, "x2", "c1", plugin.StateNotPaid, base.Add(2*time.Second))
	createAt(t, j, "z1", "C1", plugin.StatePaid, base)

	tests := []struct {
		check string
		want  []string
	}{
		{"c1", []string{"x1", "x2", "x3"}},
		{"c2", []string{"y1"}},
		{"C1", []string{"z1"}},
		{"c", []string{}},
		{"", []string{}},
		{"' OR 1=1 --", []string{}},
	}
	for _, tt := range tests {
		t.Run(tt.check, func(t *testing.T) {
			got, err := j.ByCheck(context.Background(), tt.check)
			if err != nil {
				t.Fatal(err)
			}
			if got == nil || !slices.Equal(ids(got), tt.want) {
				t.Errorf("ByCheck(%q) = %v, want %v", tt.check, ids(got), tt.want)
			}
		})
	}
}

func TestJournal_AppendOnlyInSchema(t *testing.T) {
	// Even the sqlite3 shell cannot rewrite history.
	tests := []struct {
		stmt    string
		refused bool
	}{
		{"DELETE FROM payments WHERE id = 'p1'", true},
		{"DELETE FROM events", true},
		{"UPDATE events SET kind = 'x'", true},
		{"UPDATE payments SET amount = 1 WHERE id = 'p1'", true},
		{"UPDATE payments SET order_no = 'x' WHERE id = 'p1'", true},
		{"UPDATE payments SET check_id = 'x' WHERE id = 'p1'", true},
		{"UPDATE payments SET idempotency_key = 'x' WHERE id = 'p1'", true},
		{"UPDATE payments SET created_at = 1 WHERE id = 'p1'", true},
		{"UPDATE payments SET id = 'p9' WHERE id = 'p1'", true},
		{"INSERT INTO events (payment_id, at, kind, state) VALUES ('ghost', 1, 'x', 'paid')", true}, // foreign key
		{"UPDATE payments SET amount = amount WHERE id = 'p1'", false},
		{"UPDATE payments SET state = 'needs_attention', reason = 'manual' WHERE id = 'p1'", false},
	}
	for _, tt := range tests {
		t.Run(tt.stmt, func(t *testing.T) {
			db := mustOpen(t)
			mustCreate(t, db.Journal(), newPayment("p1", "c1", 100, base))
			_, err := db.write.Exec(tt.stmt)
			if tt.refused && err == nil {
				t.Fatalf("%s succeeded", tt.stmt)
			}
			if !tt.refused && err != nil {
				t.Fatalf("%s: %v", tt.stmt, err)
			}
			if n := countRows(t, db, "payments") + countRows(t, db, "events"); n != 2 {
				t.Errorf("rows = %d, want 2", n)
			}
		})
	}
}

func TestJournal_ConcurrentUpdates(t *testing.T) {
	db := mustOpen(t)
	j := db.Journal()
	ctx := context.Background()
	const workers, perWorker = 8, 25

	shared := newPayment("shared", "c-shared", 100, base)
	mustCreate(t, j, shared)
	for w := range workers {
		mustCreate(t, j, newPayment(fmt.Sprintf("own-%d", w), fmt.Sprintf("c-%d", w), 100, base))
	}

	var wg sync.WaitGroup
	errs := make(chan error, workers*perWorker*3)
	for w := range workers {
		wg.Go(func() {
			own := newPayment(fmt.Sprintf("own-%d", w), fmt.Sprintf("c-%d", w), 100, base)
			sh := newPayment("shared", "c-shared", 100, base)
			for i := range perWorker {
				own.State, sh.State = plugin.StateAwaitingPayment, plugin.StateAwaitingPayment
				own.PayMasterStatus = fmt.Sprintf("step-%d", i)
				sh.PayMasterStatus = fmt.Sprintf("w%d-%d", w, i)
				ev := plugin.Event{Kind: plugin.EvRemoteStatus, Detail: fmt.Sprintf("w%d-%d", w, i), Actor: "sbpd"}
				if err := j.Update(ctx, own, ev); err != nil {
					errs <- err
				}
				if err := j.Update(ctx, sh, ev); err != nil {
					errs <- err
				}
				// Readers run alongside the writers.
				if _, err := j.Search(ctx, plugin.Filter{Query: "c-shared"}); err != nil {
					errs <- err
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}

	if n := len(mustEvents(t, j, "shared")); n != 1+workers*perWorker {
		t.Errorf("shared has %d events, want %d", n, 1+workers*perWorker)
	}
	for w := range workers {
		evs := mustEvents(t, j, fmt.Sprintf("own-%d", w))
		if len(evs) != 1+perWorker {
			t.Errorf("own-%d has %d events, want %d", w, len(evs), 1+perWorker)
			continue
		}
		for i, ev := range evs[1:] { // one writer per payment: its events keep its order
			if want := fmt.Sprintf("w%d-%d", w, i); ev.Detail != want {
				t.Errorf("own-%d event %d detail %q, want %q", w, i+1, ev.Detail, want)
			}
		}
		if got := mustGet(t, j, fmt.Sprintf("own-%d", w)); got.PayMasterStatus != fmt.Sprintf("step-%d", perWorker-1) {
			t.Errorf("own-%d status %q, want the last write", w, got.PayMasterStatus)
		}
	}
	if n := countRows(t, db, "events"); n != 1+workers+2*workers*perWorker {
		t.Errorf("events = %d, want %d", n, 1+workers+2*workers*perWorker)
	}
}

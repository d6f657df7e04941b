package sqlite

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/sbpd/sbpd/plugin"
)

// searchFixture records six payments, one per second from base:
//
//	id  check  order     amount  state            paymaster
//	p1  c1     ord-1     25990   paid             pm-1
//	p2  c1     ord-2     25990   not_paid         pm-2
//	p3  c2     ord-3     100     awaiting_payment pm-3
//	p4  c3     ord-4     259     needs_attention  25990
//	p5  25990  ord-5     5000    paid             pm-5
//	p6  c4     ord-6     500000  creating         (none)
func searchFixture(tb testing.TB) *Journal {
	tb.Helper()
	j := mustOpen(tb).Journal()
	rows := []struct {
		id, check, order string
		amount           int64
		state            plugin.State
		pm               string
	}{
		{"p1", "c1", "ord-1", 25990, plugin.StatePaid, "pm-1"},
		{"p2", "c1", "ord-2", 25990, plugin.StateNotPaid, "pm-2"},
		{"p3", "c2", "ord-3", 100, plugin.StateAwaitingPayment, "pm-3"},
		{"p4", "c3", "ord-4", 259, plugin.StateNeedsAttention, "25990"},
		{"p5", "25990", "ord-5", 5000, plugin.StatePaid, "pm-5"},
		{"p6", "c4", "ord-6", 500000, plugin.StateCreating, ""},
	}
	for i, r := range rows {
		p := newPayment(r.id, r.check, r.amount, base.Add(time.Duration(i)*time.Second))
		p.OrderNo, p.State, p.PayMasterID = r.order, r.state, r.pm
		mustCreate(tb, j, p)
	}
	return j
}

func TestJournal_Search(t *testing.T) {
	j := searchFixture(t)
	sec := func(n int) time.Time { return base.Add(time.Duration(n) * time.Second) }
	tests := []struct {
		name   string
		filter plugin.Filter
		want   []string
	}{
		{"all newest first", plugin.Filter{}, []string{"p6", "p5", "p4", "p3", "p2", "p1"}},
		{"state", plugin.Filter{State: plugin.StatePaid}, []string{"p5", "p1"}},
		{"unknown state", plugin.Filter{State: "done"}, []string{}},
		{"check id", plugin.Filter{CheckID: "c1"}, []string{"p2", "p1"}},
		{"check id is exact", plugin.Filter{CheckID: "c"}, []string{}},
		{"check id is case sensitive", plugin.Filter{CheckID: "C1"}, []string{}},
		{"from inclusive", plugin.Filter{From: sec(4)}, []string{"p6", "p5"}},
		{"to exclusive", plugin.Filter{To: sec(2)}, []string{"p2", "p1"}},
		{"period", plugin.Filter{From: sec(1), To: sec(3)}, []string{"p3", "p2"}},
		{"period to the nanosecond", plugin.Filter{From: sec(1).Add(1), To: sec(3).Add(1)}, []string{"p4", "p3"}},
		{"period in another zone", plugin.Filter{From: sec(1).UTC(), To: sec(3).In(time.FixedZone("X", -7*3600))}, []string{"p3", "p2"}},
		{"far past and future", plugin.Filter{From: time.Date(1, 1, 1, 0, 0, 0, 0, time.UTC), To: time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC)}, []string{"p6", "p5", "p4", "p3", "p2", "p1"}},
		{"empty period", plugin.Filter{From: sec(3), To: sec(3)}, []string{}},
		{"state and period", plugin.Filter{State: plugin.StatePaid, From: sec(1)}, []string{"p5"}},
		{"check and state", plugin.Filter{CheckID: "c1", State: plugin.StateNotPaid}, []string{"p2"}},
		{"query check id", plugin.Filter{Query: "c2"}, []string{"p3"}},
		{"query order no", plugin.Filter{Query: "ord-4"}, []string{"p4"}},
		{"query paymaster id", plugin.Filter{Query: "pm-5"}, []string{"p5"}},
		{"query payment id", plugin.Filter{Query: "p6"}, []string{"p6"}},
		{"query trimmed", plugin.Filter{Query: "  ord-1\t"}, []string{"p1"}},
		{"query is exact", plugin.Filter{Query: "ord"}, []string{}},
		{"query kopecks", plugin.Filter{Query: "100"}, []string{"p3"}},
		{"query kopecks also matches ids", plugin.Filter{Query: "25990"}, []string{"p5", "p4", "p2", "p1"}},
		{"query roubles comma", plugin.Filter{Query: "259,90"}, []string{"p2", "p1"}},
		{"query roubles dot", plugin.Filter{Query: "259.90"}, []string{"p2", "p1"}},
		{"query roubles one decimal", plugin.Filter{Query: "259,9"}, []string{"p2", "p1"}},
		{"query roubles whole", plugin.Filter{Query: "5000,00"}, []string{"p6"}},
		{"query roubles are not kopecks", plugin.Filter{Query: "2,59"}, []string{"p4"}},
		{"query three decimals", plugin.Filter{Query: "25,990"}, []string{}},
		{"query negative", plugin.Filter{Query: "-100"}, []string{}},
		{"query float syntax", plugin.Filter{Query: "1e2"}, []string{}},
		{"query and state", plugin.Filter{Query: "259,90", State: plugin.StatePaid}, []string{"p1"}},
		{"query and check", plugin.Filter{Query: "25990", CheckID: "c3"}, []string{"p4"}},
		{"limit", plugin.Filter{Limit: 2}, []string{"p6", "p5"}},
		{"offset", plugin.Filter{Limit: 2, Offset: 2}, []string{"p4", "p3"}},
		{"offset past the end", plugin.Filter{Offset: 6}, []string{}},
		{"negative offset", plugin.Filter{Limit: 1, Offset: -5}, []string{"p6"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := j.Search(context.Background(), tt.filter)
			if err != nil {
				t.Fatal(err)
			}
			if got == nil || !slices.Equal(ids(got), tt.want) {
				t.Errorf("Search(%+v) = %v, want %v", tt.filter, ids(got), tt.want)
			}
		})
	}
}

func TestJournal_SearchReturnsFullPayments(t *testing.T) {
	j := mustOpen(t).Journal()
	want := fullPayment()
	mustCreate(t, j, want)
	got, err := j.Search(context.Background(), plugin.Filter{Query: want.PayMasterID})
	if err != nil || len(got) != 1 {
		t.Fatalf("Search = %v, %v", ids(got), err)
	}
	assertSamePayment(t, got[0], fullPayment())
}

func TestJournal_SearchNewestFirstTies(t *testing.T) {
	j := mustOpen(t).Journal()
	for _, id := range []string{"b", "d", "a", "c"} {
		createAt(t, j, id, "c1", plugin.StatePaid, base)
	}
	createAt(t, j, "z", "c1", plugin.StatePaid, base.Add(-1))
	got, err := j.Search(context.Background(), plugin.Filter{})
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"d", "c", "b", "a", "z"}; !slices.Equal(ids(got), want) {
		t.Errorf("Search = %v, want %v (created_at DESC, id DESC)", ids(got), want)
	}
}

func TestJournal_SearchLimitAndPaging(t *testing.T) {
	db := mustOpen(t)
	j := db.Journal()
	const total = MaxLimit + 25
	// Bulk insert in one transaction: one fsync instead of a thousand.
	tx, err := db.write.Begin()
	if err != nil {
		t.Fatal(err)
	}
	for i := range total {
		p := newPayment(fmt.Sprintf("p%05d", i), "c", int64(i+1), base.Add(time.Duration(i)*time.Millisecond))
		row, err := encodePayment(p)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := tx.Exec("INSERT INTO payments ("+paymentColumns+") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", row...); err != nil {
			t.Fatal(err)
		}
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}

	for _, tt := range []struct{ limit, want int }{
		{0, DefaultLimit}, {-1, DefaultLimit}, {1, 1}, {MaxLimit, MaxLimit}, {MaxLimit + 1, MaxLimit}, {1 << 30, MaxLimit},
	} {
		got, err := j.Search(context.Background(), plugin.Filter{Limit: tt.limit})
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != tt.want {
			t.Errorf("Limit %d: %d rows, want %d", tt.limit, len(got), tt.want)
		}
	}

	// Paging with Offset visits every payment once, newest first.
	var seen []string
	for offset := 0; ; offset += 100 {
		page, err := j.Search(context.Background(), plugin.Filter{Limit: 100, Offset: offset})
		if err != nil {
			t.Fatal(err)
		}
		if len(page) == 0 {
			break
		}
		seen = append(seen, ids(page)...)
	}
	if len(seen) != total {
		t.Fatalf("paging saw %d payments, want %d", len(seen), total)
	}
	for i, id := range seen {
		if want := fmt.Sprintf("p%05d", total-1-i); id != want {
			t.Fatalf("row %d = %s, want %s", i, id, want)
		}
	}
}

func TestJournal_SearchInjection(t *testing.T) {
	db := mustOpen(t)
	j := db.Journal()
	createAt(t, j, "p1", "c1", plugin.StatePaid, base)
	createAt(t, j, "p2", "c2", plugin.StateNotPaid, base.Add(time.Second))
	// A check id that looks like SQL is just data.
	createAt(t, j, "p3", "' OR '1'='1", plugin.StatePaid, base.Add(2*time.Second))

	attacks := []string{
		"' OR 1=1 --",
		`"; DROP TABLE payments; --`,
		"'; DELETE FROM payments; --",
		"x' UNION SELECT " + paymentColumns + " FROM payments --",
		"1 OR 1=1",
		"%",
		"_",
		"*",
		"?",
		"c1' --",
		"25990) OR (1=1",
	}
	for _, a := range attacks {
		for _, f := range []plugin.Filter{{Query: a}, {CheckID: a}, {State: plugin.State(a)}} {
			t.Run(fmt.Sprintf("%+v", f), func(t *testing.T) {
				got, err := j.Search(context.Background(), f)
				if err != nil {
					t.Fatalf("Search: %v", err)
				}
				if len(got) != 0 {
					t.Errorf("Search matched %v", ids(got))
				}
			})
		}
		if got, err := j.ByCheck(context.Background(), a); err != nil || len(got) != 0 {
			t.Errorf("ByCheck(%q) = %v, %v", a, ids(got), err)
		}
	}

	if n := countRows(t, db, "payments"); n != 3 {
		t.Errorf("payments = %d, want 3", n)
	}
	if n := countRows(t, db, "events"); n != 3 {
		t.Errorf("events = %d, want 3", n)
	}
	for _, id := range []string{"p1", "p2", "p3"} {
		mustGet(t, j, id)
	}
	got, err := j.Search(context.Background(), plugin.Filter{Query: "' OR '1'='1"})
	if err != nil || !slices.Equal(ids(got), []string{"p3"}) {
		t.Errorf("Search for the literal check id = %v, %v; want [p3]", ids(got), err)
	}
	if err := db.Check(context.Background()); err != nil {
		t.Error(err)
	}
}

func TestParseAmount(t *testing.T) {
	tests := []struct {
		in   string
		want int64
		ok   bool
	}{
		{"25990", 25990, true},
		{"0", 0, true},
		{"007", 7, true},
		{"259,90", 25990, true},
		{"259.90", 25990, true},
		{"259,9", 25990, true},
		{"259.09", 25909, true},
		{"0,01", 1, true},
		{"1000000,00", 100000000, true},
		{"92233720368547758,07", 9223372036854775807, true},
		{"92233720368547758,08", 0, false},
		{"9223372036854775807", 9223372036854775807, true},
		{"9223372036854775808", 0, false},
		{"", 0, false},
		{",90", 0, false},
		{"259,", 0, false},
		{"259,900", 0, false},
		{"259,90,1", 0, false},
		{"259.90.1", 0, false},
		{"259,9a", 0, false},
		{"-259", 0, false},
		{"+259", 0, false},
		{"259 90", 0, false},
		{"1e5", 0, false},
		{"0x10", 0, false},
		{"２５９", 0, false}, // full-width digits
		{"259₽", 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, ok := parseAmount(tt.in)
			if ok != tt.ok || (ok && got != tt.want) {
				t.Errorf("parseAmount(%q) = %d, %t; want %d, %t", tt.in, got, ok, tt.want, tt.ok)
			}
		})
	}
}

package sqlite

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/sbpd/sbpd/plugin"
)

func TestJournal_SearchModeMixed(t *testing.T) {
	j := mustOpen(t).Journal()
	ctx := context.Background()
	for i, r := range []struct {
		id    string
		mode  plugin.Mode
		mixed bool
	}{{"a", plugin.ModePrint, false}, {"b", plugin.ModeScreen, true}, {"c", plugin.ModeSticker, false}, {"d", plugin.ModeScreen, false}} {
		p := newPayment(r.id, "c"+r.id, 100, base.Add(secs(i)))
		p.Mode, p.Mixed = r.mode, r.mixed
		mustCreate(t, j, p)
	}
	mode := func(m plugin.Mode) *plugin.Mode { return &m }
	flag := func(b bool) *bool { return &b }
	for _, tc := range []struct {
		f    plugin.Filter
		want []string
	}{
		{plugin.Filter{Mode: mode(plugin.ModeScreen)}, []string{"d", "b"}},
		{plugin.Filter{Mode: mode(plugin.ModePrint)}, []string{"a"}},
		{plugin.Filter{Mixed: flag(true)}, []string{"b"}},
		{plugin.Filter{Mixed: flag(false)}, []string{"d", "c", "a"}},
		{plugin.Filter{Mode: mode(plugin.ModeScreen), Mixed: flag(false)}, []string{"d"}},
	} {
		ps, err := j.Search(ctx, tc.f)
		if err != nil {
			t.Fatal(err)
		}
		if got := ids(ps); !slices.Equal(got, tc.want) {
			t.Errorf("Search(%+v) = %v, want %v", tc.f, got, tc.want)
		}
		n, err := j.Count(ctx, tc.f)
		if err != nil || n != int64(len(tc.want)) {
			t.Errorf("Count(%+v) = %d, %v; want %d", tc.f, n, err, len(tc.want))
		}
		var each []string
		if err := j.Each(ctx, tc.f, func(p *plugin.Payment) error { each = append(each, p.ID); return nil }); err != nil {
			t.Fatal(err)
		}
		slices.Reverse(each)
		if !slices.Equal(each, tc.want) && len(tc.want) > 0 {
			t.Errorf("Each(%+v) = %v (reversed), want %v", tc.f, each, tc.want)
		}
	}
}

func TestJournal_EachCountFind(t *testing.T) {
	j := searchFixture(t)
	ctx := context.Background()
	// Each: oldest first, no limit, every filter as Search.
	var got []string
	err := j.Each(ctx, plugin.Filter{Query: "25990", Limit: 1, Offset: 5}, func(p *plugin.Payment) error {
		got = append(got, p.ID)
		return nil
	})
	if err != nil || !slices.Equal(got, []string{"p1", "p2", "p4", "p5"}) {
		t.Errorf("Each(q=25990) = %v, %v", got, err)
	}
	if n, err := j.Count(ctx, plugin.Filter{Query: "25990"}); err != nil || n != 4 {
		t.Errorf("Count(q=25990) = %d, %v", n, err)
	}
	if n, err := j.Count(ctx, plugin.Filter{}); err != nil || n != 6 {
		t.Errorf("Count() = %d, %v", n, err)
	}
	// An error from fn stops Each and comes back as is.
	stop := errors.New("stop")
	calls := 0
	if err := j.Each(ctx, plugin.Filter{}, func(*plugin.Payment) error { calls++; return stop }); err != stop || calls != 1 {
		t.Errorf("Each with a failing fn: %v after %d calls", err, calls)
	}
	// A cancelled context ends it.
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if err := j.Each(cctx, plugin.Filter{}, func(*plugin.Payment) error { return nil }); err == nil {
		t.Error("Each with a cancelled context: no error")
	}
	// Find: by id, order number or PayMaster id, exactly.
	for ref, want := range map[string][]string{
		"p3": {"p3"}, "ord-5": {"p5"}, "pm-2": {"p2"}, "25990": {"p4"}, "c1": {}, "": {}, " ord-1 ": {"p1"},
	} {
		ps, err := j.Find(ctx, ref)
		if err != nil || !slices.Equal(ids(ps), want) {
			t.Errorf("Find(%q) = %v, %v; want %v", ref, ids(ps), err, want)
		}
	}
}

func secs(n int) time.Duration { return time.Duration(n) * time.Second }

// TestJournal_EachFreesThePoolBetweenBatches: a slow reader of an export
// (a download on a slow link) must not hold a read connection while fn
// runs, or four of them starve the till's reads; every row still comes,
// in order, ties on created_at broken by id, across batch boundaries.
func TestJournal_EachFreesThePoolBetweenBatches(t *testing.T) {
	db := mustOpen(t)
	j := db.Journal()
	n := eachBatch*2 + 7
	var want []string
	for i := range n {
		// Pairs share a creation time, so the keyset must use the id.
		id := fmt.Sprintf("p%05d", i)
		mustCreate(t, j, newPayment(id, "c"+id, 100, base.Add(secs(i/2))))
		want = append(want, id)
	}
	var got []string
	busy := 0
	err := j.Each(context.Background(), plugin.Filter{}, func(p *plugin.Payment) error {
		got = append(got, p.ID)
		if db.read.Stats().InUse > 0 {
			busy++
		}
		return nil
	})
	if err != nil || !slices.Equal(got, want) {
		t.Fatalf("Each = %d rows (%v), want %d in order", len(got), err, n)
	}
	if busy > 0 {
		t.Errorf("a read connection was held during %d of %d calls of fn", busy, n)
	}
}

// TestJournal_SearchBefore: Filter.Before pages by keyset, newest first,
// ties on created_at broken by id, with the other filters; an unknown id
// selects nothing.
func TestJournal_SearchBefore(t *testing.T) {
	db := mustOpen(t)
	j := db.Journal()
	for i := range 7 {
		mustCreate(t, j, newPayment(fmt.Sprintf("p%d", i), "c", 100, base.Add(secs(i/2))))
	}
	ctx := context.Background()
	var got []string
	before := ""
	for {
		ps, err := j.Search(ctx, plugin.Filter{Limit: 3, Before: before})
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, ids(ps)...)
		if len(ps) < 3 {
			break
		}
		before = ps[len(ps)-1].ID
	}
	if want := []string{"p6", "p5", "p4", "p3", "p2", "p1", "p0"}; !slices.Equal(got, want) {
		t.Errorf("pages by Before: %v, want %v", got, want)
	}
	if ps, err := j.Search(ctx, plugin.Filter{CheckID: "c", Before: "p3", Limit: 2}); err != nil || !slices.Equal(ids(ps), []string{"p2", "p1"}) {
		t.Errorf("Before p3 with check c: %v, %v", ids(ps), err)
	}
	if ps, err := j.Search(ctx, plugin.Filter{Before: "nope"}); err != nil || len(ps) != 0 {
		t.Errorf("Before an unknown id: %v, %v", ids(ps), err)
	}
}

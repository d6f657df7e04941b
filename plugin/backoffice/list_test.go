package backoffice

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/sbpd/sbpd/plugin"
)

func TestList_Pages(t *testing.T) {
	var ps []*plugin.Payment
	for i := range 5 {
		ps = append(ps, &plugin.Payment{ID: fmt.Sprintf("P%d", i), State: plugin.StatePaid})
	}
	s := &Service{Journal: newJournal(ps...)}
	// Newest first (all created at once: by id, descending).
	cases := []struct {
		limit, offset int
		before        string
		ids           []string
		more          bool
	}{
		{2, 0, "", []string{"P4", "P3"}, true},
		{2, 2, "", []string{"P2", "P1"}, true},
		{2, 4, "", []string{"P0"}, false},
		{5, 0, "", []string{"P4", "P3", "P2", "P1", "P0"}, false},
		{2, 6, "", nil, false},
		{2, 0, "P3", []string{"P2", "P1"}, true},
		{2, 0, "P1", []string{"P0"}, false},
	}
	for _, c := range cases {
		got, more, err := s.List(context.Background(), plugin.Filter{Limit: c.limit, Offset: c.offset, Before: c.before})
		if err != nil {
			t.Fatal(err)
		}
		var ids []string
		for _, p := range got {
			ids = append(ids, p.ID)
			if p.StateCode != plugin.StatePaid.Code() {
				t.Errorf("%s not decorated: %+v", p.ID, p)
			}
		}
		if fmt.Sprint(ids) != fmt.Sprint(c.ids) || more != c.more {
			t.Errorf("limit %d offset %d: %v more %v; want %v more %v", c.limit, c.offset, ids, more, c.ids, c.more)
		}
	}
}

// A page of MaxLimit (the journal's own cap) still knows whether another
// follows: asking for one more row than the cap lost the next page.
func TestList_FullPageOfMaxLimit(t *testing.T) {
	var ps []*plugin.Payment
	for i := range plugin.MaxLimit + 1 {
		ps = append(ps, &plugin.Payment{ID: fmt.Sprintf("P%05d", i), State: plugin.StatePaid})
	}
	s := &Service{Journal: newJournal(ps...)}
	got, more, err := s.List(context.Background(), plugin.Filter{Limit: plugin.MaxLimit})
	if err != nil || len(got) != plugin.MaxLimit || !more {
		t.Fatalf("limit %d of %d: %d rows, more %v, %v", plugin.MaxLimit, len(ps), len(got), more, err)
	}
	got, more, err = s.List(context.Background(), plugin.Filter{Limit: plugin.MaxLimit, Before: got[len(got)-1].ID})
	if err != nil || len(got) != 1 || more {
		t.Fatalf("the next page: %d rows, more %v, %v", len(got), more, err)
	}
}

// However an offset was reached (--offset, or --page times --limit in the
// CLI), the journal is not asked to step over more than MaxOffset rows.
func TestList_OffsetBounded(t *testing.T) {
	s := &Service{Journal: newJournal(&plugin.Payment{ID: "P0", State: plugin.StatePaid})}
	_, _, err := s.List(context.Background(), plugin.Filter{Limit: 50, Offset: plugin.MaxOffset + 1})
	var fe *plugin.FilterError
	if !errors.As(err, &fe) || fe.Param != "offset" {
		t.Fatalf("offset %d: %v, want a FilterError on offset", plugin.MaxOffset+1, err)
	}
	if _, _, err := s.List(context.Background(), plugin.Filter{Limit: 50, Offset: plugin.MaxOffset}); err != nil {
		t.Fatalf("offset %d: %v", plugin.MaxOffset, err)
	}
}

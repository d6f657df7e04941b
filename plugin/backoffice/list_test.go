package backoffice

import (
	"context"
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
	cases := []struct {
		limit, offset int
		ids           []string
		more          bool
	}{
		{2, 0, []string{"P0", "P1"}, true},
		{2, 2, []string{"P2", "P3"}, true},
		{2, 4, []string{"P4"}, false},
		{5, 0, []string{"P0", "P1", "P2", "P3", "P4"}, false},
		{2, 6, nil, false},
	}
	for _, c := range cases {
		got, more, err := s.List(context.Background(), plugin.Filter{Limit: c.limit, Offset: c.offset})
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

package sqlite

import (
	"testing"
	"time"

	"github.com/oklog/ulid/v2"

	"github.com/sbpd/sbpd/plugin/plugintest"
)

// TestNewIDs: ids carry the clock's time and increase strictly, within one
// millisecond too.
func TestNewIDs(t *testing.T) {
	clock := plugintest.NewClock()
	next := NewIDs(clock)
	prev := ""
	for i := range 5 {
		if i == 3 {
			clock.Advance(time.Second)
		}
		id := next()
		u, err := ulid.ParseStrict(id)
		if err != nil {
			t.Fatalf("id %q: %v", id, err)
		}
		if !ulid.Time(u.Time()).Equal(clock.Now()) {
			t.Errorf("id %s stamped %s, want %s", id, ulid.Time(u.Time()), clock.Now())
		}
		if id <= prev {
			t.Errorf("id %s after %s", id, prev)
		}
		prev = id
	}
}

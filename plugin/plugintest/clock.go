package plugintest

import (
	"context"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"
	"github.com/sbpd/sbpd/plugin"
)

// Clock is a fake plugin.Clock. Time moves only when a test calls Advance.
type Clock struct {
	*clockwork.FakeClock
}

var _ plugin.Clock = (*Clock)(nil)

// NewClock returns a fake clock set to a fixed, readable moment.
func NewClock() *Clock {
	return &Clock{clockwork.NewFakeClockAt(time.Date(2026, 6, 1, 10, 0, 0, 0, time.UTC))}
}

func (c *Clock) NewTimer(d time.Duration) plugin.Timer { return c.FakeClock.NewTimer(d) }

// WaitForTimers blocks until n timers are pending or the test's patience
// (real seconds, for a broken test only) runs out.
func (c *Clock) WaitForTimers(tb testing.TB, n int) {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := c.BlockUntilContext(ctx, n); err != nil {
		tb.Fatalf("fake clock: %d timer(s) never became pending: %v", n, err)
	}
}

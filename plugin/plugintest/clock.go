package plugintest

import (
	"context"
	"sync"
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

// AutoClock is a plugin.Clock whose timers fire at once, moving its time
// on by their duration: code that waits a bounded time (the PayMaster
// probe's 15-second waits) runs through without real waiting, and Waited
// tells how long it would have waited.
type AutoClock struct {
	mu     sync.Mutex
	now    time.Time
	waited time.Duration
}

var _ plugin.Clock = (*AutoClock)(nil)

// NewAutoClock returns an AutoClock set to the real time now.
func NewAutoClock() *AutoClock { return &AutoClock{now: time.Now()} }

func (c *AutoClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *AutoClock) NewTimer(d time.Duration) plugin.Timer {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
	c.waited += d
	ch := make(chan time.Time, 1)
	ch <- c.now
	return firedTimer(ch)
}

// Waited is the sum of the durations of every timer made so far.
func (c *AutoClock) Waited() time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.waited
}

// firedTimer is a timer that has already fired.
type firedTimer chan time.Time

func (t firedTimer) Chan() <-chan time.Time { return t }
func (t firedTimer) Stop() bool             { return false }

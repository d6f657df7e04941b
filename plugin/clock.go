package plugin

import "time"

// Clock is where every wait in sbpd comes from, so tests of a two-minute
// timeout run in milliseconds with a fake clock.
type Clock interface {
	Now() time.Time
	NewTimer(d time.Duration) Timer
}

// Timer is the part of time.Timer the flow uses.
type Timer interface {
	Chan() <-chan time.Time
	Stop() bool
}

// RealClock is the wall clock.
type RealClock struct{}

func (RealClock) Now() time.Time { return time.Now() }

func (RealClock) NewTimer(d time.Duration) Timer { return realTimer{time.NewTimer(d)} }

type realTimer struct{ t *time.Timer }

func (r realTimer) Chan() <-chan time.Time { return r.t.C }
func (r realTimer) Stop() bool             { return r.t.Stop() }

package notify

import (
	"context"
	"sync"
	"time"
)

// Target is where and how final payments are delivered: the notify.*
// settings.
type Target struct {
	URL         string
	Secret      string
	MaxAttempts int
}

// hastener is a Queue that can make the deliveries waiting out a backoff
// due now (drivers/sqlite's Outbox).
type hastener interface {
	DueNow(ctx context.Context, now time.Time) (int64, error)
}

// Running is the daemon's delivery: a Deliverer for the Target in force,
// started again for a changed one, so that notify.url or notify.secret set
// or changed on a running daemon applies from then on (what waited in the
// outbox goes to the new target). A Target without a URL runs nothing.
type Running struct {
	// New builds the Deliverer of a Target (its Queue, Clock, Logger…).
	New func(Target) *Deliverer

	mu      sync.Mutex
	target  Target
	stop    func() // nil: not started
	stopped bool   // Stop was called: nothing starts again
}

// Apply makes t the Target in force: nothing changes when it already is;
// a Target that cannot be delivered to is refused and the one in force
// keeps running; otherwise the running Deliverer stops (it finishes the
// attempt in progress) before the new one starts, so that no delivery
// goes out twice at once, and what waited out a backoff after failed
// tries is due at once (a fixed address), when the Queue can do that.
// ctx bounds the new Deliverer's run.
func (r *Running) Apply(ctx context.Context, t Target) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.stopped || r.stop != nil && t == r.target {
		return nil
	}
	next := r.New(t)
	if t.URL != "" {
		if err := next.check(); err != nil {
			return err // the Deliverer in force keeps running
		}
	}
	changed := r.stop != nil // not the first start: a fixed address or secret
	if r.stop != nil {
		r.stop()
		r.stop = nil
	}
	if h, ok := next.Queue.(hastener); changed && t.URL != "" && ok {
		if _, err := h.DueNow(ctx, next.clock().Now()); err != nil {
			next.log().Warn("notify: cannot make the waiting deliveries due now; they go at their time", "error", err)
		}
	}
	stop, err := next.StartIfSet(ctx)
	if err != nil {
		return err
	}
	r.stop, r.target = stop, t
	return nil
}

// Stop stops the running Deliverer, if any, for good: an Apply after it
// (a settings change racing the daemon's close) starts nothing. Call it
// before the queue's journal closes.
func (r *Running) Stop() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.stopped = true
	if r.stop != nil {
		r.stop()
		r.stop = nil
	}
}

package notify_test

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/sbpd/sbpd/drivers/notify"
	"github.com/sbpd/sbpd/plugin/plugintest"
)

// TestRunning_Apply: the same target again changes nothing; a changed one
// replaces the Deliverer; one without a URL runs none; after Stop nothing
// starts again (a settings change racing the daemon's close).
func TestRunning_Apply(t *testing.T) {
	clock := plugintest.NewClock()
	var built []notify.Target
	r := &notify.Running{New: func(t notify.Target) *notify.Deliverer {
		built = append(built, t)
		return &notify.Deliverer{URL: t.URL, Secret: t.Secret, MaxAttempts: t.MaxAttempts, Queue: newQueue(time.Time{}), Clock: clock}
	}}
	ctx := context.Background()
	a := notify.Target{URL: "http://127.0.0.1:1/a", Secret: secret, MaxAttempts: 3}
	b := a
	b.URL = "http://127.0.0.1:1/b"
	for i, step := range []struct {
		t     notify.Target
		built int
	}{
		{a, 1}, {a, 1}, // the same again: no restart
		{b, 2},               // changed: a new one
		{notify.Target{}, 3}, // no URL: the old stops, none runs
		{notify.Target{}, 3}, // the same again
		{a, 4},
	} {
		if err := r.Apply(ctx, step.t); err != nil {
			t.Fatalf("step %d: %v", i, err)
		}
		if len(built) != step.built {
			t.Fatalf("step %d: %d Deliverers built, want %d", i, len(built), step.built)
		}
	}
	// A target that cannot be delivered to is refused and the one in
	// force keeps running: never left with none.
	if err := r.Apply(ctx, notify.Target{URL: "ftp://x"}); err == nil {
		t.Fatal("a target that cannot be delivered to was applied")
	}
	if err := r.Apply(ctx, a); err != nil || len(built) != 5 {
		t.Fatalf("after a refused target the one in force was not kept (%d built): %v", len(built), err)
	}
	r.Stop()
	if err := r.Apply(ctx, b); err != nil || len(built) != 5 {
		t.Fatalf("Apply after Stop built a Deliverer (%d) or failed: %v", len(built), err)
	}
	r.Stop() // twice is fine
}

// roundTrip is an http.RoundTripper of a function.
type roundTrip func(*http.Request) (*http.Response, error)

func (f roundTrip) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// TestDeliver_AcceptedThenStopped: an attempt the receiver accepted is
// recorded as delivered even when the Deliverer is stopped (a target
// change, shutdown) right after the answer: not sent again.
func TestDeliver_AcceptedThenStopped(t *testing.T) {
	clock := plugintest.NewClock()
	q := newQueue(clock.Now(), paid("P1", clock.Now()))
	ctx, cancel := context.WithCancel(context.Background())
	d := &notify.Deliverer{URL: "http://127.0.0.1:1/hook", Secret: secret, Queue: q, Clock: clock,
		HTTP: &http.Client{Transport: roundTrip(func(*http.Request) (*http.Response, error) {
			cancel() // stopped while the answer was on its way
			return &http.Response{StatusCode: http.StatusOK, Header: http.Header{}, Body: io.NopCloser(strings.NewReader("ok"))}, nil
		})}}
	d.Flush(ctx)
	if st := q.items["P1:paid"].status; st != "delivered" {
		t.Fatalf("an accepted attempt is %q after a stop, want delivered (else it is sent again)", st)
	}
}

// DueNow makes every pending item waiting beyond now due at now.
func (q *memQueue) DueNow(ctx context.Context, now time.Time) (int64, error) {
	q.mu.Lock()
	defer q.mu.Unlock()
	var n int64
	for _, it := range q.items {
		if it.status == "pending" && it.nextAt.After(now) {
			it.nextAt, n = now, n+1
		}
	}
	return n, nil
}

// TestRunning_ChangeHastensTheWaiting: a changed target (a fixed
// notify.url) makes what waited out a backoff due at once, as the log
// promises; the first start leaves the schedule as it is.
func TestRunning_ChangeHastensTheWaiting(t *testing.T) {
	clock := plugintest.NewClock()
	q := newQueue(clock.Now(), paid("P1", clock.Now()))
	q.items["P1:paid"].nextAt = clock.Now().Add(time.Hour) // after failed tries
	r := &notify.Running{New: func(t notify.Target) *notify.Deliverer {
		return &notify.Deliverer{URL: t.URL, Secret: t.Secret, Queue: q, Clock: clock, Poll: time.Hour}
	}}
	defer r.Stop()
	a := notify.Target{URL: "http://127.0.0.1:1/a", Secret: secret}
	if err := r.Apply(context.Background(), a); err != nil {
		t.Fatal(err)
	}
	q.mu.Lock()
	first := q.items["P1:paid"].nextAt
	q.mu.Unlock()
	if !first.Equal(clock.Now().Add(time.Hour)) {
		t.Fatalf("the first start moved the schedule to %v", first)
	}
	r.Stop()
	r = &notify.Running{New: r.New}
	if err := r.Apply(context.Background(), notify.Target{}); err != nil { // started without a URL…
		t.Fatal(err)
	}
	if err := r.Apply(context.Background(), a); err != nil { // …then given one
		t.Fatal(err)
	}
	q.mu.Lock()
	got := q.items["P1:paid"].nextAt
	q.mu.Unlock()
	if got.After(clock.Now()) {
		t.Fatalf("after the change the delivery still waits until %v", got)
	}
}

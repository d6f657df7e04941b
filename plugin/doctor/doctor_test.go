package doctor

import (
	"context"
	"errors"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sbpd/sbpd/plugin"
)

// manualClock's timers fire when expire is closed.
type manualClock struct {
	expire chan time.Time
}

func (c manualClock) Now() time.Time { return time.Unix(1_700_000_000, 0) }

func (c manualClock) NewTimer(time.Duration) plugin.Timer { return manualTimer{c.expire} }

type manualTimer struct{ c chan time.Time }

func (t manualTimer) Chan() <-chan time.Time { return t.c }
func (t manualTimer) Stop() bool             { return true }

func instant(name string, st Status) Check {
	return Check{Name: name, Run: func(context.Context) Result { return Result{Status: st, Message: name + " done"} }}
}

func TestRun(t *testing.T) {
	cases := []struct {
		name       string
		checks     func() []Check
		opt        Options
		wantStatus []Status
		wantErr    string
	}{
		{"all pass", func() []Check { return []Check{instant("a", OK), instant("b", Skip), instant("c", Warn)} },
			Options{}, []Status{OK, Skip, Warn}, ""},
		{"failures named in order", func() []Check { return []Check{instant("a", Fail), instant("b", OK), instant("c", Fail)} },
			Options{Parallel: 1}, []Status{Fail, OK, Fail}, "doctor: 2 checks failed: a, c"},
		{"one failure", func() []Check { return []Check{instant("a", OK), instant("b", Fail)} },
			Options{}, []Status{OK, Fail}, "doctor: 1 check failed: b"},
		{"none", func() []Check { return nil }, Options{}, nil, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var seen []string
			rep := Run(context.Background(), c.checks(), c.opt, func(r Result) { seen = append(seen, r.Name) })
			if len(rep.Checks) != len(c.wantStatus) || len(seen) != len(c.wantStatus) {
				t.Fatalf("%+v, each saw %v", rep, seen)
			}
			for i, r := range rep.Checks {
				if r.Status != c.wantStatus[i] || r.Name != seen[i] || r.Message != r.Name+" done" {
					t.Errorf("result %d: %+v (each saw %q)", i, r, seen[i])
				}
			}
			err := rep.Err()
			if (err == nil) != (c.wantErr == "") || (err != nil && err.Error() != c.wantErr) || rep.OK != (c.wantErr == "") {
				t.Errorf("ok %v, err %v, want %q", rep.OK, err, c.wantErr)
			}
			var de *Error
			if err != nil && (!errors.As(err, &de) || de.Code != CodeChecksFailed) {
				t.Errorf("error %#v", err)
			}
		})
	}
}

// TestRun_OrderAndParallel: the checks run at once (each waits until all
// have started), finish in reverse order, and come back in their own.
func TestRun_OrderAndParallel(t *testing.T) {
	const n = 5
	var started sync.WaitGroup
	started.Add(n)
	finish := make([]chan struct{}, n)
	var checks []Check
	for i := range n {
		finish[i] = make(chan struct{})
		checks = append(checks, Check{Name: string(rune('a' + i)), Run: func(context.Context) Result {
			started.Done()
			started.Wait()
			<-finish[i]
			if i > 0 {
				close(finish[i-1])
			}
			return Pass("")
		}})
	}
	close(finish[n-1])
	var names []string
	rep := Run(context.Background(), checks, Options{}, func(r Result) { names = append(names, r.Name) })
	if got := strings.Join(names, ""); got != "abcde" || !rep.OK {
		t.Errorf("order %q, %+v", got, rep)
	}
}

// TestRun_ParallelBound: no more than Parallel checks run at once.
func TestRun_ParallelBound(t *testing.T) {
	var running, most atomic.Int32
	var checks []Check
	for i := range 8 {
		checks = append(checks, Check{Name: string(rune('a' + i)), Run: func(context.Context) Result {
			now := running.Add(1)
			for {
				m := most.Load()
				if now <= m || most.CompareAndSwap(m, now) {
					break
				}
			}
			runtime.Gosched()
			running.Add(-1)
			return Pass("")
		}})
	}
	rep := Run(context.Background(), checks, Options{Parallel: 3}, nil)
	if len(rep.Checks) != 8 || most.Load() > 3 || most.Load() < 1 {
		t.Errorf("%d results, at most %d at once", len(rep.Checks), most.Load())
	}
}

// TestRun_HungCheckBounded: a check that never returns fails at its
// timeout, with its context canceled, and the others are reported. The
// timers fire once the fast check is reported (so it cannot time out).
func TestRun_HungCheckBounded(t *testing.T) {
	clock := manualClock{expire: make(chan time.Time)}
	canceled := make(chan struct{})
	hungStarted := make(chan struct{})
	checks := []Check{
		instant("fast", OK),
		{Name: "hung", Run: func(ctx context.Context) Result {
			close(hungStarted)
			<-ctx.Done()
			close(canceled)
			select {} // never returns
		}},
	}
	firstDone := make(chan struct{})
	go func() {
		<-firstDone
		<-hungStarted
		close(clock.expire)
	}()
	rep := Run(context.Background(), checks, Options{Timeout: 15 * time.Second, Clock: clock}, func(r Result) {
		if r.Name == "fast" {
			close(firstDone)
		}
	})
	want := []Status{OK, Fail}
	if len(rep.Checks) != len(want) {
		t.Fatalf("%+v", rep)
	}
	for i, r := range rep.Checks {
		if r.Status != want[i] {
			t.Errorf("%+v, want %s", r, want[i])
		}
	}
	if h := rep.Checks[1]; h.Message != "did not finish within 15s" || h.Fix == "" {
		t.Errorf("%+v", h)
	}
	select {
	case <-canceled:
	case <-time.After(5 * time.Second):
		t.Error("the hung check's context was not canceled")
	}
}

func TestRun_Redact(t *testing.T) {
	checks := []Check{{Name: "x", Run: func(context.Context) Result { return Failure("token s3cret refused", "set s3cret again") }}}
	rep := Run(context.Background(), checks, Options{Secrets: []string{"s3cret"}}, nil)
	if r := rep.Checks[0]; r.Message != "token *** refused" || r.Fix != "set *** again" {
		t.Errorf("%+v", r)
	}
}

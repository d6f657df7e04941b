package doctor

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/sbpd/sbpd/plugin"
)

// Status is the verdict of one check.
type Status string

const (
	OK   Status = "ok"
	Warn Status = "warn" // works, but needs attention soon
	Fail Status = "fail" // payments fail or will fail: the run fails
	Skip Status = "skip" // not applicable, or cannot run until another check passes
)

// Result is one line of the checklist: what was found and how to fix it.
type Result struct {
	Name    string `json:"name"`
	Status  Status `json:"status"`
	Message string `json:"message"`
	Fix     string `json:"fix"`
}

// Check is one item of the checklist.
type Check struct {
	Name string
	Run  func(ctx context.Context) Result
}

// Options bound a run.
type Options struct {
	Parallel int           // checks running at once; 0 is all of them
	Timeout  time.Duration // for each check; 0 is no bound
	Clock    plugin.Clock  // nil is the wall clock
	Secrets  []string      // cut out of every Result by plugin.Redact
}

// Report is the whole checklist, in the checks' order.
type Report struct {
	OK     bool     `json:"ok"`
	Checks []Result `json:"checks"`
}

// Err is nil when no check failed, or an *Error naming those that did.
func (r Report) Err() error {
	var failed []string
	for _, c := range r.Checks {
		if c.Status == Fail {
			failed = append(failed, c.Name)
		}
	}
	if len(failed) == 0 {
		return nil
	}
	return &Error{Code: CodeChecksFailed, Failed: failed}
}

// CodeChecksFailed is the code of the Error of a run with failed checks.
const CodeChecksFailed = "checks_failed"

// Error says which checks failed.
type Error struct {
	Code   string
	Failed []string
}

func (e *Error) Error() string {
	return fmt.Sprintf("doctor: %s failed: %s", CountNoun(len(e.Failed), "check", "checks"), strings.Join(e.Failed, ", "))
}

// Run runs checks in parallel within opt's bounds and calls each (if not
// nil) with every Result in the checks' order, as soon as it and those
// above it are done. A check still running at its Timeout fails; its
// context is canceled.
func Run(ctx context.Context, checks []Check, opt Options, each func(Result)) Report {
	if opt.Clock == nil {
		opt.Clock = plugin.RealClock{}
	}
	n := opt.Parallel
	if n <= 0 || n > len(checks) {
		n = len(checks)
	}
	slots := make(chan struct{}, max(n, 1))
	out := make([]chan Result, len(checks))
	for i, c := range checks {
		out[i] = make(chan Result, 1)
		go func() {
			slots <- struct{}{}
			defer func() { <-slots }()
			out[i] <- runOne(ctx, c, opt)
		}()
	}
	rep := Report{OK: true}
	for i := range checks {
		r := <-out[i]
		rep.Checks = append(rep.Checks, r)
		rep.OK = rep.OK && r.Status != Fail
		if each != nil {
			each(r)
		}
	}
	return rep
}

// runOne runs c within opt.Timeout, names its Result and redacts it.
func runOne(ctx context.Context, c Check, opt Options) Result {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	done := make(chan Result, 1)
	go func() { done <- c.Run(ctx) }()
	var expired <-chan time.Time
	if opt.Timeout > 0 {
		t := opt.Clock.NewTimer(opt.Timeout)
		defer t.Stop()
		expired = t.Chan()
	}
	var r Result
	select {
	case r = <-done:
	case <-expired:
		r = Failf("run sbpd doctor again; if it hangs again, report it", "did not finish within %s", opt.Timeout)
	}
	r.Name = c.Name
	r.Message, r.Fix = plugin.Redact(r.Message, opt.Secrets...), plugin.Redact(r.Fix, opt.Secrets...)
	return r
}

// Results of each status.

func Pass(msg string) Result { return Result{Status: OK, Message: msg} }

func Warning(msg, fix string) Result { return Result{Status: Warn, Message: msg, Fix: fix} }

func Failure(msg, fix string) Result { return Result{Status: Fail, Message: msg, Fix: fix} }

func Skipped(msg string) Result { return Result{Status: Skip, Message: msg} }

// Failf is Failure with a formatted message.
func Failf(fix, format string, a ...any) Result { return Failure(fmt.Sprintf(format, a...), fix) }

// CountNoun is "1 check" or "3 checks".
func CountNoun(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}

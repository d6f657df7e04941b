package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sbpd/sbpd/drivers/paymaster/sandbox"
	"github.com/sbpd/sbpd/drivers/systemd"
	"github.com/sbpd/sbpd/plugin"
	"github.com/sbpd/sbpd/plugin/plugintest"
)

// notifySocket plays systemd's side of NOTIFY_SOCKET: a unixgram socket
// that records every datagram sbpd sends, with when it arrived.
type notifySocket struct {
	path string
	conn *net.UnixConn
	// onMsg, if set, runs in the reader as each datagram arrives, before
	// the next is read; what it returns is kept with the message (a
	// snapshot of the world at that moment).
	onMsg func(state string) int

	mu   sync.Mutex
	msgs []notifyMsg
}

type notifyMsg struct {
	at    time.Time
	state string // newline-separated assignments, as sent
	note  int    // onMsg's snapshot
}

// has reports whether the datagram carries the assignment.
func (m notifyMsg) has(assignment string) bool {
	return slices.Contains(strings.Split(m.state, "\n"), assignment)
}

func newNotifySocket(t *testing.T, onMsg func(string) int) *notifySocket {
	t.Helper()
	// A unix socket path is at most 107 bytes; t.TempDir's can be longer.
	dir, err := os.MkdirTemp("", "sn")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	ns := &notifySocket{path: filepath.Join(dir, "notify"), onMsg: onMsg}
	ns.conn, err = net.ListenUnixgram("unixgram", &net.UnixAddr{Name: ns.path, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		buf := make([]byte, 4096)
		for {
			n, err := ns.conn.Read(buf)
			if err != nil {
				return
			}
			m := notifyMsg{at: time.Now(), state: string(buf[:n])}
			if ns.onMsg != nil {
				m.note = ns.onMsg(m.state)
			}
			ns.mu.Lock()
			ns.msgs = append(ns.msgs, m)
			ns.mu.Unlock()
		}
	}()
	t.Cleanup(func() { ns.conn.Close(); <-done })
	return ns
}

// env is what systemd gives a Type=notify service with WatchdogSec. There
// is no WATCHDOG_PID: the child's pid is not known before it starts.
func (ns *notifySocket) env(watchdog time.Duration) []string {
	return []string{"NOTIFY_SOCKET=" + ns.path, fmt.Sprintf("WATCHDOG_USEC=%d", watchdog.Microseconds())}
}

// mark is the number of datagrams received so far.
func (ns *notifySocket) mark() int {
	ns.mu.Lock()
	defer ns.mu.Unlock()
	return len(ns.msgs)
}

func (ns *notifySocket) since(from int) []notifyMsg {
	ns.mu.Lock()
	defer ns.mu.Unlock()
	return slices.Clone(ns.msgs[from:])
}

// indexes are the positions (counted from the start) of the datagrams
// since from that carry the assignment.
func (ns *notifySocket) indexes(assignment string, from int) []int {
	var out []int
	for i, m := range ns.since(from) {
		if m.has(assignment) {
			out = append(out, from+i)
		}
	}
	return out
}

// wait waits up to 15s for n datagrams since from to carry the assignment
// and returns the position of the n-th.
func (ns *notifySocket) wait(t *testing.T, assignment string, from, n int) int {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		if idx := ns.indexes(assignment, from); len(idx) >= n {
			return idx[n-1]
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d× %q not received within 15s; got %q", n, assignment, ns.states(from))
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// states are the datagrams since from, for messages.
func (ns *notifySocket) states(from int) []string {
	var out []string
	for _, m := range ns.since(from) {
		out = append(out, m.state)
	}
	return out
}

func (ns *notifySocket) msg(i int) notifyMsg {
	ns.mu.Lock()
	defer ns.mu.Unlock()
	return ns.msgs[i]
}

// systemdRig is a crash rig whose sbpd runs under a fake systemd: a notify
// socket and a 200ms watchdog.
func systemdRig(t *testing.T, onMsg func(r *crashRig, state string) int) (*crashRig, *notifySocket) {
	t.Helper()
	r := newCrashRig(t, "")
	var hook func(string) int
	if onMsg != nil {
		hook = func(s string) int { return onMsg(r, s) }
	}
	ns := newNotifySocket(t, hook)
	r.env = ns.env(200 * time.Millisecond)
	if os.Getenv("GORACE") == "" {
		// A -race binary sleeps 1s before it exits; the stop time measured
		// is sbpd's own.
		r.env = append(r.env, "GORACE=atexit_sleep_ms=0")
	}
	return r, ns
}

// startNotified starts sbpd and waits for READY=1; it returns the position
// of READY=1.
func startNotified(r *crashRig, ns *notifySocket) int {
	r.t.Helper()
	from := ns.mark()
	r.start()
	return ns.wait(r.t, "READY=1", from, 1)
}

// termCleanly stops sbpd with SIGTERM as systemd does and checks that it
// said STOPPING=1 and exited 0 within a few seconds, the race detector
// silent.
func termCleanly(r *crashRig, ns *notifySocket) {
	r.t.Helper()
	from := ns.mark()
	began := time.Now()
	r.term()
	took := time.Since(began)
	log := r.proc.stderr.String()
	if code := r.proc.cmd.ProcessState.ExitCode(); code != 0 {
		r.t.Fatalf("sbpd exited %d after SIGTERM, want 0\n%s", code, log)
	}
	if took > 5*time.Second {
		r.t.Errorf("sbpd took %s to stop after SIGTERM", took)
	}
	ns.wait(r.t, "STOPPING=1", from, 1)
	if !strings.Contains(log, "sbpd stopping; payments in progress resume at the next start") {
		r.t.Errorf("no stopping line in the log:\n%s", log)
	}
	if strings.Contains(log, "DATA RACE") {
		r.t.Errorf("the race detector reported in sbpd:\n%s", log)
	}
	r.t.Logf("sbpd stopped %s after SIGTERM", took.Round(time.Millisecond))
}

// TestSystemd_Notify runs the real sbpd under a fake systemd (Type=notify,
// WatchdogSec): READY=1 only once unfinished payments are reconciled,
// WATCHDOG=1 while it runs, STOPPING=1 and exit 0 on SIGTERM with the
// payment in progress kept in the journal and resumed at the next start.
func TestSystemd_Notify(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the sbpd binary")
	}
	sbpdBinary(t)

	t.Run("ready after reconcile, watchdog", func(t *testing.T) {
		t.Parallel()
		// At each datagram: how many payment GETs PayMaster has answered.
		r, ns := systemdRig(t, func(r *crashRig, _ string) int { return r.sb.Handled(sandbox.KindGet) })
		first := startNotified(r, ns)
		if m := ns.msg(first); !m.has("STATUS=ready: till API on "+r.proc.addr) || first == 0 || !ns.msg(first-1).has(
			"STATUS=starting: opening the journal and reconciling unfinished payments with PayMaster") {
			t.Errorf("READY=1 datagram %q; before it %q", m.state, ns.states(0)[:first])
		}
		p := <-r.startPayment("N1", 9900)
		if p.PayMasterID == "" {
			t.Fatalf("no PayMaster payment: %+v", p)
		}
		r.poll("a poll", func() bool { return r.sb.PaymentCalls(p.PayMasterID, sandbox.KindGet) >= 1 })
		r.crash()
		r.mustHold(false)

		// Paid while sbpd was down; PayMaster answers the restarted sbpd's
		// reconcile slowly.
		const slow = 700 * time.Millisecond
		if err := r.sb.Pay(p.PayMasterID); err != nil {
			t.Fatal(err)
		}
		r.sb.AddFault(sandbox.Fault{Method: "GET", Latency: slow, Times: 1})
		before := r.sb.Handled(sandbox.KindGet)
		from := ns.mark()
		began := time.Now()
		ready := startNotified(r, ns)
		m := ns.msg(ready)
		if m.note <= before {
			t.Errorf("READY=1 came before PayMaster answered the reconcile (payment GETs answered: %d before the start, %d at READY=1)", before, m.note)
		}
		if took := m.at.Sub(began); took < slow {
			t.Errorf("READY=1 %s after the start, within PayMaster's %s answer", took, slow)
		}
		if got, err := r.get(p.ID); err != nil || got.State != plugin.StatePaid {
			t.Errorf("right after READY=1 the payment is %s (%v), want paid: reconciled before READY", got.State, err)
		}
		if i := ns.indexes("READY=1", from); len(i) != 1 {
			t.Errorf("READY=1 sent %d times", len(i))
		}

		// The watchdog: 200ms, a ping every 100ms, all after READY=1.
		third := ns.wait(t, "WATCHDOG=1", from, 3)
		if w := ns.indexes("WATCHDOG=1", from); w[0] < ready {
			t.Errorf("WATCHDOG=1 before READY=1: %q", ns.states(from))
		}
		if gap := ns.msg(third).at.Sub(ns.msg(ready).at); gap > 5*time.Second {
			t.Errorf("three watchdog pings took %s", gap)
		}
		if strings.Contains(r.proc.stderr.String(), "watchdog: sbpd cannot take payments") {
			t.Logf("a ping was skipped (slow machine?):\n%s", r.proc.stderr.String())
		}
		termCleanly(r, ns)
		r.mustHold(true)
	})

	// SIGTERM while sbpd waits for PayMaster's answer to a poll: it stops at
	// once, the payment stays awaiting_payment in the journal and resumes.
	t.Run("sigterm while polling", func(t *testing.T) {
		t.Parallel()
		r, ns := systemdRig(t, nil)
		startNotified(r, ns)
		p := <-r.startPayment("T1", 9900)
		if p.State != plugin.StateAwaitingPayment || p.PayMasterID == "" {
			t.Fatalf("payment not on screen: %+v", p)
		}
		gets := r.sb.PaymentCalls(p.PayMasterID, sandbox.KindGet)
		r.sb.AddFault(sandbox.Fault{Method: "GET", Latency: hold})
		r.poll("a poll to be held", func() bool { return r.sb.PaymentCalls(p.PayMasterID, sandbox.KindGet) > gets })
		termCleanly(r, ns)
		row := r.journalRow(p.ID)
		if row.State != plugin.StateAwaitingPayment || row.PayMasterID != p.PayMasterID {
			t.Fatalf("after SIGTERM the journal has %s (PayMaster id %q), want awaiting_payment (%s)", row.State, row.PayMasterID, p.PayMasterID)
		}
		r.mustHold(false)

		r.sb.ClearFaults()
		startNotified(r, ns)
		if got, err := r.get(p.ID); err != nil || got.State.Final() || got.QRPayload != p.QRPayload {
			t.Fatalf("after the restart the payment is not back with its QR: %+v %v", got, err)
		}
		if err := r.sb.Pay(p.PayMasterID); err != nil {
			t.Fatal(err)
		}
		r.expect(p.ID, plugin.StatePaid)
		if n, c := len(r.sb.Payments()), r.sb.Handled(sandbox.KindCreate); n != 1 || c != 1 {
			t.Errorf("PayMaster has %d payments after %d creates, want 1", n, c)
		}
	})

	// SIGTERM while PayMaster has created the payment but its answer has
	// not arrived: the journal row stays creating, and the restarted sbpd
	// finds the payment instead of creating a second one.
	t.Run("sigterm while creating", func(t *testing.T) {
		t.Parallel()
		r, ns := systemdRig(t, nil)
		startNotified(r, ns)
		r.sb.AddFault(sandbox.Fault{Method: "POST", AfterHandling: true, Latency: hold})
		answer := r.startPayment("T2", 9900)
		r.poll("PayMaster to create the payment", func() bool { return len(r.sb.Payments()) == 1 })
		termCleanly(r, ns)
		<-answer // the till got its answer, or lost the connection
		row, ok := r.rowFor("T2")
		if !ok || row.State.Final() || row.State == plugin.StateNeedsAttention || row.PayMasterID != "" {
			t.Fatalf("after SIGTERM the journal has %v %+v, want the row unfinished without PayMaster's id", ok, row)
		}
		r.mustHold(false)

		r.sb.ClearFaults()
		startNotified(r, ns)
		p := r.waitRemote(row.ID)
		if pm := r.sb.Payments()[0]; p.PayMasterID != pm.ID {
			t.Fatalf("sbpd resumed with PayMaster payment %q, PayMaster has %s", p.PayMasterID, pm.ID)
		}
		if err := r.sb.Pay(p.PayMasterID); err != nil {
			t.Fatal(err)
		}
		r.expect(row.ID, plugin.StatePaid)
		if n := len(r.sb.Payments()); n != 1 {
			t.Errorf("PayMaster has %d payments, want 1", n)
		}
	})
}

// fakeNotifier records what the watchdog tells systemd, with the fake
// clock's time.
type fakeNotifier struct {
	clock *plugintest.Clock
	got   chan notifyMsg
}

func newFakeNotifier(clock *plugintest.Clock) *fakeNotifier {
	return &fakeNotifier{clock: clock, got: make(chan notifyMsg, 16)}
}

func (f *fakeNotifier) notify(state string) error {
	f.got <- notifyMsg{at: f.clock.Now(), state: state}
	return nil
}

func (f *fakeNotifier) next(t *testing.T) notifyMsg {
	t.Helper()
	select {
	case m := <-f.got:
		return m
	case <-time.After(10 * time.Second):
		t.Fatal("the watchdog told systemd nothing")
		return notifyMsg{}
	}
}

// none checks that nothing was sent (yet).
func (f *fakeNotifier) none(t *testing.T) {
	t.Helper()
	select {
	case m := <-f.got:
		t.Fatalf("unexpected notification %q at %s", m.state, m.at)
	default:
	}
}

// runWatchdog runs w until the test ends.
func runWatchdog(t *testing.T, w *systemd.Watchdog) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		w.Run(ctx)
	}()
	t.Cleanup(func() {
		cancel()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			t.Error("the watchdog did not stop")
		}
	})
}

func TestWatchdog_PingsEveryInterval(t *testing.T) {
	clock := plugintest.NewClock()
	n := newFakeNotifier(clock)
	var checks atomic.Int32
	runWatchdog(t, &systemd.Watchdog{Clock: clock, Every: 15 * time.Second, Timeout: 7500 * time.Millisecond,
		Check:  func(context.Context) error { checks.Add(1); return nil },
		Notify: n.notify, Logger: slog.New(slog.DiscardHandler), Status: "STATUS=ready"})
	start := clock.Now()
	for i := 1; i <= 3; i++ {
		clock.WaitForTimers(t, 1)
		clock.Advance(15*time.Second - time.Millisecond)
		n.none(t)
		clock.Advance(time.Millisecond)
		m := n.next(t)
		if m.state != "WATCHDOG=1" || !m.at.Equal(start.Add(time.Duration(i)*15*time.Second)) {
			t.Fatalf("ping %d: %q at +%s, want WATCHDOG=1 at +%ds", i, m.state, m.at.Sub(start), i*15)
		}
	}
	if c := checks.Load(); c != 3 {
		t.Errorf("%d health checks for 3 pings", c)
	}
}

func TestWatchdog_SkipsPingWhenUnhealthy(t *testing.T) {
	clock := plugintest.NewClock()
	n := newFakeNotifier(clock)
	logs := &syncBuffer{}
	var failure atomic.Pointer[error]
	runWatchdog(t, &systemd.Watchdog{Clock: clock, Every: 10 * time.Second, Timeout: 5 * time.Second,
		Check: func(context.Context) error {
			if e := failure.Load(); e != nil {
				return *e
			}
			return nil
		},
		Notify: n.notify, Logger: slog.New(slog.NewJSONHandler(logs, nil)), Status: "STATUS=ready: till API on 127.0.0.1:8765"})
	tick := func() notifyMsg {
		t.Helper()
		clock.WaitForTimers(t, 1)
		clock.Advance(10 * time.Second)
		return n.next(t)
	}
	if m := tick(); m.state != "WATCHDOG=1" {
		t.Fatalf("healthy: %q", m.state)
	}
	journalDown := errors.New("journal: sqlite: check /var/lib/sbpd/sbpd.db: disk I/O error")
	failure.Store(&journalDown)
	for i := 0; i < 2; i++ {
		m := tick()
		if m.has("WATCHDOG=1") || m.state != "STATUS=unhealthy: "+journalDown.Error() {
			t.Fatalf("unhealthy: %q, want no ping and the reason in STATUS", m.state)
		}
	}
	if c := strings.Count(logs.String(), `"level":"WARN","msg":"watchdog: sbpd cannot take payments`); c != 2 {
		t.Errorf("%d warnings for 2 skipped pings:\n%s", c, logs)
	}
	if !strings.Contains(logs.String(), "disk I/O error") {
		t.Errorf("the warning does not say why:\n%s", logs)
	}
	failure.Store(nil)
	if m := tick(); m.state != "WATCHDOG=1\nSTATUS=ready: till API on 127.0.0.1:8765" {
		t.Fatalf("healthy again: %q", m.state)
	}
	if m := tick(); m.state != "WATCHDOG=1" {
		t.Fatalf("still healthy: %q", m.state)
	}
}

// A check that hangs (a journal stuck in I/O, a deadlocked engine) is given
// up after Timeout and not started again while it hangs.
func TestWatchdog_HungCheck(t *testing.T) {
	clock := plugintest.NewClock()
	n := newFakeNotifier(clock)
	release := make(chan struct{})
	started := make(chan int, 4)
	var calls atomic.Int32
	runWatchdog(t, &systemd.Watchdog{Clock: clock, Every: 10 * time.Second, Timeout: 5 * time.Second,
		Check: func(context.Context) error {
			c := int(calls.Add(1))
			started <- c
			if c == 1 {
				<-release // hung: deaf to its context
			}
			return nil
		},
		Notify: n.notify, Logger: slog.New(slog.DiscardHandler), Status: "STATUS=ready"})
	t.Cleanup(func() {
		select {
		case <-release:
		default:
			close(release)
		}
	})
	start := clock.Now()

	clock.WaitForTimers(t, 1)
	clock.Advance(10 * time.Second)
	<-started
	clock.WaitForTimers(t, 1) // the check's timeout
	clock.Advance(5*time.Second - time.Millisecond)
	n.none(t)
	clock.Advance(time.Millisecond)
	if m := n.next(t); m.has("WATCHDOG=1") || !strings.Contains(m.state, "did not answer within 5s") || !m.at.Equal(start.Add(15*time.Second)) {
		t.Fatalf("hung check: %q at +%s", m.state, m.at.Sub(start))
	}

	clock.WaitForTimers(t, 1)
	clock.Advance(10 * time.Second)
	if m := n.next(t); m.has("WATCHDOG=1") || !strings.Contains(m.state, "still hung") {
		t.Fatalf("still hung: %q", m.state)
	}
	if c := calls.Load(); c != 1 {
		t.Fatalf("%d checks started while the first hangs", c)
	}

	// Once the hung check returns, the next tick checks afresh and pings.
	// (Until its goroutine has handed its answer over, a tick still finds
	// it hung.)
	// How many ticks that takes depends on the scheduler (a loaded CI
	// machine), so the bound is the wall clock, not a count of ticks.
	close(release)
	for deadline := time.Now().Add(30 * time.Second); ; {
		clock.WaitForTimers(t, 1)
		clock.Advance(10 * time.Second)
		m := n.next(t)
		if m.state == "WATCHDOG=1\nSTATUS=ready" {
			break
		}
		if !strings.Contains(m.state, "still hung") || time.Now().After(deadline) {
			t.Fatalf("after the hung check returned: %q", m.state)
		}
		runtime.Gosched()
	}
	if c := calls.Load(); c != 2 {
		t.Fatalf("%d checks, want 2", c)
	}
}

// The health check on a real daemon: fine while it serves; failing when
// the till API stops answering or the journal is gone.
func TestWatchdog_Check(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	t.Run("healthy", func(t *testing.T) {
		h := newE2E(t)
		if err := watchdogCheck(h.d)(ctx); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("till API down", func(t *testing.T) {
		h := newE2E(t)
		h.d.api.Close()
		if err := watchdogCheck(h.d)(ctx); err == nil || !strings.Contains(err.Error(), "till API") {
			t.Fatalf("got %v, want a till API error", err)
		}
	})
	t.Run("journal closed", func(t *testing.T) {
		h := newE2E(t)
		h.d.DB.Close()
		if err := watchdogCheck(h.d)(ctx); err == nil || !strings.HasPrefix(err.Error(), "journal: ") {
			t.Fatalf("got %v, want a journal error", err)
		}
	})
}

// serve's systemd link, in-process, on the daemon's fake clock.
func TestSystemd_Link(t *testing.T) {
	t.Run("no NOTIFY_SOCKET", func(t *testing.T) {
		t.Setenv("NOTIFY_SOCKET", "")
		t.Setenv("WATCHDOG_USEC", "200000")
		h := newE2E(t)
		logs := &syncBuffer{}
		link := systemd.NewLink(slog.New(slog.NewJSONHandler(logs, nil)))
		link.Starting()
		stop := link.Ready(h.d.Addr(), h.d.Clock, watchdogCheck(h.d))
		link.Stopping(nil)
		stop()
		if logs.String() != "" {
			t.Errorf("logged without systemd:\n%s", logs)
		}
	})
	t.Run("NOTIFY_SOCKET gone", func(t *testing.T) {
		t.Setenv("NOTIFY_SOCKET", filepath.Join(t.TempDir(), "gone"))
		t.Setenv("WATCHDOG_USEC", "200000")
		h := newE2E(t)
		logs := &syncBuffer{}
		link := systemd.NewLink(slog.New(slog.NewJSONHandler(logs, nil)))
		link.Starting()
		stop := link.Ready(h.d.Addr(), h.d.Clock, watchdogCheck(h.d))
		link.Stopping(nil)
		stop()
		if c := strings.Count(logs.String(), "cannot notify systemd"); c != 1 {
			t.Errorf("%d warnings, want one:\n%s", c, logs)
		}
	})
	t.Run("ready, watchdog, stopping", func(t *testing.T) {
		ns := newNotifySocket(t, nil)
		t.Setenv("NOTIFY_SOCKET", ns.path)
		t.Setenv("WATCHDOG_USEC", "30000000") // WatchdogSec=30
		t.Setenv("WATCHDOG_PID", fmt.Sprint(os.Getpid()))
		h := newE2E(t)
		link := systemd.NewLink(slog.New(slog.DiscardHandler))
		link.Starting()
		stop := link.Ready(h.d.Addr(), h.d.Clock, watchdogCheck(h.d))
		defer stop()
		ready := ns.wait(t, "READY=1", 0, 1)
		if !ns.msg(ready).has("STATUS=ready: till API on " + h.d.Addr()) {
			t.Errorf("READY=1 datagram %q", ns.msg(ready).state)
		}
		// Other timers of the daemon share the clock: move it on in steps
		// of a ping until two pings have come.
		deadline := time.Now().Add(10 * time.Second)
		for len(ns.indexes("WATCHDOG=1", ready)) < 2 {
			if time.Now().After(deadline) {
				t.Fatalf("no two pings on the daemon's clock: %q", ns.states(0))
			}
			h.clock.Advance(15 * time.Second)
			time.Sleep(5 * time.Millisecond)
		}
		stop()
		link.Stopping(nil)
		ns.wait(t, "STOPPING=1", ready, 1)
	})
	t.Run("watchdog for another process", func(t *testing.T) {
		ns := newNotifySocket(t, nil)
		t.Setenv("NOTIFY_SOCKET", ns.path)
		t.Setenv("WATCHDOG_USEC", "200000")
		t.Setenv("WATCHDOG_PID", fmt.Sprint(os.Getpid()+1))
		h := newE2E(t)
		link := systemd.NewLink(slog.New(slog.DiscardHandler))
		stop := link.Ready(h.d.Addr(), h.d.Clock, watchdogCheck(h.d))
		defer stop()
		ns.wait(t, "READY=1", 0, 1)
		// No watchdog loop: only the engine's and the HTTP server's timers
		// could be pending, and no ping comes however far the clock goes.
		h.clock.Advance(time.Minute)
		time.Sleep(20 * time.Millisecond)
		if w := ns.indexes("WATCHDOG=1", 0); len(w) != 0 {
			t.Errorf("pinged the watchdog of pid %s: %q", os.Getenv("WATCHDOG_PID"), ns.states(0))
		}
	})
}

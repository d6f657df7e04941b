package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"time"

	sd "github.com/coreos/go-systemd/v22/daemon"

	"github.com/sbpd/sbpd/plugin"
)

// sbpd under systemd (packaging/sbpd.service: Type=notify, WatchdogSec):
//
//   - STATUS=starting… before the journal opens;
//   - READY=1 once Daemon.Open has returned: the journal is open and every
//     unfinished payment has been reconciled with PayMaster;
//   - WATCHDOG=1 every half WatchdogSec, but only while the daemon can take
//     a payment (watchdogCheck); a hung daemon stops pinging and systemd
//     kills and restarts it;
//   - STOPPING=1 on SIGTERM/SIGINT, before the daemon closes.
//
// Without NOTIFY_SOCKET (sbpd run by hand, in a container, in tests) every
// one of these does nothing.

// systemdLink is sbpd's side of systemd's notify protocol.
type systemdLink struct {
	// notify sends one datagram of newline-separated assignments; sent is
	// false when there is no NOTIFY_SOCKET. daemon.SdNotify by default.
	notify func(state string) (sent bool, err error)
	logger *slog.Logger
	failed bool // a notification failed already: warn once
}

func newSystemdLink(logger *slog.Logger) *systemdLink {
	return &systemdLink{
		// The environment stays as it is: the watchdog and STOPPING=1 need
		// NOTIFY_SOCKET later, and sbpd starts no processes that could
		// inherit it.
		notify: func(state string) (bool, error) { return sd.SdNotify(false, state) },
		logger: logger,
	}
}

// send tells systemd the assignments and reports whether it was told. A
// failure is logged, never returned: systemd's bookkeeping must not stop a
// payment daemon.
func (s *systemdLink) send(assignments ...string) (sent bool) {
	sent, err := s.notify(strings.Join(assignments, "\n"))
	if err != nil && !s.failed {
		s.failed = true
		s.logger.Warn("cannot notify systemd (NOTIFY_SOCKET)", "state", assignments[0], "error", err)
	}
	return sent && err == nil
}

// sdStatus is a STATUS= assignment (one line: shown by systemctl status).
func sdStatus(format string, args ...any) string {
	return "STATUS=" + strings.Join(strings.Fields(fmt.Sprintf(format, args...)), " ")
}

// starting is said before the journal opens: reconciling unfinished
// payments can take one PayMaster request each.
func (s *systemdLink) starting() {
	s.send(sdStatus("starting: opening the journal and reconciling unfinished payments with PayMaster"))
}

// ready tells systemd READY=1 (call it once Daemon.Open has returned) and
// starts the watchdog pings if systemd asked for them. stop ends the pings
// and waits for them to end.
func (s *systemdLink) ready(d *Daemon) (stop func()) {
	line := sdStatus("ready: till API on %s", d.Addr())
	if !s.send(sd.SdNotifyReady, line) {
		return func() {} // not run by systemd (or it cannot be told): no watchdog either
	}
	// WatchdogSec, from WATCHDOG_USEC (and WATCHDOG_PID, when set, must be
	// sbpd's pid).
	every, err := sd.SdWatchdogEnabled(false)
	if err != nil {
		s.logger.Warn("systemd watchdog settings not understood; not pinging it", "error", err)
		return func() {}
	}
	if every <= 0 {
		return func() {}
	}
	every = max(every, 4*time.Millisecond)
	w := &watchdog{
		Clock:   d.Clock,
		Every:   every / 2,
		Timeout: every / 4, // a ping is never more than 3/4 WatchdogSec after the last one
		Check:   watchdogCheck(d),
		Notify:  func(state string) error { _, err := s.notify(state); return err },
		Logger:  s.logger,
		Status:  line,
	}
	s.logger.Info("systemd watchdog on", "watchdog_sec", every.Seconds(), "ping_every", w.Every.String())
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		w.run(ctx)
	}()
	return func() {
		cancel()
		<-done
	}
}

// stopping tells systemd STOPPING=1: the daemon is about to close.
func (s *systemdLink) stopping(err error) {
	line := sdStatus("stopping: payments in progress resume at the next start")
	if err != nil {
		line = sdStatus("stopping: %v", err)
	}
	s.send(sd.SdNotifyStopping, line)
}

// watchdog pings systemd's watchdog every Every while Check says the daemon
// is healthy. When Check fails, or does not answer within Timeout, the ping
// is skipped and a warning logged: if that goes on for WatchdogSec, systemd
// kills sbpd and starts it again.
type watchdog struct {
	Clock   plugin.Clock
	Every   time.Duration
	Timeout time.Duration
	Check   func(ctx context.Context) error
	Notify  func(state string) error
	Logger  *slog.Logger
	Status  string // the STATUS= line of a healthy daemon, said again when health comes back

	pending <-chan error // a check that outlived its Timeout and has not returned yet
}

// run pings until ctx is done.
func (w *watchdog) run(ctx context.Context) {
	healthy, notifyOK := true, true
	for {
		t := w.Clock.NewTimer(w.Every)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.Chan():
		}
		err := w.probe(ctx)
		if ctx.Err() != nil {
			return
		}
		state := sd.SdNotifyWatchdog
		switch {
		case err != nil:
			healthy = false
			w.Logger.Warn("watchdog: sbpd cannot take payments; not pinging systemd, which restarts sbpd if this goes on", "error", err)
			state = sdStatus("unhealthy: %v", err)
		case !healthy:
			healthy = true
			w.Logger.Info("watchdog: sbpd is healthy again")
			state += "\n" + w.Status
		}
		if err := w.Notify(state); err != nil {
			if notifyOK {
				w.Logger.Warn("watchdog: cannot notify systemd", "error", err)
			}
			notifyOK = false
		} else {
			notifyOK = true
		}
	}
}

// probe runs Check, bounded by Timeout on the daemon's clock. A check that
// does not return is not started again until it does: a hung journal must
// not pile up goroutines.
func (w *watchdog) probe(ctx context.Context) error {
	if w.pending != nil {
		select {
		case <-w.pending:
			w.pending = nil
		default:
			return errors.New("the previous health check is still hung")
		}
	}
	cctx, cancel := context.WithCancel(ctx)
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- w.Check(cctx) }()
	t := w.Clock.NewTimer(w.Timeout)
	defer t.Stop()
	select {
	case err := <-done:
		return err
	case <-t.Chan():
		w.pending = done
		return fmt.Errorf("the health check did not answer within %s", w.Timeout)
	case <-ctx.Done():
		return ctx.Err()
	}
}

// watchdogCheck says whether d can take a payment: the journal answers
// through the writer's connection (a cheap read, not /healthz's integrity
// check of the whole file), the flow engine answers (a deadlock
// holding its lock hangs the check) and the till API accepts a new
// connection and serves a request. PayMaster and the printer are not asked:
// restarting sbpd would not bring them back, and /healthz reports them.
func watchdogCheck(d *Daemon) func(ctx context.Context) error {
	client := &http.Client{Transport: &http.Transport{
		Proxy:             nil, // the till API is ours: never through a proxy
		DisableKeepAlives: true,
	}}
	return func(ctx context.Context) error {
		if err := d.DB.Ping(ctx); err != nil {
			return fmt.Errorf("journal: %w", err)
		}
		if !d.Engine.Ready() {
			return errors.New("the payment flow is not ready")
		}
		// The kiosk screen's state: served by the till API's server, needs
		// no token and touches neither PayMaster nor the printer.
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, d.URL()+"/screen/current.json", nil)
		if err != nil {
			return fmt.Errorf("till API: %w", err)
		}
		resp, err := client.Do(req)
		if err != nil {
			return fmt.Errorf("till API: %w", err)
		}
		io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return fmt.Errorf("till API: GET /screen/current.json: HTTP %d", resp.StatusCode)
		}
		return nil
	}
}

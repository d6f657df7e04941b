package systemd

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	sd "github.com/coreos/go-systemd/v22/daemon"

	"github.com/sbpd/sbpd/plugin"
)

// Link is sbpd's side of systemd's notify protocol.
type Link struct {
	// notify sends one datagram of newline-separated assignments; sent is
	// false when there is no NOTIFY_SOCKET. daemon.SdNotify by default.
	notify func(state string) (sent bool, err error)
	logger *slog.Logger
	failed bool // a notification failed already: warn once
}

// NewLink talks to systemd through NOTIFY_SOCKET, logging to logger.
func NewLink(logger *slog.Logger) *Link {
	return &Link{
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
func (s *Link) send(assignments ...string) (sent bool) {
	sent, err := s.notify(strings.Join(assignments, "\n"))
	if err != nil && !s.failed {
		s.failed = true
		s.logger.Warn("cannot notify systemd (NOTIFY_SOCKET)", "state", assignments[0], "error", err)
	}
	return sent && err == nil
}

// Status is a STATUS= assignment (one line: shown by systemctl status).
func Status(format string, args ...any) string {
	return "STATUS=" + strings.Join(strings.Fields(fmt.Sprintf(format, args...)), " ")
}

// Starting is said before the journal opens: reconciling unfinished
// payments can take one PayMaster request each.
func (s *Link) Starting() {
	s.send(Status("starting: opening the journal and reconciling unfinished payments with PayMaster"))
}

// Ready tells systemd READY=1 (call it once the daemon is open and
// listens on addr) and starts the watchdog pings on clock, while check
// says the daemon is healthy, if systemd asked for them. stop ends the
// pings and waits for them to end.
func (s *Link) Ready(addr string, clock plugin.Clock, check func(ctx context.Context) error) (stop func()) {
	line := Status("ready: till API on %s", addr)
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
	w := &Watchdog{
		Clock:   clock,
		Every:   every / 2,
		Timeout: every / 4, // a ping is never more than 3/4 WatchdogSec after the last one
		Check:   check,
		Notify:  func(state string) error { _, err := s.notify(state); return err },
		Logger:  s.logger,
		Status:  line,
	}
	s.logger.Info("systemd watchdog on", "watchdog_sec", every.Seconds(), "ping_every", w.Every.String())
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		w.Run(ctx)
	}()
	return func() {
		cancel()
		<-done
	}
}

// Stopping tells systemd STOPPING=1: the daemon is about to close.
func (s *Link) Stopping(err error) {
	line := Status("stopping: payments in progress resume at the next start")
	if err != nil {
		line = Status("stopping: %v", err)
	}
	s.send(sd.SdNotifyStopping, line)
}

// Watchdog pings systemd's watchdog every Every while Check says the daemon
// is healthy. When Check fails, or does not answer within Timeout, the ping
// is skipped and a warning logged: if that goes on for WatchdogSec, systemd
// kills sbpd and starts it again.
type Watchdog struct {
	Clock   plugin.Clock
	Every   time.Duration
	Timeout time.Duration
	Check   func(ctx context.Context) error
	Notify  func(state string) error
	Logger  *slog.Logger
	Status  string // the STATUS= line of a healthy daemon, said again when health comes back

	pending <-chan error // a check that outlived its Timeout and has not returned yet
}

// Run pings until ctx is done.
func (w *Watchdog) Run(ctx context.Context) {
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
			state = Status("unhealthy: %v", err)
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
func (w *Watchdog) probe(ctx context.Context) error {
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

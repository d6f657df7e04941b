package config_test

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"testing"

	"github.com/sbpd/sbpd/config"
	"github.com/sbpd/sbpd/plugin/plugintest"
)

// versioned is a VersionedStore in memory.
type versioned struct {
	config.MapStore
	version int64
}

func (v *versioned) Version(context.Context) (int64, error) { return v.version, nil }

func (v *versioned) set(key, value string) { v.MapStore[key] = value; v.version++ }

// newWatched is a watcher over till settings that hold PayMaster's
// merchant and token, and the settings it loaded first.
func newWatched(t *testing.T) (*versioned, *config.Watcher, *config.Config) {
	t.Helper()
	till := &versioned{MapStore: config.MapStore{"paymaster.merchant_id": "m1", "paymaster.token": "pm-token-1"}}
	w := config.NewWatcher(config.Options{}, till)
	cur, err := w.Load(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return till, w, cur
}

// Poll returns nothing while nothing changes, the changes once they are
// written, and a rejection, once, for settings that do not validate.
func TestWatcher_Poll(t *testing.T) {
	ctx := context.Background()
	till, w, cur := newWatched(t)
	steps := []struct {
		name     string
		write    func()
		wantDiff string
		wantErr  string
	}{
		{name: "nothing changed"},
		{name: "a change", write: func() { till.set("sbp.poll_interval", "2s") }, wantDiff: "sbp.poll_interval: 3s → 2s"},
		{name: "the same value", write: func() { till.set("sbp.poll_interval", "2s") }},
		{name: "invalid", write: func() { till.set("sbp.qr_mode", "2") }, wantErr: "needs paymaster.sticker_id"},
		{name: "rejected once", write: func() {}},
		{name: "no token", write: func() { delete(till.MapStore, "sbp.qr_mode"); till.set("paymaster.token", "") }, wantErr: "paymaster.token"},
	}
	for _, s := range steps {
		if s.write != nil {
			s.write()
		}
		next, diff, err := w.Poll(ctx, cur)
		if next != nil {
			cur = next
		}
		if got := strings.Join(diff, "\n"); got != s.wantDiff || (err == nil) != (s.wantErr == "") || (err != nil && !strings.Contains(err.Error(), s.wantErr)) {
			t.Fatalf("%s: diff %q err %v", s.name, got, err)
		}
	}
}

// logLines is a slog handler keeping each record as "LEVEL message".
type logLines struct {
	mu    sync.Mutex
	lines []string
}

func (l *logLines) Enabled(context.Context, slog.Level) bool { return true }
func (l *logLines) WithAttrs([]slog.Attr) slog.Handler       { return l }
func (l *logLines) WithGroup(string) slog.Handler            { return l }
func (l *logLines) Handle(_ context.Context, r slog.Record) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.lines = append(l.lines, r.Level.String()+" "+r.Message)
	return nil
}

func (l *logLines) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return strings.Join(l.lines, "\n")
}

// Run hands each valid change to apply once per tick, logs it and the keys
// that need a restart, keeps the settings in force when apply refuses,
// and returns when stopped.
func TestWatcher_Run(t *testing.T) {
	ctx := context.Background()
	till, w, cur := newWatched(t)
	clock := plugintest.NewClock()
	log := &logLines{}
	applied := make(chan *config.Config, 1)
	refuse := errors.New("the engine refuses")
	var refusing bool
	apply := func(c *config.Config) error {
		if refusing {
			return refuse
		}
		applied <- c
		return nil
	}
	stop, done := make(chan struct{}), make(chan struct{})
	go func() { defer close(done); w.Run(ctx, clock, 0, cur, apply, slog.New(log), stop) }()
	tick := func() {
		clock.WaitForTimers(t, 1)
		clock.Advance(config.DefaultEvery)
	}

	till.set("sbp.poll_interval", "2s")
	tick()
	if c := <-applied; c.Value("sbp.poll_interval") != "2s" {
		t.Fatalf("applied poll_interval %s", c.Value("sbp.poll_interval"))
	}
	refusing = true // read by Run only after the next tick
	till.set("listen", "127.0.0.1:9999")
	tick()
	clock.WaitForTimers(t, 1) // the refused change has been handled
	close(stop)
	<-done
	want := "INFO settings changed; they apply from the next payment\n" +
		"WARN settings change rejected; the running settings stay"
	if got := log.String(); got != want {
		t.Errorf("log:\n%s\nwant:\n%s", got, want)
	}
}

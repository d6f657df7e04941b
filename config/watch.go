package config

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"log/slog"
	"os"
	"time"

	"github.com/sbpd/sbpd/plugin"
)

// DefaultEvery is how often Run looks for changed settings.
const DefaultEvery = 2 * time.Second

// VersionedStore is a till store that says when it changed: Version grows
// with every write. drivers/sqlite's Settings is one.
type VersionedStore interface {
	TillStore
	Version(ctx context.Context) (int64, error)
}

// Watcher tells a running daemon when its settings may have changed (the
// template file's content or the till settings' Version) and loads them
// again. The daemon runs it on its clock (Run), which polls between
// payments (Poll).
type Watcher struct {
	opts    Options // every layer; Till is the watched store
	till    VersionedStore
	version int64
	stamp   string
}

// NewWatcher watches the layers of o with till as the till settings.
func NewWatcher(o Options, till VersionedStore) *Watcher {
	o.Till = till
	return &Watcher{opts: o, till: till}
}

// Load reads every layer and remembers what it read for Changed, also when
// the result is not valid, so that a rejected change is reported once. It
// returns a valid Config or an error.
func (w *Watcher) Load(ctx context.Context) (*Config, error) {
	v, err := w.till.Version(ctx)
	if err != nil {
		return nil, err
	}
	stamp := templateStamp(w.opts.Path)
	cfg, err := Open(ctx, w.opts)
	w.version, w.stamp = v, stamp
	return cfg, err
}

// Changed reports whether the template or the till settings have changed
// since the last Load.
func (w *Watcher) Changed(ctx context.Context) (bool, error) {
	v, err := w.till.Version(ctx)
	if err != nil {
		return false, err
	}
	return v != w.version || templateStamp(w.opts.Path) != w.stamp, nil
}

// Poll loads the settings again when they have changed and returns them
// with the changes as Diff lines (secrets masked), or nil, nil, nil when no
// value changed. An error means the new settings were rejected (they do
// not validate, or PayMaster's merchant id or token is missing): log it and
// keep running with cur. Apply the new Config between payments; the keys
// NeedRestart names apply only after a restart.
func (w *Watcher) Poll(ctx context.Context, cur *Config) (*Config, []string, error) {
	changed, err := w.Changed(ctx)
	if err != nil || !changed {
		return nil, nil, err
	}
	next, err := w.Load(ctx)
	if err == nil {
		err = next.RequireRemote()
	}
	if err != nil {
		return nil, nil, fmt.Errorf("the changed settings are rejected, the running ones stay:\n%w", err)
	}
	diff := Diff(cur, next)
	if len(diff) == 0 {
		return nil, nil, nil
	}
	return next, diff, nil
}

// Run looks for changed settings every `every` (DefaultEvery when not
// positive) on clock until stop is closed. cur is the Config in force; a
// change that validates is handed to apply, which may refuse it too, and
// is in force once apply returns nil. Changes, rejections (the running
// settings stay) and the keys that need a restart (NeedRestart) are
// logged.
func (w *Watcher) Run(ctx context.Context, clock plugin.Clock, every time.Duration, cur *Config, apply func(*Config) error, log *slog.Logger, stop <-chan struct{}) {
	if every <= 0 {
		every = DefaultEvery
	}
	for {
		t := clock.NewTimer(every)
		select {
		case <-stop:
			t.Stop()
			return
		case <-t.Chan():
			cur = w.step(ctx, cur, apply, log)
		}
	}
}

// step polls once and returns the Config in force after it.
func (w *Watcher) step(ctx context.Context, cur *Config, apply func(*Config) error, log *slog.Logger) *Config {
	next, diff, err := w.Poll(ctx, cur)
	if err == nil && next != nil {
		err = apply(next)
	}
	if err != nil {
		log.Warn("settings change rejected; the running settings stay", "err", err)
		return cur
	}
	if next == nil {
		return cur
	}
	log.Info("settings changed; they apply from the next payment", "changes", diff)
	if restart := NeedRestart(cur, next); len(restart) > 0 {
		log.Warn("some changed settings take effect only after a restart", "keys", restart)
	}
	return next
}

// templateStamp identifies the template file's content.
func templateStamp(path string) string {
	if path == "" {
		return ""
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return "unreadable: " + err.Error()
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

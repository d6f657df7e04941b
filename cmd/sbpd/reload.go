package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/sbpd/sbpd/config"
	"github.com/sbpd/sbpd/drivers/sqlite"
)

// DefaultReloadEvery is how often the daemon looks for changed settings.
const DefaultReloadEvery = 2 * time.Second

// reload applies changed settings (the template file or the till settings)
// to the next payment: the engine copies its settings when a payment
// starts, so a payment in progress keeps what it started with. A change
// that does not validate is rejected and the running settings stay. Keys
// whose effect is wired at start (the listener, the journal, the PayMaster
// client, the printer) are logged as needing a restart.
func (d *Daemon) reload(ctx context.Context) {
	cur := d.current.Load()
	next, diff, err := d.watch.Poll(ctx, cur)
	if err != nil {
		d.Logger.Warn("settings change rejected; the running settings stay", "err", err)
		return
	}
	if next == nil {
		return
	}
	s := next.Settings()
	s.PrinterReady = d.Printer != nil
	if err := d.Engine.SetSettings(s); err != nil {
		d.Logger.Warn("settings change rejected; the running settings stay", "err", err)
		return
	}
	var restart []string
	for _, k := range config.Changed(cur, next) {
		key, _ := config.Lookup(k)
		if key.Restart || strings.HasPrefix(k, "paymaster.") || strings.HasPrefix(k, "printer.") || k == "api.token" || k == "log.level" {
			restart = append(restart, k)
		}
	}
	d.current.Store(next)
	d.Logger.Info("settings changed; they apply from the next payment", "changes", diff)
	if len(restart) > 0 {
		d.Logger.Warn("some changed settings take effect only after a restart", "keys", restart)
	}
}

// reloadLoop looks for changed settings every ReloadEvery until stop.
func (d *Daemon) reloadLoop(ctx context.Context, stop <-chan struct{}) {
	every := d.ReloadEvery
	if every <= 0 {
		every = DefaultReloadEvery
	}
	for {
		t := d.Clock.NewTimer(every)
		select {
		case <-stop:
			t.Stop()
			return
		case <-t.Chan():
			d.reload(ctx)
		}
	}
}

// settingsWatch tells a running daemon when its settings may have changed
// (the template file's content or the till settings' Version) and loads
// them again. serve polls it between payments; see Poll.
type settingsWatch struct {
	opts    config.Options // every layer; Till is the daemon's till settings
	till    *sqlite.Settings
	version int64
	stamp   string
}

// newSettingsWatch watches the layers of opts with till as the till
// settings; opts.Till is replaced by till.
func newSettingsWatch(opts config.Options, till *sqlite.Settings) *settingsWatch {
	opts.Till = till
	return &settingsWatch{opts: opts, till: till}
}

// Load reads every layer and remembers what it read for Changed, also when
// the result is not valid, so that a rejected change is reported once.
func (w *settingsWatch) Load(ctx context.Context) (*config.Config, error) {
	v, err := w.till.Version(ctx)
	if err != nil {
		return nil, err
	}
	stamp := templateStamp(w.opts.Path)
	cfg, err := config.LoadWith(ctx, w.opts)
	w.version, w.stamp = v, stamp
	return cfg, err
}

// Changed reports whether the template or the till settings have changed
// since the last Load.
func (w *settingsWatch) Changed(ctx context.Context) (bool, error) {
	v, err := w.till.Version(ctx)
	if err != nil {
		return false, err
	}
	return v != w.version || templateStamp(w.opts.Path) != w.stamp, nil
}

// Poll loads the settings again when they have changed and returns them
// with the changes as config.Diff lines (secrets masked), or nil, nil, nil
// when no value changed. An error means the new settings were rejected
// (they do not validate, or PayMaster's merchant id or token is missing):
// log it and keep running with cur. Apply the new Config between payments.
func (w *settingsWatch) Poll(ctx context.Context, cur *config.Config) (*config.Config, []string, error) {
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
	diff := config.Diff(cur, next)
	if len(diff) == 0 {
		return nil, nil, nil
	}
	return next, diff, nil
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

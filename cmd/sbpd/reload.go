package main

import (
	"context"
	"time"

	"github.com/sbpd/sbpd/config"
)

// DefaultReloadEvery is how often the daemon looks for changed settings.
const DefaultReloadEvery = 2 * time.Second

// reload applies changed settings (the template file or the till settings)
// to the next payment: the engine copies its settings when a payment
// starts, so a payment in progress keeps what it started with. A change
// that does not validate is rejected and the running settings stay. Keys
// whose effect is wired at start (config.NeedRestart) are logged as
// needing a restart.
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
	d.current.Store(next)
	d.Logger.Info("settings changed; they apply from the next payment", "changes", diff)
	if restart := config.NeedRestart(cur, next); len(restart) > 0 {
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

package main

import (
	"context"

	"github.com/sbpd/sbpd/config"
)

// applySettings puts changed settings (config.Watcher.Run) in force from
// the next payment: the engine copies its settings when a payment starts,
// so a payment in progress keeps what it started with; delivery goes to a
// changed notify.url at once.
func (d *Daemon) applySettings(next *config.Config) error {
	s := next.Settings()
	s.PrinterReady = d.Printer != nil
	if err := d.Engine.SetSettings(s); err != nil {
		return err
	}
	d.current.Store(next)
	return d.delivery.Apply(context.Background(), notifyTarget(next)) // what waited goes to a new notify.url
}

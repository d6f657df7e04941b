package main

import (
	"context"

	"github.com/sbpd/sbpd/config"
	"github.com/sbpd/sbpd/drivers/notify"
	"github.com/sbpd/sbpd/drivers/sqlite"
)

// The journal's outbox is the deliverer's queue.
var _ notify.Queue = (*sqlite.Outbox)(nil)

// startDelivery delivers final payments from the journal's outbox to
// notify.url, in the background, until d.delivery.Stop (before the
// journal closes); applySettings gives d.delivery a changed notify.*.
// Without notify.url the outbox fills and waits for one.
func (d *Daemon) startDelivery(ctx context.Context) error {
	d.delivery = &notify.Running{New: d.deliverer}
	return d.delivery.Apply(context.WithoutCancel(ctx), notifyTarget(d.Config))
}

// deliverer is the Deliverer of t over the journal's outbox.
func (d *Daemon) deliverer(t notify.Target) *notify.Deliverer {
	dl := &notify.Deliverer{URL: t.URL, Secret: t.Secret, MaxAttempts: t.MaxAttempts, Queue: d.DB.Outbox(), Clock: d.Clock, Logger: d.Logger}
	if d.Metrics != nil {
		dl.Outcome = d.Metrics.Delivery
	}
	return dl
}

// notifyTarget is the notify.* settings of cfg.
func notifyTarget(cfg *config.Config) notify.Target {
	return notify.Target{URL: cfg.Notify.URL, Secret: cfg.Notify.Secret, MaxAttempts: cfg.Notify.MaxAttempts}
}

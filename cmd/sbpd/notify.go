package main

import (
	"context"

	"github.com/sbpd/sbpd/drivers/notify"
	"github.com/sbpd/sbpd/drivers/sqlite"
)

// The journal's outbox is the deliverer's queue.
var _ notify.Queue = (*sqlite.Outbox)(nil)

// startDelivery starts delivering final payments to notify.url from the
// journal's outbox, in the background, until stop is called. Without
// notify.url it does nothing (the outbox still fills, and is sent once a
// URL is set). Call it after the journal is open; call stop before the
// journal is closed.
func (d *Daemon) startDelivery(ctx context.Context) (stop func(), err error) {
	n := d.Config.Notify
	return d.startDeliveryTo(ctx, n.URL, n.Secret, n.MaxAttempts)
}

// startDeliveryTo is startDelivery with the notify settings given.
func (d *Daemon) startDeliveryTo(ctx context.Context, url, secret string, maxAttempts int) (stop func(), err error) {
	dl := &notify.Deliverer{
		URL: url, Secret: secret, MaxAttempts: maxAttempts,
		Queue: d.DB.Outbox(), Clock: d.Clock, Logger: d.Logger,
	}
	if d.Metrics != nil {
		dl.Outcome = d.Metrics.Delivery
	}
	return dl.StartIfSet(context.WithoutCancel(ctx))
}

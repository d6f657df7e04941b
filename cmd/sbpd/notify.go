package main

import (
	"context"
	"time"

	"github.com/sbpd/sbpd/drivers/notify"
	"github.com/sbpd/sbpd/drivers/sqlite"
)

// outboxQueue is the journal's outbox as the deliverer's queue.
type outboxQueue struct{ o *sqlite.Outbox }

var _ notify.Queue = outboxQueue{}

func (q outboxQueue) Due(ctx context.Context, now time.Time, limit int) ([]notify.Delivery, error) {
	due, err := q.o.Due(ctx, now, limit)
	if err != nil {
		return nil, err
	}
	out := make([]notify.Delivery, len(due))
	for i, d := range due {
		out[i] = notify.Delivery{ID: d.ID, Payment: d.Payment, Attempts: d.Attempts}
	}
	return out, nil
}

func (q outboxQueue) NextDue(ctx context.Context) (time.Time, bool, error) { return q.o.NextDue(ctx) }

func (q outboxQueue) MarkDelivered(ctx context.Context, id string, at time.Time) error {
	return q.o.MarkDelivered(ctx, id, at)
}

func (q outboxQueue) MarkFailed(ctx context.Context, id, reason string, nextAt time.Time, exhausted bool) error {
	return q.o.MarkFailed(ctx, id, reason, nextAt, exhausted)
}

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
	if url == "" {
		return func() {}, nil
	}
	dl := &notify.Deliverer{
		URL: url, Secret: secret, MaxAttempts: maxAttempts,
		Queue: outboxQueue{d.DB.Outbox()}, Clock: d.Clock, Logger: d.Logger,
	}
	if d.Metrics != nil {
		dl.Outcome = d.Metrics.Delivery
	}
	if secret == "" {
		d.Logger.Warn("notify.secret is empty: notifications to the accounting system are not signed")
	}
	stop, err = dl.Start(context.WithoutCancel(ctx))
	if err != nil {
		return nil, err
	}
	d.Logger.Info("notify: delivering final payments to the accounting system", "max_attempts", dl.MaxAttempts)
	return stop, nil
}

package main

import (
	"context"
	"errors"
	"fmt"

	"github.com/sbpd/sbpd/drivers/systemd"
)

// watchdogCheck says whether d can take a payment: the journal answers
// through the writer's connection (a cheap read, not /healthz's integrity
// check of the whole file), the flow engine answers (a deadlock
// holding its lock hangs the check) and the till API accepts a new
// connection and serves a request. PayMaster and the printer are not asked:
// restarting sbpd would not bring them back, and /healthz reports them.
func watchdogCheck(d *Daemon) func(ctx context.Context) error {
	tillAPI := systemd.Answers(d.URL() + "/screen/current.json")
	return func(ctx context.Context) error {
		if err := d.DB.Ping(ctx); err != nil {
			return fmt.Errorf("journal: %w", err)
		}
		if !d.Engine.Ready() {
			return errors.New("the payment flow is not ready")
		}
		if err := tillAPI(ctx); err != nil {
			return fmt.Errorf("till API: %w", err)
		}
		return nil
	}
}

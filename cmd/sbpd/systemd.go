package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
)

// watchdogCheck says whether d can take a payment: the journal answers
// through the writer's connection (a cheap read, not /healthz's integrity
// check of the whole file), the flow engine answers (a deadlock
// holding its lock hangs the check) and the till API accepts a new
// connection and serves a request. PayMaster and the printer are not asked:
// restarting sbpd would not bring them back, and /healthz reports them.
func watchdogCheck(d *Daemon) func(ctx context.Context) error {
	client := &http.Client{Transport: &http.Transport{
		Proxy:             nil, // the till API is ours: never through a proxy
		DisableKeepAlives: true,
	}}
	return func(ctx context.Context) error {
		if err := d.DB.Ping(ctx); err != nil {
			return fmt.Errorf("journal: %w", err)
		}
		if !d.Engine.Ready() {
			return errors.New("the payment flow is not ready")
		}
		// The kiosk screen's state: served by the till API's server, needs
		// no token and touches neither PayMaster nor the printer.
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, d.URL()+"/screen/current.json", nil)
		if err != nil {
			return fmt.Errorf("till API: %w", err)
		}
		resp, err := client.Do(req)
		if err != nil {
			return fmt.Errorf("till API: %w", err)
		}
		io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return fmt.Errorf("till API: GET /screen/current.json: HTTP %d", resp.StatusCode)
		}
		return nil
	}
}

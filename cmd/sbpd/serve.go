package main

import (
	"github.com/spf13/cobra"

	"github.com/sbpd/sbpd/display"
	"github.com/sbpd/sbpd/drivers/systemd"
)

func newServeCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Run the daemon: the till API, the kiosk screen and the payment flow",
		Example: `  sbpd serve --config /etc/sbpd/sbpd.yaml
  SBPD_PAYMASTER_TOKEN=… sbpd serve --listen 127.0.0.1:8765`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			// Every layer, the till settings in the journal's database
			// if there is one, is checked before anything is created: a
			// serve that refuses to start leaves no journal behind.
			k, err := openKiosk(cmd)
			if err != nil {
				return err
			}
			cfg, err := k.config()
			if err == nil {
				err = cfg.RequireRemote()
			}
			k.Close()
			if err != nil {
				return err
			}
			d := &Daemon{Config: cfg, Layers: &k.layers, Remote: true, Logger: newLogger(cmd.ErrOrStderr(), cfg.LogLevel)}
			for _, w := range cfg.Warnings() {
				d.Logger.Warn("settings warning", "warning", w)
			}
			closeScreen, err := d.addScreenFlag(cmd)
			if err != nil {
				return err
			}
			defer closeScreen()
			// Under systemd (Type=notify) READY=1 follows Open: the journal
			// is open and unfinished payments are reconciled.
			link := systemd.NewLink(d.Logger)
			link.Starting()
			if err := d.Open(cmd.Context()); err != nil {
				return err
			}
			defer d.Close() // waits for the payment flow to stop writing, then closes the journal
			stopWatchdog := link.Ready(d.Addr(), d.Clock, watchdogCheck(d))
			err = d.Wait(cmd.Context()) // until SIGTERM/SIGINT (main) or the till API fails
			link.Stopping(err)
			stopWatchdog()
			d.Logger.Info("sbpd stopping; payments in progress resume at the next start")
			return err
		},
	}
	cmd.Flags().String("listen", "", "till API address (overrides listen)")
	cmd.Flags().String("screen", display.FlagWeb, `kiosk screen: "web" (the page at /) or "terminal" (the page, and the screen drawn on standard output)`)
	dataDirFlag(cmd.Flags())
	return cmd
}

package main

import (
	"github.com/spf13/cobra"

	"github.com/sbpd/sbpd/config"
	"github.com/sbpd/sbpd/display"
)

func newServeCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Run the daemon: the till API, the kiosk screen and the payment flow",
		Example: `  sbpd serve --config /etc/sbpd/sbpd.yaml
  SBPD_PAYMASTER_TOKEN=… sbpd serve --listen 127.0.0.1:8765`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			path, _ := cmd.Flags().GetString("config")
			layers := config.Options{Path: path, MustExist: cmd.Flags().Changed("config"), Flags: cmd.Flags()}
			// The template, environment and flags give data_dir (a
			// template-only key); the daemon then reads the till settings
			// from the journal's database and validates all the layers.
			base, err := config.LoadWith(cmd.Context(), layers)
			if base == nil {
				return err
			}
			d := &Daemon{Config: base, Layers: &layers, Remote: true, Logger: newLogger(cmd.ErrOrStderr(), base.LogLevel)}
			for _, w := range base.Warnings() {
				d.Logger.Warn("settings warning", "warning", w)
			}
			closeScreen, err := d.addScreenFlag(cmd)
			if err != nil {
				return err
			}
			defer closeScreen()
			// Under systemd (Type=notify) READY=1 follows Open: the journal
			// is open and unfinished payments are reconciled. See systemd.go.
			systemd := newSystemdLink(d.Logger)
			systemd.starting()
			if err := d.Open(cmd.Context()); err != nil {
				return err
			}
			defer d.Close() // waits for the payment flow to stop writing, then closes the journal
			stopWatchdog := systemd.ready(d)
			err = d.Wait(cmd.Context()) // until SIGTERM/SIGINT (main) or the till API fails
			systemd.stopping(err)
			stopWatchdog()
			d.Logger.Info("sbpd stopping; payments in progress resume at the next start")
			return err
		},
	}
	cmd.Flags().String("listen", "", "till API address (overrides listen)")
	cmd.Flags().String("screen", display.FlagWeb, `kiosk screen: "web" (the page at /) or "terminal" (the page, and the screen drawn on standard output)`)
	cmd.Flags().String("data_dir", "", "journal directory (overrides data_dir)")
	return cmd
}

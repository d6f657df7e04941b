package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"

	"github.com/spf13/cobra"

	"github.com/sbpd/sbpd/config"
	"github.com/sbpd/sbpd/drivers/metrics"
	"github.com/sbpd/sbpd/drivers/serial"
	"github.com/sbpd/sbpd/drivers/tillapi"
	"github.com/sbpd/sbpd/plugin"
	"github.com/sbpd/sbpd/printer"
)

// printerOptions turns the printer.* settings into printer.Options.
func printerOptions(cfg *config.Config) printer.Options {
	return printer.Options{
		Codepage:          cfg.Printer.Codepage,
		QR:                cfg.Printer.QR,
		QRModule:          cfg.Printer.QRModule,
		Width:             cfg.Printer.Width,
		CancelChineseMode: cfg.Printer.CancelChineseMode,
	}
}

// serialLockDir is where the printer's lock file goes; "" is the
// driver's default (/run/lock). Tests point it at a temporary directory.
var serialLockDir = ""

// newLazyPort is the printer's serial port, opened on first use.
func newLazyPort(cfg *config.Config, tune func(*serial.Options)) *serial.Lazy {
	o := serial.Options{Path: cfg.Printer.Port, Baud: cfg.Printer.Baud, LockDir: serialLockDir}
	if tune != nil {
		tune(&o)
	}
	return serial.NewLazy(o)
}

// printerHealth is the daemon's receipt printer's (metrics.AskPrinter:
// not_configured without printer.port).
func (d *Daemon) printerHealth(ctx context.Context) metrics.PrinterHealth {
	return metrics.AskPrinter(ctx, d.Printer, d.printerPort)
}

func newPrinterCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "printer",
		Short: "Check and test the receipt printer (mode 0)",
	}
	dataDirFlag(cmd.PersistentFlags())
	cmd.AddCommand(&cobra.Command{
		Use:   "status",
		Short: "Ask the receipt printer for its status (online, cover, paper)",
		Example: `  sbpd printer status --config /etc/sbpd/sbpd.yaml
  sbpd printer status --json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			cfg, err := loadForPrinter(cmd, false) // without printer.port: not_configured
			if err != nil {
				return err
			}
			h := askPrinter(cmd.Context(), cfg)
			if asJSON, _ := cmd.Flags().GetBool("json"); asJSON {
				err = json.NewEncoder(cmd.OutOrStdout()).Encode(h)
			} else if h.Status != plugin.PrinterNotConfigured {
				fmt.Fprintf(cmd.OutOrStdout(), "printer %s: %s (%s)\n", h.Port, h.Status, h.State)
			}
			if !h.CanPrint() {
				return h.Refusal()
			}
			return err
		},
	})
	cmd.Commands()[0].Flags().Bool("json", false, "print the status as JSON")
	cmd.AddCommand(&cobra.Command{
		Use:   "test",
		Short: "Print a test slip and a code-table probe to pick printer.codepage",
		Long: `test prints a test slip with the settings in use and a sample QR, then the
Cyrillic alphabet under each candidate ESC t value (6, 7, 17, 46, 59, 73),
labelled. The line that reads as Russian is the right printer.codepage.
The daemon holds the port while it runs: stop it first.`,
		Example: `  systemctl stop sbpd && sbpd printer test && systemctl start sbpd`,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			cfg, err := loadForPrinter(cmd, true)
			if err != nil {
				return err
			}
			port := newLazyPort(cfg, nil)
			defer port.Close()
			p := printer.New(port, printerOptions(cfg))
			if err := p.PrintTest(cmd.Context()); err != nil {
				if plugin.ErrorReason(err) == plugin.PrinterBusy {
					return fmt.Errorf("%w: the running daemon holds %s; stop it to print a test slip", err, cfg.Printer.Port)
				}
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "test slip sent to %s\n", cfg.Printer.Port)
			return nil
		},
	})
	return cmd
}

// loadForPrinter reads every layer of the settings, the till settings in
// the journal's database included; needPort refuses them without
// printer.port.
func loadForPrinter(cmd *cobra.Command, needPort bool) (*config.Config, error) {
	k, err := openKiosk(cmd)
	if err != nil {
		return nil, err
	}
	defer k.Close()
	cfg, err := k.config()
	if err != nil {
		return nil, err
	}
	if needPort && cfg.Printer.Port == "" {
		return nil, (plugin.PrinterHealth{Status: plugin.PrinterNotConfigured}).Refusal()
	}
	return cfg, nil
}

// askPrinter asks the printer; when the running daemon holds the port, it
// asks the daemon's /healthz instead, at the address the till API gives
// (loopback for a daemon on every interface).
func askPrinter(ctx context.Context, cfg *config.Config) metrics.PrinterHealth {
	port := newLazyPort(cfg, nil)
	defer port.Close()
	return metrics.AskPrinterOrDaemon(ctx, printer.New(port, printerOptions(cfg)), cfg.Printer.Port, http.DefaultClient, tillapi.BaseURL(cfg.Listen), cfg.APIToken)
}

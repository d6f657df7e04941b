package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/spf13/cobra"

	"github.com/sbpd/sbpd/config"
	"github.com/sbpd/sbpd/drivers/serial"
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

// lazyPort opens the serial port on first use and again after it could
// not be opened, so that a printer unplugged at boot does not stop sbpd:
// the payment falls back to the screen and the next one tries again.
// Once open, drivers/serial reopens the device itself after I/O errors.
type lazyPort struct {
	opts serial.Options

	mu   sync.Mutex
	port *serial.Port
}

var _ printer.Port = (*lazyPort)(nil)

func (l *lazyPort) get() (*serial.Port, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.port == nil {
		p, err := serial.Open(l.opts)
		if err != nil {
			return nil, err
		}
		l.port = p
	}
	return l.port, nil
}

func (l *lazyPort) Write(b []byte) (int, error) {
	p, err := l.get()
	if err != nil {
		return 0, err
	}
	return p.Write(b)
}

func (l *lazyPort) Read(b []byte) (int, error) {
	p, err := l.get()
	if err != nil {
		return 0, err
	}
	return p.Read(b)
}

func (l *lazyPort) SetReadTimeout(d time.Duration) error {
	p, err := l.get()
	if err != nil {
		return err
	}
	return p.SetReadTimeout(d)
}

func (l *lazyPort) Drain() error {
	p, err := l.get()
	if err != nil {
		return err
	}
	return p.Drain()
}

func (l *lazyPort) ResetInputBuffer() error {
	p, err := l.get()
	if err != nil {
		return err
	}
	return p.ResetInputBuffer()
}

func (l *lazyPort) Close() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.port == nil {
		return nil
	}
	err := l.port.Close()
	l.port = nil
	return err
}

func newLazyPort(cfg *config.Config) *lazyPort {
	return &lazyPort{opts: serial.Options{Path: cfg.Printer.Port, Baud: cfg.Printer.Baud}}
}

// printerReport is the printer's part of /healthz and `sbpd printer status`.
func printerReport(ctx context.Context, p *printer.Printer, port string) map[string]any {
	if p == nil {
		return map[string]any{"status": "not_configured"}
	}
	st, err := p.Status(ctx)
	report := map[string]any{"port": port, "state": st.String()}
	switch {
	case err != nil:
		report["status"] = plugin.ErrorReason(err)
		report["error"] = err.Error()
	case st.Reason() != "":
		report["status"] = st.Reason()
	default:
		report["status"] = "ok"
		if st.PaperNearEnd {
			report["status"] = "paper_near_end"
		}
	}
	return report
}

func newPrinterCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "printer",
		Short: "Check and test the receipt printer (mode 0)",
	}
	cmd.AddCommand(&cobra.Command{
		Use:   "status",
		Short: "Ask the receipt printer for its status (online, cover, paper)",
		Example: `  sbpd printer status --config /etc/sbpd/sbpd.yaml
  sbpd printer status --json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			cfg, err := loadForPrinter(cmd)
			if err != nil {
				return err
			}
			asJSON, _ := cmd.Flags().GetBool("json")
			report, err := printerStatus(cmd.Context(), cfg)
			if err != nil {
				return err
			}
			if asJSON {
				return json.NewEncoder(cmd.OutOrStdout()).Encode(report)
			}
			fmt.Fprintf(cmd.OutOrStdout(), "printer %v: %v (%v)\n", report["port"], report["status"], report["state"])
			if report["status"] != "ok" && report["status"] != "paper_near_end" {
				return fmt.Errorf("the printer cannot print: %v", report["status"])
			}
			return nil
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
			cfg, err := loadForPrinter(cmd)
			if err != nil {
				return err
			}
			port := newLazyPort(cfg)
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

func loadForPrinter(cmd *cobra.Command) (*config.Config, error) {
	path, _ := cmd.Flags().GetString("config")
	cfg, err := config.Load(path, cmd.Flags().Changed("config"), nil)
	if err != nil {
		return nil, err
	}
	if cfg.Printer.Port == "" {
		return nil, errors.New("printer.port is not set: no receipt printer is configured")
	}
	return cfg, nil
}

// printerStatus asks the printer; when the running daemon holds the port,
// it asks the daemon's /healthz instead.
func printerStatus(ctx context.Context, cfg *config.Config) (map[string]any, error) {
	port := newLazyPort(cfg)
	defer port.Close()
	report := printerReport(ctx, printer.New(port, printerOptions(cfg)), cfg.Printer.Port)
	if report["status"] != plugin.PrinterBusy {
		return report, nil
	}
	req, _ := http.NewRequestWithContext(ctx, "GET", "http://"+cfg.Listen+"/healthz", nil)
	if cfg.APIToken != "" {
		req.Header.Set("Authorization", "Bearer "+cfg.APIToken)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return report, nil // busy, and no daemon to ask: say busy
	}
	defer resp.Body.Close()
	var health struct {
		Printer map[string]any `json:"printer"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&health); err != nil || health.Printer == nil {
		return report, nil
	}
	health.Printer["via"] = "daemon"
	return health.Printer, nil
}

package main

import (
	"fmt"
	"net/http"
	"os/exec"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/sbpd/sbpd/config"
	"github.com/sbpd/sbpd/display"
	"github.com/sbpd/sbpd/display/demo"
	"github.com/sbpd/sbpd/drivers/paymaster/sandbox"
	"github.com/sbpd/sbpd/drivers/tillapi"
	"github.com/sbpd/sbpd/printer"
)

// demoSticker is the cash-link sticker the demo's sandbox knows (mode 2).
const demoSticker = "d3m0571c4e12"

func newDemoCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "demo",
		Short: "Run sbpd against a built-in PayMaster sandbox and open the demo page",
		Long: `demo runs the whole daemon on embedded defaults: the PayMaster sandbox
in-process, a fresh journal in a temporary directory (removed when the demo
stops) and the kiosk screen.
Open the printed address: start a payment as the till would, then pay or
decline it as the shopper's bank would, and watch the kiosk screen.`,
		Example: `  go run ./cmd/sbpd demo
  sbpd demo --listen 127.0.0.1:9000 --mode 2 --open`,
		Args: cobra.NoArgs,
		RunE: runDemo,
	}
	cmd.Flags().String("listen", "127.0.0.1:8765", "address of the demo page, the screen and the till API")
	cmd.Flags().String("data-dir", "", "where the demo keeps its journal (default: a new directory for each run, removed when it stops)")
	cmd.Flags().Int("mode", 1, "QR mode: 0 printed on the receipt (a virtual printer writing to a file), 1 QR on screen, 2 NFC/QR sticker")
	cmd.Flags().Duration("status-timeout", 30*time.Second, "how long before the Retry/Cancel dialog (shorter than in production so you can see it)")
	cmd.Flags().Bool("open", false, "open the demo page in a browser")
	cmd.Flags().String("screen", display.FlagWeb, `kiosk screen: "web" (the page at /) or "terminal" (also drawn on standard output)`)
	return cmd
}

func runDemo(cmd *cobra.Command, args []string) error {
	f := cmd.Flags()
	open, _ := f.GetBool("open")

	token, merchant := sandbox.RandomCredentials()
	// The bank's controls are served on the demo's own address, behind the
	// till API's browser rules; the sandbox's port serves only PayMaster's API.
	sb := sandbox.New(sandbox.Options{Token: token, MerchantID: merchant, Stickers: []string{demoSticker},
		APIOnly: true})
	base, err := sb.Start("127.0.0.1:0")
	if err != nil {
		return fmt.Errorf("start the PayMaster sandbox: %w", err)
	}
	defer sb.Close()

	cfg, tape, remove, err := demoConfig(f, sb, base)
	if err != nil {
		return err
	}
	defer remove()                  // after d.Close, deferred below
	journal, _ := cfg.JournalPath() // data_dir was just made
	if given, _ := f.GetString("data-dir"); given == "" {
		journal += " (a new directory, removed when the demo stops)"
	}
	d := &Daemon{
		Config:     cfg,
		Embeddable: true, // the demo page shows the kiosk page in a frame
		Logger:     newLogger(cmd.ErrOrStderr(), "info"),
		Routes:     demoRoutes(sb, tape),
	}
	if tape != nil {
		d.PrinterPort = tape
	}
	closeScreen, err := d.addScreenFlag(cmd)
	if err != nil {
		return err
	}
	defer closeScreen()
	if err := d.Open(cmd.Context()); err != nil {
		return err
	}
	defer d.Close()
	url := d.URL() + "/demo"
	printed := ""
	if tape != nil {
		printed = "\n  receipt tape:  " + tape.Path() + " (ESC/POS bytes of every slip)"
	}
	fmt.Fprintf(cmd.OutOrStdout(), `sbpd demo is running.
  demo page:     %s
  kiosk screen:  %s/
  back office:   %s/backoffice/
  till API:      %s/api/v1/payments
  PayMaster sandbox: %s
  journal:       %s%s
Press Ctrl+C to stop.
`, url, d.URL(), d.URL(), d.URL(), base, journal, printed)
	if open {
		exec.Command("xdg-open", url).Start()
	}
	return d.Wait(cmd.Context())
}

// demoConfig is the demo's settings: the built-in defaults, the sandbox at
// base, the flags, a journal directory (config.Demo.MakeDataDir: a new one
// each run unless --data-dir says where, deleted by remove) and, in mode 0,
// the virtual printer's tape. When it fails it has removed what it made.
func demoConfig(f *pflag.FlagSet, sb *sandbox.Server, base string) (cfg *config.Config, tape *printer.Tape, remove func(), err error) {
	d := config.Demo{BaseURL: base, MerchantID: sb.MerchantID(), Token: sb.Token(), StickerID: demoSticker}
	d.Listen, _ = f.GetString("listen")
	d.DataDir, _ = f.GetString("data-dir")
	d.QRMode, _ = f.GetInt("mode")
	d.StatusTimeout, _ = f.GetDuration("status-timeout")
	if remove, err = d.MakeDataDir(); err != nil {
		return nil, nil, nil, err
	}
	defer func() {
		if err != nil {
			remove()
		}
	}()
	if d.QRMode == 0 {
		if tape, err = printer.NewTape(filepath.Join(d.DataDir, "printer-tape.escpos")); err != nil {
			return nil, nil, nil, fmt.Errorf("virtual printer: %w", err)
		}
		d.PrinterPort = tape.Path() // a file: the daemon writes through PrinterPort, never opens it as a serial port
	}
	cfg, err = d.Config()
	return cfg, tape, remove, err
}

// demoRoutes are the demo page, its script and style, the bank's buttons
// (the sandbox's control routes) and the virtual printer tape's counts
// (tape nil: none).
func demoRoutes(sb *sandbox.Server, tape *printer.Tape) map[string]http.Handler {
	var stats func() any
	if tape != nil {
		stats = func() any { return tape.Stats() }
	}
	return demo.Routes(tillapi.DefaultCSP, sb.Handler(), stats)
}

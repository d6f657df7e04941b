package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/google/uuid"
	"github.com/spf13/cobra"

	"github.com/sbpd/sbpd/config"
	"github.com/sbpd/sbpd/display"
	"github.com/sbpd/sbpd/drivers/metrics"
	"github.com/sbpd/sbpd/drivers/notify"
	"github.com/sbpd/sbpd/drivers/paymaster"
	"github.com/sbpd/sbpd/drivers/serial"
	"github.com/sbpd/sbpd/drivers/sqlite"
	"github.com/sbpd/sbpd/drivers/tillapi"
	"github.com/sbpd/sbpd/plugin"
	"github.com/sbpd/sbpd/plugin/backoffice/web"
	"github.com/sbpd/sbpd/printer"
)

// Daemon is sbpd serving one kiosk: the journal, the PayMaster gateway, the
// flow engine, the kiosk screen and the till API, wired together. serve,
// demo and the end-to-end tests all run this.
type Daemon struct {
	Config *config.Config
	Logger *slog.Logger
	Clock  plugin.Clock            // nil: the wall clock
	Routes map[string]http.Handler // extra routes, e.g. the demo page
	// Tune adjusts the PayMaster client before it is built (tests shorten
	// the retry waits).
	Tune func(*paymaster.Config)

	// Layers, when set, are the settings' layers: after the journal is
	// open the daemon reads them all, the till settings in the journal's
	// database included, and watches them for changes (serve). Without it
	// Config is used as it is (demo, tests).
	Layers *config.Options
	// Remote makes a missing PayMaster merchant id or token an error.
	Remote bool
	// ReloadEvery is how often changed settings are looked for (0:
	// config.DefaultEvery).
	ReloadEvery time.Duration
	// SerialTune adjusts the printer's serial port options (tests: the lock
	// directory, a virtual clock for pacing).
	SerialTune func(*serial.Options)
	// PrinterPort, when set, is the receipt printer's link instead of the
	// serial port named by printer.port (the demo's virtual printer).
	PrinterPort printer.Port
	// Limits bound the till API's connections, streams and timeouts; zero
	// fields take tillapi.DefaultLimits (tests make them small).
	Limits tillapi.Limits
	// Embeddable lets the demo page show the kiosk page in a frame.
	Embeddable bool

	DB      *sqlite.DB
	Gateway *metrics.Gateway
	Engine  *plugin.Engine
	Screen  *display.Screen
	// Screens are told about every change besides the kiosk page, e.g. the
	// terminal of --screen terminal.
	Screens []plugin.Screen
	Printer *printer.Printer
	Metrics *metrics.Metrics
	port    interface{ Close() error }

	watch       *config.Watcher
	current     atomic.Pointer[config.Config] // the settings in force; only the reload loop replaces them after Open
	printerPort string
	stopReload  chan struct{}

	api      *tillapi.Serving
	once     sync.Once
	delivery *notify.Running // delivery to the notify.url in force (notify.go)
}

// Open opens the journal, reconciles unfinished payments with PayMaster and
// starts serving. When Open returns nil the daemon is ready; otherwise
// what it opened is closed again.
func (d *Daemon) Open(ctx context.Context) (err error) {
	if d.Logger == nil {
		d.Logger = slog.New(slog.DiscardHandler)
	}
	if d.Clock == nil {
		d.Clock = plugin.RealClock{}
	}
	defer func() {
		if err != nil {
			d.Close()
		}
	}()
	start := time.Now()
	for _, step := range []func(context.Context) error{d.openJournal, d.loadSettings, d.buildEngine, d.serveAPI, d.start} {
		if err := step(ctx); err != nil {
			return err
		}
	}
	cfg := d.Config
	d.Logger.Info("sbpd ready", "listen", d.Addr(), "data_dir", cfg.DataDir, "qr_mode", cfg.SBP.QRMode,
		"paymaster", cfg.PayMaster.BaseURL, "reconcile_ms", time.Since(start).Milliseconds())
	return nil
}

// openJournal makes data_dir, claims the journal (no other daemon runs on it) and opens it.
func (d *Daemon) openJournal(context.Context) error {
	path, err := d.Config.JournalPath()
	if err != nil {
		return err
	}
	db, err := sqlite.CreateExclusive(path)
	if err != nil {
		return err
	}
	d.DB = db
	for _, f := range db.ModeFixes() {
		d.Logger.Warn("journal file was open to other users", "fix", f.String())
	}
	return nil
}

// loadSettings reads every layer, the till settings in the journal
// included, when Layers is set, and starts watching them.
func (d *Daemon) loadSettings(ctx context.Context) error {
	if d.Layers != nil {
		d.watch = config.NewWatcher(*d.Layers, d.DB.Settings())
		full, err := d.watch.Load(ctx)
		if err != nil {
			return err
		}
		// The caller logged the warnings of the settings it gave; the till
		// settings may add some (an http:// notify.url).
		for _, w := range full.Warnings() {
			if !slices.Contains(d.Config.Warnings(), w) {
				d.Logger.Warn("settings warning", "warning", w)
			}
		}
		d.Config = full
	}
	if d.Remote {
		if err := d.Config.RequireRemote(); err != nil {
			return err
		}
	}
	d.current.Store(d.Config)
	d.printerPort = d.Config.Printer.Port
	return nil
}

// buildEngine builds the PayMaster client, the metrics, the flow engine,
// the kiosk screen and the printer.
func (d *Daemon) buildEngine(context.Context) error {
	cfg := d.Config
	gw, err := newPayMaster(cfg, "sbpd", func(c *paymaster.Config) { c.Logger, c.Clock = d.Logger, d.Clock }, d.Tune)
	if err != nil {
		return fmt.Errorf("paymaster: %w", err)
	}
	d.Metrics = metrics.New(metrics.Sources{
		Printer:   func(ctx context.Context) string { return d.printerHealth(ctx).Status },
		Outbox:    d.DB.Outbox().Counts,
		Active:    func() bool { _, ok := d.Engine.Active(); return ok },
		Attention: d.DB.Outbox().Attention,
	}, map[string]string{"version": version, "till_id": cfg.TillID})
	d.Gateway = metrics.NewGateway(gw, d.Clock, d.Metrics)
	eng, err := plugin.NewEngine(d.Gateway, d.DB.Journal(), d.Clock, cfg.Settings())
	if err != nil {
		return err
	}
	eng.Logger, eng.Observer = d.Logger, d.Metrics
	eng.NewID, eng.NewKey = sqlite.NewIDs(d.Clock), uuid.NewString
	d.Screen = display.New()
	d.Screen.Actions, d.Screen.Now = eng, d.Clock.Now // the page's buttons; the clock of expires_at, for its countdown
	d.Screen.LocalOnly = cfg.APIToken != ""           // with a token, the screen answers only this kiosk
	d.Screen.Embeddable, d.Screen.HideCancel, d.Screen.Status = d.Embeddable, !cfg.Screen.CancelButton, tillapi.ErrorStatus
	eng.Screen = append(display.Screens{d.Screen}, d.Screens...)
	if cfg.Printer.Port != "" {
		port := d.PrinterPort
		if port == nil {
			lp := newLazyPort(cfg, d.SerialTune)
			d.port, port = lp, lp
		}
		d.Printer = printer.New(port, printerOptions(cfg))
		eng.Printer = d.Printer
	}
	d.Engine = eng
	return nil
}

// serveAPI listens and serves the till API, the screen and /metrics.
func (d *Daemon) serveAPI(context.Context) error {
	cfg := d.Config
	ln, err := tillapi.Listen(cfg.Listen, cfg.APIToken)
	if err != nil {
		return err
	}
	routes := d.Screen.Routes()
	maps.Copy(routes, d.Routes)
	routes[web.Prefix] = d.backofficeWeb()
	api := &tillapi.Server{
		Payments: d.Engine, Search: d.DB.Journal(), Health: d.health, Token: cfg.APIToken,
		Logger: d.Logger, Extra: routes, Streams: []string{display.EventsPattern},
		Metrics: d.Metrics.Handler(), Listen: cfg.Listen, Hosts: cfg.APIHosts, Limits: d.Limits, Forms: []string{web.Prefix},
	}
	d.api = api.Start(ln)
	return nil
}

// start reconciles unfinished payments, shows the one in progress, starts
// delivery to notify.url and the settings watch.
func (d *Daemon) start(ctx context.Context) error {
	if err := d.Engine.Open(ctx); err != nil {
		return err
	}
	if p, ok := d.Engine.Active(); ok {
		d.Engine.Screen.Show(p) // after a restart the payment in progress is on screen at once
	}
	if err := d.startDelivery(ctx); err != nil {
		return err
	}
	if d.watch != nil {
		d.stopReload = make(chan struct{})
		go d.watch.Run(context.WithoutCancel(ctx), d.Clock, d.ReloadEvery, d.Config, d.applySettings, d.Logger, d.stopReload)
	}
	return nil
}

// addScreenFlag adds the screens asked for by the command's --screen flag
// (the terminal, besides the kiosk page that is always served). The
// returned function closes them once the daemon has stopped.
func (d *Daemon) addScreenFlag(cmd *cobra.Command) (func(), error) {
	value, _ := cmd.Flags().GetString("screen")
	term, err := display.FromFlag(value, cmd.OutOrStdout())
	if err != nil || term == nil {
		return func() {}, err
	}
	d.Screens = append(d.Screens, term)
	return func() { term.Close() }, nil
}

// Addr is the address the till API listens on.
func (d *Daemon) Addr() string {
	if d.api == nil {
		return ""
	}
	return d.api.Addr().String()
}

// URL is the base URL of the till API and the screen.
func (d *Daemon) URL() string { return tillapi.BaseURL(d.Addr()) }

// Wait blocks until the server stops or ctx is done.
func (d *Daemon) Wait(ctx context.Context) error { return d.api.Wait(ctx) }

// Close stops serving, stops the engine (payments in progress stay in the
// journal and resume at the next start) and closes the journal.
func (d *Daemon) Close() error {
	var errs []error
	d.once.Do(func() {
		if d.stopReload != nil {
			close(d.stopReload)
		}
		if d.api != nil {
			d.api.Close()
		}
		if d.Engine != nil {
			errs = append(errs, d.Engine.Close())
		}
		if d.delivery != nil {
			d.delivery.Stop() // before the journal closes
		}
		if d.DB != nil {
			errs = append(errs, d.DB.Close())
		}
		if d.port != nil {
			errs = append(errs, d.port.Close())
		}
	})
	return errors.Join(errs...)
}

// health is /healthz for tillapi: the report's parts by name, and whether
// all is well.
func (d *Daemon) health(ctx context.Context) (map[string]any, bool) {
	h := metrics.CheckHealth(ctx, metrics.HealthSources{
		Journal:   d.DB.Check,
		Stuck:     d.DB.Outbox().StuckCount,
		Notify:    func() bool { return d.current.Load().Notify.URL != "" },
		PayMaster: d.Gateway.Health,
		Printer:   d.printerHealth,
		Ready:     d.Engine.Ready,
		Active:    d.Engine.Active,
	})
	return h.Parts(), h.OK()
}

package main

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"github.com/google/uuid"
	"github.com/oklog/ulid/v2"
	"github.com/spf13/cobra"

	"github.com/sbpd/sbpd/config"
	"github.com/sbpd/sbpd/display"
	"github.com/sbpd/sbpd/drivers/metrics"
	"github.com/sbpd/sbpd/drivers/paymaster"
	"github.com/sbpd/sbpd/drivers/serial"
	"github.com/sbpd/sbpd/drivers/sqlite"
	"github.com/sbpd/sbpd/drivers/tillapi"
	"github.com/sbpd/sbpd/plugin"
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
	// ReloadEvery is how often changed settings are looked for.
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
	Gateway *watchedGateway
	Engine  *plugin.Engine
	Screen  *display.Screen
	// Screens are told about every change besides the kiosk page, e.g. the
	// terminal of --screen terminal.
	Screens []plugin.Screen
	Printer *printer.Printer
	Metrics *metrics.Metrics
	port    interface{ Close() error }

	watch       *settingsWatch
	current     atomic.Pointer[config.Config] // the settings in force; only the reload loop replaces them after Open
	printerPort string
	stopReload  chan struct{}

	listener net.Listener
	server   *http.Server
	served   chan error
	once     sync.Once

	cancelStreams context.CancelFunc
	stopDelivery  func() // ends delivery to notify.url (notify.go)
}

// Open opens the journal, reconciles unfinished payments with PayMaster and
// starts serving. When Open returns nil the daemon is ready.
func (d *Daemon) Open(ctx context.Context) error {
	cfg := d.Config
	if d.Logger == nil {
		d.Logger = slog.New(slog.DiscardHandler)
	}
	if d.Clock == nil {
		d.Clock = plugin.RealClock{}
	}
	if err := os.MkdirAll(cfg.DataDir, 0o750); err != nil {
		return fmt.Errorf("data_dir %s: %w", cfg.DataDir, err)
	}
	db, err := sqlite.Open(filepath.Join(cfg.DataDir, "sbpd.db"))
	if err != nil {
		return err
	}
	d.DB = db
	for _, f := range db.ModeFixes() {
		d.Logger.Warn("journal file was open to other users", "fix", f.String())
	}
	if d.Layers != nil {
		d.watch = newSettingsWatch(*d.Layers, db.Settings())
		full, err := d.watch.Load(ctx)
		if err != nil {
			d.Close()
			return err
		}
		// serve logged the warnings of the layers it read; the till
		// settings may add some (an http:// notify.url).
		told := map[string]bool{}
		for _, w := range cfg.Warnings() {
			told[w] = true
		}
		for _, w := range full.Warnings() {
			if !told[w] {
				d.Logger.Warn("settings warning", "warning", w)
			}
		}
		d.Config, cfg = full, full
	}
	if d.Remote {
		if err := cfg.RequireRemote(); err != nil {
			d.Close()
			return err
		}
	}
	d.current.Store(cfg)
	d.printerPort = cfg.Printer.Port
	pmc := paymaster.Config{
		BaseURL: cfg.PayMaster.BaseURL, MerchantID: cfg.PayMaster.MerchantID, Token: cfg.PayMaster.Token,
		TestMode: cfg.PayMaster.TestMode, Timeout: cfg.PayMaster.Timeout, Logger: d.Logger,
		UserAgent: "sbpd/" + version, Clock: d.Clock,
	}
	if d.Tune != nil {
		d.Tune(&pmc)
	}
	gw, err := paymaster.New(pmc)
	if err != nil {
		d.Close()
		return fmt.Errorf("paymaster: %w", err)
	}
	d.Gateway = &watchedGateway{Gateway: gw, clock: d.Clock}
	eng, err := plugin.NewEngine(d.Gateway, db.Journal(), d.Clock, cfg.Settings())
	if err != nil {
		d.Close()
		return err
	}
	eng.Logger = d.Logger
	entropy := ulid.Monotonic(rand.Reader, 0)
	var idMu sync.Mutex
	eng.NewID = func() string {
		idMu.Lock()
		defer idMu.Unlock()
		return ulid.MustNew(ulid.Timestamp(d.Clock.Now()), entropy).String()
	}
	eng.NewKey = func() string { return uuid.NewString() }
	d.Screen = display.New()
	d.Screen.Actions = eng                  // the page's Повторить/Отменить, limited to the dialog on show
	d.Screen.LocalOnly = cfg.APIToken != "" // with a token, the screen answers only this kiosk
	d.Screen.Embeddable = d.Embeddable
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
	d.Metrics = metrics.New(metrics.Sources{
		Printer: func(ctx context.Context) string {
			s, _ := printerReport(ctx, d.Printer, d.printerPort)["status"].(string)
			return s
		},
		Outbox: db.Outbox().Counts,
		Active: func() bool { _, ok := eng.Active(); return ok },
	}, map[string]string{"version": version, "till_id": cfg.TillID})
	eng.Observer = d.Metrics
	d.Gateway.metrics = d.Metrics

	ln, err := tillapi.Listen(cfg.Listen, cfg.APIToken)
	if err != nil {
		d.Close()
		return err
	}
	d.listener = ln
	routes := d.Screen.Routes()
	for p, h := range d.Routes {
		routes[p] = h
	}
	api := &tillapi.Server{
		Payments: eng,
		Search:   db.Journal(),
		Health:   d.health,
		Token:    cfg.APIToken,
		Logger:   d.Logger,
		Extra:    routes,
		Streams:  []string{display.EventsPattern},
		Metrics:  d.Metrics.Handler(),
		Listen:   cfg.Listen,
		Hosts:    cfg.APIHosts,
		Limits:   d.Limits,
	}
	baseCtx, cancelStreams := context.WithCancel(context.Background())
	d.cancelStreams = cancelStreams
	d.server = api.HTTPServer()
	d.server.BaseContext = func(net.Listener) context.Context { return baseCtx }
	d.served = make(chan error, 1)
	go func() { d.served <- d.server.Serve(api.Listener(ln)) }()

	start := time.Now()
	if err := eng.Open(ctx); err != nil {
		d.Close()
		return err
	}
	if p, ok := eng.Active(); ok {
		eng.Screen.Show(p) // after a restart the payment in progress is on screen at once
	}
	stopDelivery, err := d.startDelivery(ctx)
	if err != nil {
		d.Close()
		return err
	}
	d.stopDelivery = stopDelivery
	if d.watch != nil {
		d.stopReload = make(chan struct{})
		go d.reloadLoop(context.WithoutCancel(ctx), d.stopReload)
	}
	d.Logger.Info("sbpd ready", "listen", d.Addr(), "data_dir", cfg.DataDir, "qr_mode", cfg.SBP.QRMode,
		"paymaster", cfg.PayMaster.BaseURL, "reconcile_ms", time.Since(start).Milliseconds())
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
	if d.listener == nil {
		return ""
	}
	return d.listener.Addr().String()
}

// URL is the base URL of the till API and the screen.
// An address on every interface (0.0.0.0, [::]) is reached at loopback:
// it is no address to send a request to, and not a Host sbpd answers.
func (d *Daemon) URL() string {
	addr := d.Addr()
	if host, port, err := net.SplitHostPort(addr); err == nil {
		if ip := net.ParseIP(host); ip != nil && ip.IsUnspecified() {
			addr = net.JoinHostPort("127.0.0.1", port) // [::] takes IPv4 too
		}
	}
	return "http://" + addr
}

// Wait blocks until the server stops or ctx is done.
func (d *Daemon) Wait(ctx context.Context) error {
	select {
	case <-ctx.Done():
		return nil
	case err := <-d.served:
		if errors.Is(err, http.ErrServerClosed) {
			return nil
		}
		return err
	}
}

// Close stops serving, stops the engine (payments in progress stay in the
// journal and resume at the next start) and closes the journal.
func (d *Daemon) Close() error {
	var errs []error
	d.once.Do(func() {
		if d.stopReload != nil {
			close(d.stopReload)
		}
		if d.server != nil {
			d.cancelStreams() // end event streams so Shutdown need not wait for them
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
			d.server.Shutdown(ctx)
			cancel()
			d.server.Close()
		}
		if d.Engine != nil {
			errs = append(errs, d.Engine.Close())
		}
		if d.stopDelivery != nil {
			d.stopDelivery() // before the journal closes
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

// health is /healthz: the journal, PayMaster's last answer, the printer.
func (d *Daemon) health(ctx context.Context) (map[string]any, bool) {
	ok := true
	journal := map[string]any{"status": "ok"}
	if err := d.DB.Check(ctx); err != nil {
		journal = map[string]any{"status": "error", "error": err.Error()}
		ok = false
	}
	report := map[string]any{
		"journal":   journal,
		"paymaster": d.Gateway.status(),
		"printer":   printerReport(ctx, d.Printer, d.printerPort),
		"engine":    map[string]any{"ready": d.Engine.Ready()},
	}
	if !d.Engine.Ready() {
		ok = false
	}
	notify := map[string]any{"status": "not_configured"}
	if d.current.Load().Notify.URL != "" {
		notify["status"] = "ok"
	}
	if stuck, err := d.DB.Outbox().Stuck(ctx); err != nil {
		notify = map[string]any{"status": "error", "error": err.Error()}
	} else if len(stuck) > 0 {
		// Paid, but the accounting system was never told: a person must
		// look (sbpd journal stuck). The daemon itself is fine.
		notify = map[string]any{"status": "stuck", "stuck_paid": len(stuck)}
	}
	report["notify"] = notify
	if p, active := d.Engine.Active(); active {
		report["active_payment"] = map[string]any{"id": p.ID, "check_id": p.CheckID, "state": p.State}
	}
	return report, ok
}

// watchedGateway remembers PayMaster's last answer for /healthz and counts
// the calls for /metrics.
type watchedGateway struct {
	*paymaster.Gateway
	clock   plugin.Clock
	metrics *metrics.Metrics // nil: not counted

	mu      sync.Mutex
	lastOK  time.Time
	lastErr time.Time
	errMsg  string
}

func (w *watchedGateway) note(endpoint string, start time.Time, err error) {
	if w.metrics != nil {
		w.metrics.PayMasterCall(endpoint, err, time.Since(start))
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if err == nil || plugin.ErrorCode(err) == plugin.ERejected || plugin.ErrorCode(err) == plugin.ENotFound {
		w.lastOK = w.clock.Now() // PayMaster answered
		return
	}
	w.lastErr, w.errMsg = w.clock.Now(), err.Error()
}

func (w *watchedGateway) status() map[string]any {
	w.mu.Lock()
	defer w.mu.Unlock()
	s := map[string]any{"status": "unknown"}
	switch {
	case w.lastOK.IsZero() && w.lastErr.IsZero():
	case w.lastErr.After(w.lastOK):
		s = map[string]any{"status": "unreachable", "since": w.lastErr.UTC(), "error": w.errMsg}
	default:
		s = map[string]any{"status": "ok", "last_answer": w.lastOK.UTC()}
	}
	return s
}

func (w *watchedGateway) CreatePayment(ctx context.Context, req plugin.CreateRequest) (plugin.Remote, error) {
	start := time.Now()
	r, err := w.Gateway.CreatePayment(ctx, req)
	w.note("create", start, err)
	return r, err
}

func (w *watchedGateway) GetPayment(ctx context.Context, id string) (plugin.Remote, error) {
	start := time.Now()
	r, err := w.Gateway.GetPayment(ctx, id)
	w.note("get", start, err)
	return r, err
}

func (w *watchedGateway) CancelPayment(ctx context.Context, id string) error {
	start := time.Now()
	err := w.Gateway.CancelPayment(ctx, id)
	w.note("cancel", start, err)
	return err
}

func (w *watchedGateway) FindPayment(ctx context.Context, orderNo string, around time.Time) (plugin.Remote, bool, error) {
	start := time.Now()
	r, ok, err := w.Gateway.FindPayment(ctx, orderNo, around)
	w.note("find", start, err)
	return r, ok, err
}

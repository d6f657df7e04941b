package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/url"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/sbpd/sbpd/config"
	"github.com/sbpd/sbpd/drivers/paymaster"
	"github.com/sbpd/sbpd/drivers/sqlite"
	"github.com/sbpd/sbpd/plugin"
	"github.com/sbpd/sbpd/plugin/doctor"
)

// doctorLimits bound the whole run to about 15 s even when PayMaster
// black-holes the connection; the checks run in parallel. Tests shorten
// them.
var doctorLimits = struct {
	payMasterTry time.Duration // one PayMaster request (one retry after it)
	payMaster    time.Duration // every PayMaster call together
	local        time.Duration // the printer, the journal, the disk, each
	check        time.Duration // any one check, whatever it waits for
}{payMasterTry: 5 * time.Second, payMaster: 12 * time.Second, local: 10 * time.Second, check: 15 * time.Second}

// diskFree is the space an unprivileged process may use in dir; tests
// replace it.
var diskFree = doctor.DiskFree

func newDoctorCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "doctor",
		Short: "Check this kiosk's settings, PayMaster, sticker, printer, journal, disk and clock",
		Long: `doctor runs the checklist a field technician needs, in a few seconds, and
prints one line per check: OK, WARN (works, needs attention), FAIL (payments
fail or will fail) or SKIP (not used here, or waits for another fix), with
what was found and how to fix it.

  Settings             the template file and SBPD_ variables load and validate
                       (WARN: e.g. an http:// notify.url to another host)
  PayMaster reachable  PayMaster answers at paymaster.base_url (DNS, TLS, timeout, refused)
  PayMaster token      PayMaster accepts paymaster.token and paymaster.merchant_id
                       (a read-only call: the last minute's payments; never a payment)
  Cash-link sticker    sbp.qr_mode 2: paymaster.sticker_id exists, is a cash link and is Active
  Printer              printer.port is set: the printer answers status (via the running
                       daemon when it holds the port)
  Journal              data_dir/sbpd.db passes SQLite's integrity check, and it and
                       its -wal and -shm are not open to other users (a looser mode
                       is tightened and reported)
  Disk space           free space in data_dir (WARN under 100 MB, FAIL under 10 MB)
  Clock                the local clock against PayMaster's (WARN over 1 min, FAIL over 5 min)

Secrets (paymaster.token, api.token, notify.secret, the user and password in
notify.url) are never printed.
The exit status is 1 when any check FAILs, 0 otherwise (WARN included).`,
		Example: `  sbpd doctor
  sbpd doctor --config /etc/sbpd/sbpd.yaml
  sbpd doctor --json | jq '.checks[] | select(.status != "ok")'`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			path, _ := cmd.Flags().GetString("config")
			asJSON, _ := cmd.Flags().GetBool("json")
			return loadKiosk(path, cmd.Flags().Changed("config")).report(cmd.Context(), cmd.OutOrStdout(), asJSON)
		},
	}
	cmd.Flags().Bool("json", false, `print {"ok": bool, "checks": [{"name","status","message","fix"}]} for fleet tooling`)
	return cmd
}

// kioskSettings is a kiosk's settings as doctor and the PayMaster probe
// read them: every layer, the till settings from an existing journal.
type kioskSettings struct {
	path      string
	withTill  bool           // the till settings in the journal's database were read
	cfg       *config.Config // nil when the settings do not load at all
	cfgErr    error
	secrets   []string
	modeFixes []sqlite.ModeFix // loose journal modes found (and tightened) reading the till settings
}

func loadKiosk(path string, mustExist bool) *kioskSettings {
	d := &kioskSettings{path: path}
	ctx := context.Background()
	layers := config.Options{Path: path, MustExist: mustExist}
	d.cfg, d.cfgErr = config.LoadWith(ctx, layers)
	// The till's own settings live in the journal's database: read them
	// when there is one; an empty file is not opened, as that would make
	// it a journal. One that does not open leaves the template's view;
	// the Journal check says why.
	if d.cfg != nil {
		if ok, _ := doctor.JournalState(doctor.JournalFile(d.cfg.DataDir)); ok {
			if db, err := sqlite.Open(doctor.JournalFile(d.cfg.DataDir)); err == nil {
				d.modeFixes, layers.Till = db.ModeFixes(), db.Settings()
				if cfg, err := config.LoadWith(ctx, layers); cfg != nil {
					d.cfg, d.cfgErr, d.withTill = cfg, err, true
				}
				db.Close()
			}
		}
	}
	if d.cfg != nil && d.cfgErr == nil {
		d.cfgErr = d.cfg.RequireRemote()
	}
	if d.cfg != nil {
		d.secrets = append([]string{d.cfg.PayMaster.Token, d.cfg.APIToken, d.cfg.Notify.Secret}, urlCredentials(d.cfg.Notify.URL)...)
	}
	return d
}

// urlCredentials are the password in raw, or its user when there is no
// password (a token as the user), as they may appear in a message.
func urlCredentials(raw string) []string {
	u, err := url.Parse(raw)
	if err != nil || u.User == nil {
		return nil
	}
	if p, ok := u.User.Password(); ok {
		return []string{p, url.QueryEscape(p)}
	}
	return []string{u.User.Username()}
}

// badNeeds lists the keys of needs that the settings' problems name.
func (d *kioskSettings) badNeeds(needs []string) []string { return d.settings().BadAmong(needs) }

// redact cuts every secret out of s, whatever printed it.
func (d *kioskSettings) redact(s string) string {
	for _, secret := range d.secrets {
		if len(secret) >= 4 {
			s = strings.ReplaceAll(s, secret, "[REDACTED]")
		}
	}
	return s
}

// report runs the checklist and prints each result in order as soon as it
// and those above it are done, or all of them as JSON; it returns an
// error when any check failed.
func (d *kioskSettings) report(ctx context.Context, w io.Writer, asJSON bool) error {
	pmCtx, cancel := context.WithTimeout(ctx, doctorLimits.payMaster)
	defer cancel()
	print := func(r doctor.Result) { printCheck(w, r) }
	if asJSON {
		print = nil
	}
	rep := doctor.Run(ctx, doctor.Checks(pmCtx, d.kiosk()), doctor.Options{Timeout: doctorLimits.check, Redact: d.redact}, print)
	if asJSON {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		if err := enc.Encode(rep); err != nil {
			return err
		}
	}
	return rep.Err()
}

// printCheck writes "FAIL  Name: message — fix"; a message of several
// lines continues indented, and its fix goes on a line of its own.
func printCheck(w io.Writer, r doctor.Result) {
	lines := strings.Split(r.Message, "\n")
	fmt.Fprintf(w, "%-4s  %s: %s", strings.ToUpper(string(r.Status)), r.Name, lines[0])
	for _, l := range lines[1:] {
		fmt.Fprintf(w, "\n      %s", l)
	}
	switch {
	case r.Fix == "":
	case len(lines) > 1:
		fmt.Fprintf(w, "\n      fix: %s", r.Fix)
	default:
		fmt.Fprintf(w, " — %s", r.Fix)
	}
	fmt.Fprintln(w)
}

func countNoun(n int, one, many string) string { return doctor.CountNoun(n, one, many) }

// settings is how the settings loaded, with config's typed problems and
// the layer that holds each value.
func (d *kioskSettings) settings() doctor.Settings {
	s := doctor.Settings{Loaded: d.cfg != nil, LoadErr: d.cfgErr, Template: d.path, WithTill: d.withTill}
	for _, p := range config.Problems(d.cfgErr) {
		s.Problems = append(s.Problems, doctor.Problem{Key: p.Key, Message: p.Message})
	}
	if d.cfg == nil {
		return s
	}
	s.TemplateRead = d.cfg.Template() != ""
	s.Warnings = d.cfg.Warnings()
	s.Where = func(key string) doctor.Where {
		o := d.cfg.Origin(key)
		k, _ := config.Lookup(key)
		return doctor.Where{Layer: doctor.Layer(o.Layer), File: o.File, Var: o.Var, Secret: k.Secret, TemplateOnly: k.TemplateOnly}
	}
	return s
}

// kiosk is what the checks look at, with the drivers behind them.
func (d *kioskSettings) kiosk() *doctor.Kiosk {
	k := &doctor.Kiosk{Settings: d.settings(), Version: version, PayMasterTry: doctorLimits.payMasterTry, LocalLimit: doctorLimits.local,
		DiskFree: diskFree, OpenJournal: openDoctorJournal}
	if d.cfg == nil {
		return k
	}
	c := d.cfg
	k.BaseURL, k.MerchantID, k.StickerID, k.QRMode = c.PayMaster.BaseURL, c.PayMaster.MerchantID, c.PayMaster.StickerID, c.SBP.QRMode
	k.PrinterPort, k.PrinterBaud, k.DataDir = c.Printer.Port, c.Printer.Baud, c.DataDir
	k.ModeFixes = doctorModeFixes(d.modeFixes)
	k.PayMaster = func() (doctor.PayMaster, error) {
		merchant, token := c.PayMaster.MerchantID, c.PayMaster.Token
		if merchant == "" || token == "" { // reachability does not need them: a refusal is an answer too
			merchant, token = "00000000-0000-0000-0000-000000000000", "sbpd-doctor-no-token"
		}
		gw, err := paymaster.New(paymaster.Config{BaseURL: c.PayMaster.BaseURL, MerchantID: merchant, Token: token, TestMode: c.PayMaster.TestMode,
			Timeout: doctorLimits.payMasterTry, RetryMax: 1, RetryWaitMin: 200 * time.Millisecond, RetryWaitMax: time.Second,
			UserAgent: "sbpd-doctor/" + version})
		return doctorPayMaster{gw}, err
	}
	k.Printer = func(ctx context.Context) (doctor.PrinterReport, error) {
		r, err := printerStatus(ctx, c)
		str := func(key string) string { s, _ := r[key].(string); return s }
		return doctor.PrinterReport{Status: str("status"), State: str("state"), Error: str("error"), ViaDaemon: str("via") == "daemon"}, err
	}
	return k
}

// doctorPayMaster is the PayMaster driver as the checks see it.
type doctorPayMaster struct{ *paymaster.Gateway }

func (p doctorPayMaster) Sticker(ctx context.Context, id string) (doctor.Sticker, error) {
	st, err := p.Gateway.Sticker(ctx, id)
	return doctor.Sticker{Cashlink: st.Cashlink, Active: st.Active(), Status: st.Status}, err
}

// Explain reads the driver's error codes and reasons.
func (doctorPayMaster) Explain(err error) doctor.Failed {
	f := doctor.Failed{Cause: doctor.Innermost(err), Text: plugin.ErrorReason(err)}
	var ae *paymaster.APIError
	if errors.As(err, &ae) {
		f.HTTPStatus, f.Text = ae.Status, strings.TrimPrefix(ae.Error(), "paymaster: ")
	}
	transport := map[string]doctor.Reason{paymaster.ReasonDNS: doctor.ReasonDNS, paymaster.ReasonTLS: doctor.ReasonTLS,
		paymaster.ReasonTimeout: doctor.ReasonTimeout, paymaster.ReasonRefused: doctor.ReasonRefused, "canceled": doctor.ReasonCanceled,
		paymaster.ReasonNoAnswer: doctor.ReasonNoAnswer, paymaster.ReasonBadAnswer: doctor.ReasonBadAnswer}
	switch reason, code := plugin.ErrorReason(err), plugin.ErrorCode(err); {
	case transport[reason] != "":
		f.Reason = transport[reason]
	case code == plugin.ENotFound:
		f.Reason = doctor.ReasonNotFound
	case code == plugin.EUnavailable:
		f.Reason = doctor.ReasonUnavailable
	case reason == paymaster.ReasonNotAuthorized:
		f.Reason = doctor.ReasonNotAuthorized
	case reason == string(doctor.ReasonInvalid):
		f.Reason = doctor.ReasonInvalid
	default:
		f.Reason = doctor.ReasonRefusal
	}
	return f
}

// doctorJournal is the journal driver as the checks see it.
type doctorJournal struct{ *sqlite.DB }

func (j doctorJournal) ModeFixes() []doctor.ModeFix { return doctorModeFixes(j.DB.ModeFixes()) }

func openDoctorJournal(path string) (doctor.Journal, error) {
	db, err := sqlite.Open(path)
	switch {
	case errors.Is(err, sqlite.ErrSchemaNewer):
		return nil, fmt.Errorf("%w: %w", doctor.ErrJournalNewer, err)
	case errors.Is(err, sqlite.ErrDirNotWritable):
		return nil, fmt.Errorf("%w: %w", doctor.ErrJournalDirReadOnly, err)
	case err != nil:
		return nil, err
	}
	return doctorJournal{db}, nil
}

func doctorModeFixes(fs []sqlite.ModeFix) []doctor.ModeFix {
	out := make([]doctor.ModeFix, len(fs))
	for i, f := range fs {
		out[i] = doctor.ModeFix{Path: f.Path, Mode: f.New, Failed: f.Err != nil, Text: f.String()}
	}
	return out
}

package main

import (
	"context"
	"io"
	"time"

	"github.com/spf13/cobra"

	"github.com/sbpd/sbpd/config"
	"github.com/sbpd/sbpd/drivers/sqlite"
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
	problems  []config.Problem
	cfgErr    error // why cfg is nil, or the problems as an error
	secrets   []string
	modeFixes []sqlite.ModeFix // loose journal modes found (and tightened) reading the till settings
}

func loadKiosk(path string, mustExist bool) *kioskSettings {
	d := &kioskSettings{path: path}
	ctx := context.Background()
	layers := config.Options{Path: path, MustExist: mustExist}
	cfg, ps, err := config.Resolve(ctx, layers)
	// The till's own settings live in the journal's database: read them
	// when there is one; an empty file is not opened, as that would make
	// it a journal. One that does not open leaves the template's view;
	// the Journal check says why.
	if cfg != nil {
		if ok, _ := doctor.JournalState(doctor.JournalFile(cfg.DataDir)); ok {
			if db, err := sqlite.Open(doctor.JournalFile(cfg.DataDir)); err == nil {
				d.modeFixes, layers.Till = db.ModeFixes(), db.Settings()
				if withTill, tillPs, err := config.Resolve(ctx, layers); err == nil {
					cfg, ps, d.withTill = withTill, tillPs, true
				}
				db.Close()
			}
		}
	}
	if cfg != nil && len(ps) == 0 {
		ps = config.Problems(cfg.RequireRemote())
	}
	d.cfg, d.problems, d.cfgErr = cfg, ps, err
	if err == nil && len(ps) > 0 {
		d.cfgErr = &config.ValidationError{Problems: ps}
	}
	if cfg != nil {
		d.secrets = cfg.Secrets()
	}
	return d
}

// badNeeds lists the keys of needs that the settings' problems name.
func (d *kioskSettings) badNeeds(needs []string) []string { return d.settings().BadAmong(needs) }

// redact cuts every secret out of s, whatever printed it.
func (d *kioskSettings) redact(s string) string { return doctor.Redactor(d.secrets)(s) }

// report runs the checklist and prints each result in order as soon as it
// and those above it are done, or all of them as JSON; it returns an
// error when any check failed.
func (d *kioskSettings) report(ctx context.Context, w io.Writer, asJSON bool) error {
	pmCtx, cancel := context.WithTimeout(ctx, doctorLimits.payMaster)
	defer cancel()
	print := func(r doctor.Result) { doctor.WriteResult(w, r) }
	if asJSON {
		print = nil
	}
	rep := doctor.Run(ctx, doctor.Checks(pmCtx, d.kiosk()), doctor.Options{Timeout: doctorLimits.check, Redact: d.redact}, print)
	if asJSON {
		if err := rep.WriteJSON(w); err != nil {
			return err
		}
	}
	return rep.Err()
}

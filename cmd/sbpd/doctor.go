package main

import (
	"context"
	"io"

	"github.com/spf13/cobra"

	"github.com/sbpd/sbpd/config"
	"github.com/sbpd/sbpd/plugin"
	"github.com/sbpd/sbpd/plugin/doctor"
)

// doctorLimits bound a run of doctor's checks; tests shorten them.
var doctorLimits = doctor.DefaultLimits

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

Secrets (paymaster.token, api.token, notify.secret, the user, password and
query of notify.url) are never printed; a guessable api.token is a WARN.
The exit status is 1 when any check FAILs, 0 otherwise (WARN included).`,
		Example: `  sbpd doctor
  sbpd doctor --config /etc/sbpd/sbpd.yaml
  sbpd doctor --json | jq '.checks[] | select(.status != "ok")'`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			asJSON, _ := cmd.Flags().GetBool("json")
			k := inspectKiosk(cmd)
			k.Close() // the Journal check opens it itself
			return k.report(cmd.Context(), cmd.OutOrStdout(), asJSON)
		},
	}
	dataDirFlag(cmd.Flags())
	cmd.Flags().Bool("json", false, `print {"ok": bool, "checks": [{"name","status","message","fix"}]} for fleet tooling`)
	return cmd
}

// diagnosis is what doctor and the probe report about the settings: the
// problems, those a kiosk taking payments would have too (RequireRemote),
// and the error that tells them, or why the settings do not load.
func (k *kiosk) diagnosis() ([]config.Problem, error) {
	if k.cfg == nil {
		return nil, k.loadErr
	}
	return config.ServeProblems(k.cfg, k.problems)
}

// badNeeds lists the keys of needs that the settings' problems name.
func (k *kiosk) badNeeds(needs []string) []string { return k.doctorSettings().BadAmong(needs) }

// redact cuts every secret out of s, whatever printed it.
func (k *kiosk) redact(s string) string { return plugin.Redact(s, k.cfg.Secrets()...) }

// report runs the checklist and prints it (doctor.RunAndWrite); it returns
// an error when any check failed.
func (k *kiosk) report(ctx context.Context, w io.Writer, asJSON bool) error {
	checks, done := doctor.Checks(ctx, k.doctorKiosk())
	defer done()
	return doctor.RunAndWrite(ctx, w, checks, doctor.Options{Timeout: doctorLimits.Check, Secrets: k.cfg.Secrets()}, asJSON)
}

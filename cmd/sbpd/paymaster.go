package main

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/sbpd/sbpd/config"
	"github.com/sbpd/sbpd/drivers/paymaster"
	"github.com/sbpd/sbpd/drivers/paymaster/probe"
	"github.com/sbpd/sbpd/plugin"
)

// probeClock is the probe's clock (its bounded waits for the QR link and
// the cancel); tests replace it.
var probeClock plugin.Clock = plugin.RealClock{}

// newPayMaster is every command's PayMaster client of the settings cfg:
// agent names the command in its User-Agent; each adjust (a command's
// limits, a test's shorter waits; nil is skipped) then changes what it needs.
func newPayMaster(cfg *config.Config, agent string, adjust ...func(*paymaster.Config)) (*paymaster.Gateway, error) {
	pm := cfg.PayMaster
	pmc := paymaster.Config{BaseURL: pm.BaseURL, MerchantID: pm.MerchantID, Token: pm.Token, TestMode: pm.TestMode,
		Timeout: pm.Timeout, UserAgent: agent + "/" + version}
	for _, f := range adjust {
		if f != nil {
			f(&pmc)
		}
	}
	return paymaster.New(pmc)
}

func newPayMasterCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "paymaster",
		Short: "Check this kiosk's PayMaster merchant account",
		Long: `paymaster holds the integrator's tools for the PayMaster account itself;
sbpd doctor covers the daily checks.`,
		Example: "  sbpd paymaster probe --out probe.jsonl",
		Args:    cobra.NoArgs,
	}
	cmd.AddCommand(newPayMasterProbeCmd())
	return cmd
}

func newPayMasterProbeCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "probe",
		Short: "First contact with a merchant account: one test payment, every assumption of the driver checked",
		Long: `probe checks, with this kiosk's settings (the template, sbpd.env, the SBPD_
environment and the till settings, as sbpd doctor reads them), that the
PayMaster account answers the way the driver expects. It:

  - lists the last minute's payments (base URL and token; nothing is created
    if this fails),
  - creates ONE TEST payment of 1,00 ₽ (testMode: true, whatever
    paymaster.test_mode says: never a live payment) with the order number
    <till.id>-PROBE-<unix time> (sbpd journal reconcile skips it),
  - reads it back until its QR link appears (at most 6 reads over 15 s),
  - sends the same create again with the same Idempotency-Key,
  - lists the payments of the last minutes and finds it,
  - cancels it and reads it until it is final (again at most 15 s),
  - sends one deliberately invalid create, to see the error's shape.

It prints one line per assumption of the driver:
  OK  <assumption>                    PayMaster answers as the driver expects
  DIFFERS  <assumption>: <what was seen>  it does not: see docs/paymaster.md
  UNCHECKED  <assumption>: <why>      an earlier step failed, so it was not tried
and exits 1 when any line is not OK. Every payment it made is cancelled before
it exits, also when a step fails or it is interrupted.

--out FILE writes every request and answer as JSON lines (method, path with
query, status, headers, bodies) without the Authorization header, cookies or
the token: attach it to a support ticket, or add it to testdata/paymaster/.`,
		Example: `  sbpd paymaster probe
  sbpd paymaster probe --out /tmp/paymaster-probe.jsonl
  sbpd paymaster probe --config /etc/sbpd/sbpd.yaml --out probe.jsonl`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			out, _ := cmd.Flags().GetString("out")
			return runProbe(cmd, out)
		},
	}
	dataDirFlag(cmd.Flags())
	cmd.Flags().String("out", "", "write the whole exchange as JSON lines to FILE (a new file 0600; secrets removed)")
	return cmd
}

func runProbe(cmd *cobra.Command, outPath string) error {
	stdout := cmd.OutOrStdout()
	d := inspectKiosk(cmd)
	d.Close() // the probe needs only the settings
	_, cfgErr := d.diagnosis()
	if d.cfg == nil {
		return fmt.Errorf("paymaster probe: the settings do not load: %s", d.redact(probe.ErrText(cfgErr)))
	}
	if bad := d.badNeeds(probe.Keys); len(bad) > 0 {
		fmt.Fprintln(stdout, d.redact(strings.TrimSpace(cfgErr.Error())))
		return fmt.Errorf("paymaster probe: fix %s first (sbpd doctor shows how); nothing was sent", strings.Join(bad, ", "))
	}
	pm := d.cfg.PayMaster
	return probe.RunAndWrite(cmd.Context(), stdout, probe.Config{
		BaseURL: pm.BaseURL, MerchantID: pm.MerchantID, Token: pm.Token, TillID: d.cfg.TillID,
		Timeout: pm.Timeout, Clock: probeClock,
	}, !pm.TestMode, outPath, d.redact)
}

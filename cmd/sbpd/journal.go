package main

import (
	"errors"
	"os"

	"github.com/spf13/cobra"

	"github.com/sbpd/sbpd/config"
	"github.com/sbpd/sbpd/drivers/paymaster"
	"github.com/sbpd/sbpd/drivers/sqlite"
	"github.com/sbpd/sbpd/plugin"
	"github.com/sbpd/sbpd/plugin/backoffice"
)

// newJournalCmd is the back office: search, export, manual resolution,
// notification delivery and reconciliation (docs/architecture.md).
func newJournalCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "journal",
		Short: "Search, export and resolve the payment journal",
		Long: `journal works on this kiosk's payment journal (data_dir/sbpd.db), whether the
daemon runs or not: find the payment a shopper complains about, export the
register, resolve a payment by hand, resend a notification, reconcile with
PayMaster.`,
	}
	cmd.AddCommand(journalReadCmds()...)
	cmd.AddCommand(journalActionCmds()...)
	cmd.AddCommand(journalNotifyCmds()...)
	return cmd
}

// actTune adjusts the PayMaster client of the journal's actions (tests:
// short retry waits).
var actTune func(*paymaster.Config)

// backofficeCmd runs cmd with the kiosk's back office (plugin/backoffice)
// over its existing journal, with PayMaster when its settings allow (else
// the service refuses what asks it, as on the web). The daemon may be
// running: SQLite serializes writers.
func backofficeCmd(cmd *cobra.Command, run func(*cobra.Command, *backoffice.Service, []string) error) *cobra.Command {
	dataDirFlag(cmd.Flags())
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		k, db, err := readJournal(cmd)
		if err != nil {
			return err
		}
		defer k.Close()
		svc, _ := backOffice(db, k.cfg)
		return run(cmd, svc, args)
	}
	return cmd
}

// journalService is the back office over the journal db, without PayMaster.
func journalService(db *sqlite.DB) *backoffice.Service {
	return &backoffice.Service{Journal: db.Journal(), Outbox: db.Outbox(), PageSize: plugin.MaxLimit}
}

// backOffice is the kiosk's back office over the journal db with the
// settings cfg, and with their PayMaster client unless the error says why
// not (its acts that ask PayMaster are refused then).
func backOffice(db *sqlite.DB, cfg *config.Config) (*backoffice.Service, error) {
	svc := journalService(db)
	svc.TillID, svc.Secrets, svc.NoNotify = cfg.TillID, cfg.Secrets(), cfg.Notify.URL == ""
	return svc, attachPayMaster(svc, cfg)
}

// attachPayMaster gives svc the PayMaster client of the settings cfg, or
// the reason it cannot (svc.NoPayMaster).
func attachPayMaster(svc *backoffice.Service, cfg *config.Config) error {
	err := cfg.RequireRemote()
	if err == nil {
		var gw *paymaster.Gateway
		if gw, err = newPayMaster(cfg, "sbpd-journal", actTune); err == nil {
			svc.PayMaster, svc.Margin = gw, paymaster.FindWindow
			return nil
		}
	}
	svc.NoPayMaster = svc.Scrub(err.Error())
	return errors.New(svc.NoPayMaster)
}

// who is the person named by --by, else the one behind sudo, else the
// login name.
func who(cmd *cobra.Command) string {
	by, _ := cmd.Flags().GetString("by")
	return backoffice.Who(by, os.Getenv)
}

package main

import (
	"context"
	"errors"
	"fmt"
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
// over its existing journal, and with PayMaster when withPayMaster. The
// daemon may be running: SQLite serializes writers.
func backofficeCmd(cmd *cobra.Command, withPayMaster bool, run func(*cobra.Command, *backoffice.Service, []string) error) *cobra.Command {
	cmd.Flags().String("data-dir", "", "directory of the till's database (overrides data_dir from the template and SBPD_DATA_DIR)")
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		k, err := openKiosk(cmd)
		if err != nil {
			return err
		}
		defer k.Close()
		db, err := k.journal()
		if err != nil {
			return err
		}
		svc := journalService(db)
		svc.TillID, svc.Secrets = k.cfg.TillID, []string{k.cfg.PayMaster.Token, k.cfg.APIToken, k.cfg.Notify.Secret}
		if withPayMaster {
			if err := attachPayMaster(svc, k.cfg); err != nil {
				return err
			}
		}
		return run(cmd, svc, args)
	}
	return cmd
}

// journalService is the back office over the journal db, without PayMaster.
func journalService(db *sqlite.DB) *backoffice.Service {
	return &backoffice.Service{Journal: db.Journal(), Outbox: outboxPort{db.Outbox()}, PageSize: plugin.MaxLimit}
}

// attachPayMaster gives svc the PayMaster client of the settings cfg.
func attachPayMaster(svc *backoffice.Service, cfg *config.Config) error {
	if err := cfg.RequireRemote(); err != nil {
		return fmt.Errorf("PayMaster settings are needed to check the payment: %s", svc.Scrub(err.Error()))
	}
	pmc := paymaster.Config{
		BaseURL: cfg.PayMaster.BaseURL, MerchantID: cfg.PayMaster.MerchantID, Token: cfg.PayMaster.Token,
		TestMode: cfg.PayMaster.TestMode, Timeout: cfg.PayMaster.Timeout, UserAgent: "sbpd-journal/" + version,
	}
	if actTune != nil {
		actTune(&pmc)
	}
	gw, err := paymaster.New(pmc)
	if err != nil {
		return errors.New(svc.Scrub(err.Error()))
	}
	svc.PayMaster, svc.Margin = gw, paymaster.FindWindow
	return nil
}

// who is the person named by --by, else the one behind sudo, else the
// login name.
func who(cmd *cobra.Command) string {
	by, _ := cmd.Flags().GetString("by")
	return backoffice.Who(by, os.Getenv)
}

// outboxPort is the SQLite outbox in the back office's types.
type outboxPort struct{ *sqlite.Outbox }

func (o outboxPort) Status(ctx context.Context, id string) (backoffice.Notice, error) {
	ns, err := o.Outbox.Status(ctx, id)
	n := backoffice.Notice{PaymentID: ns.PaymentID, State: ns.State, EnteredByHand: ns.EnteredByHand,
		EnteredBy: ns.EnteredBy, EnteredReason: ns.EnteredReason, Deliveries: []backoffice.Delivery{}}
	for _, d := range ns.Deliveries {
		n.Deliveries = append(n.Deliveries, backoffice.Delivery(d))
	}
	return n, err
}

func (o outboxPort) Requeue(ctx context.Context, id, who, why string) (backoffice.Delivery, error) {
	d, err := o.Outbox.Requeue(ctx, id, who, why)
	return backoffice.Delivery(d), err
}

func (o outboxPort) Stuck(ctx context.Context) ([]backoffice.Stuck, error) {
	st, err := o.Outbox.Stuck(ctx)
	out := make([]backoffice.Stuck, len(st))
	for i, s := range st {
		out[i] = backoffice.Stuck{Payment: s.Payment, Delivery: backoffice.Delivery(s.Delivery)}
	}
	return out, err
}

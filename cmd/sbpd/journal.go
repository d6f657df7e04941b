package main

import (
	"context"

	"github.com/spf13/cobra"

	"github.com/sbpd/sbpd/drivers/sqlite"
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

// journalService is the back office over the journal db, without PayMaster.
func journalService(db *sqlite.DB) *backoffice.Service {
	return &backoffice.Service{Journal: db.Journal(), Outbox: outboxPort{db.Outbox()}, PageSize: sqlite.MaxLimit}
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

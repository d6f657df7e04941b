package main

import (
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/sbpd/sbpd/plugin"
	"github.com/sbpd/sbpd/plugin/backoffice"
)

// journalActionCmds are the commands that change the journal: manual
// resolution and reconciliation with PayMaster (README's back-office section).
func journalActionCmds() []*cobra.Command {
	return []*cobra.Command{newMarkPaidCmd(), newMarkNotPaidCmd(), newReconcileCmd()}
}

func newMarkPaidCmd() *cobra.Command {
	return newMarkCmd(true, "mark-paid ID --reason TEXT",
		"Mark a payment paid by hand, after PayMaster confirms it",
		`mark-paid records that a payment was paid when sbpd could not learn it, e.g.
the bank's status was lost. ID is our id, an order number or a PayMaster id.
It is for needs_attention or not_paid; one the daemon still watches (creating,
awaiting_payment, status_unknown, canceling) is refused, and so is one paid.

PayMaster is asked first (by the stored PayMaster id, else by the order number):
the payment is marked paid only if PayMaster says Settled for the same amount.
Otherwise, or when PayMaster cannot be reached, nothing changes unless --force
is given; then the journal records that it was forced and what PayMaster said.
The change is an event with who (--by, default $SUDO_USER or $USER) and why
(--reason, required); the state becomes paid, reason manual.`,
		`  sbpd journal mark-paid 01JD2K8Q5X3V9R7T6Y4W2E1A0B --reason "bank confirmed, ticket 4411"
  sbpd journal mark-paid K07-000153-1 --reason "seen in the PayMaster cabinet" --by ivanov --force`)
}

func newMarkNotPaidCmd() *cobra.Command {
	return newMarkCmd(false, "mark-not-paid ID --reason TEXT",
		"Mark a payment that needs attention as not paid, after PayMaster confirms it",
		`mark-not-paid closes a payment in needs_attention as not paid.
ID is our id, an order number or a PayMaster id. A payment the daemon still
watches is refused, and so is a final one.

PayMaster is asked first: if it says Settled (the money arrived) or the payment
is still open there (it may yet be paid), nothing changes unless --force is
given; also when PayMaster cannot be reached. The change is an event with who
(--by) and why (--reason, required); the state becomes not_paid, reason manual.`,
		`  sbpd journal mark-not-paid K07-000153-1 --reason "cancelled in the PayMaster cabinet"`)
}

func newMarkCmd(paid bool, use, short, long, example string) *cobra.Command {
	cmd := backofficeCmd(&cobra.Command{Use: use, Short: short, Long: long, Example: example, Args: cobra.ExactArgs(1)},
		func(cmd *cobra.Command, svc *backoffice.Service, args []string) error {
			return runMark(cmd, svc, paid, args[0])
		})
	cmd.Flags().String("reason", "", "why (required): recorded in the payment's history")
	cmd.Flags().String("by", "", "who decides (default $SUDO_USER or $USER)")
	cmd.Flags().Bool("force", false, "change it even if PayMaster disagrees or cannot be reached (recorded as forced)")
	return cmd
}

func runMark(cmd *cobra.Command, svc *backoffice.Service, paid bool, id string) error {
	m := backoffice.Mark{ID: id, Paid: paid, Who: who(cmd)}
	m.Reason, _ = cmd.Flags().GetString("reason")
	m.Force, _ = cmd.Flags().GetBool("force")
	got, err := svc.Mark(cmd.Context(), m)
	switch plugin.ErrorReason(err) {
	case "":
	case backoffice.RReasonRequired:
		return fmt.Errorf("--reason is required: %s", plugin.ErrorMessage(err))
	case backoffice.RPayMasterDisagrees, backoffice.RPayMasterAsk:
		return fmt.Errorf("%s; if you are sure, repeat with --force", plugin.ErrorMessage(err))
	default:
		return err
	}
	backoffice.WriteMarked(cmd.OutOrStdout(), m, got)
	return nil
}

func newReconcileCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "reconcile --from TIME --to TIME [--apply]",
		Short: "Compare the journal with PayMaster's payments for a period",
		Long: `reconcile lists PayMaster's payments created in the period (the payments
list call) and this kiosk's journal for the same period, matches them by
PayMaster id, else by order number, and reports each difference:

  paid_at_paymaster     Settled at PayMaster, not paid here
  missing_here          at PayMaster (this till's, not sbpd paymaster probe's), no journal row
  unknown_to_paymaster  in the journal with a PayMaster id or a decision, unknown to PayMaster
  amount_mismatch       PayMaster's amount is not the journal's
  status_mismatch       a final state here disagrees with PayMaster's

Payments the daemon still watches are skipped. With --apply, what is safe is
resolved, each as an event by who applied it (--by, default $SUDO_USER or $USER):
needs_attention or not_paid and PayMaster Settled for the same amount become
paid; needs_attention and PayMaster Cancelled or Rejected become not_paid. A
paid payment is never un-paid, active payments and amounts are never changed:
those stay reported for a person (see mark-paid and mark-not-paid).

TIME is RFC 3339 (2025-03-14T10:00:00+03:00), "2025-03-14 10:00" or a date
(local time); a date given to --to includes that whole day.
The exit status is 0 when no differences remain, 1 otherwise.`,
		Example: `  sbpd journal reconcile --from 2025-03-01 --to 2025-03-31
  sbpd journal reconcile --from "2025-03-14 09:00" --to "2025-03-14 18:00" --apply
  sbpd journal reconcile --from 2025-03-14 --to 2025-03-14 --json | jq '.differences[]'`,
		Args: cobra.NoArgs,
	}
	backofficeCmd(cmd, runReconcile)
	cmd.Flags().String("from", "", "start of the period (required)")
	cmd.Flags().String("to", "", "end of the period (required)")
	cmd.Flags().Bool("apply", false, "resolve the safe differences, recording each")
	cmd.Flags().String("by", "", "who applies them (default $SUDO_USER or $USER)")
	cmd.Flags().Bool("json", false, "print the report as JSON")
	return cmd
}

func runReconcile(cmd *cobra.Command, svc *backoffice.Service, _ []string) error {
	fromFlag, _ := cmd.Flags().GetString("from")
	toFlag, _ := cmd.Flags().GetString("to")
	from, to, err := plugin.ParseBoundedPeriod(fromFlag, toFlag, journalZone())
	if fe, ok := errors.AsType[*plugin.FilterError](err); ok {
		return errors.New(fe.Named(func(p string) string { return "--" + p }))
	}
	apply, _ := cmd.Flags().GetBool("apply")
	rep, err := svc.Reconcile(cmd.Context(), from, to, apply, who(cmd))
	if err != nil {
		return fmt.Errorf("reconcile: %w", err)
	}
	if err := jsonOr(cmd, rep, func() error { return backoffice.WriteReport(cmd.OutOrStdout(), rep, apply) }); err != nil {
		return err
	}
	if !rep.OK {
		return fmt.Errorf("reconcile: %s", rep.Remain())
	}
	return nil
}

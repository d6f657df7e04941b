package main

import "github.com/spf13/cobra"

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

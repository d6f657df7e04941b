package main

import (
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/sbpd/sbpd/plugin"
	"github.com/sbpd/sbpd/plugin/backoffice"
)

// journalNotifyCmds are the commands about delivery to the accounting
// system (notify.url): send again, never send, and the list of paid
// payments the accounting system was not told about.
func journalNotifyCmds() []*cobra.Command {
	return []*cobra.Command{
		notifyCmd(&cobra.Command{
			Use:   "resync ID",
			Short: "Send a final payment to the accounting system again",
			Long: `resync queues the notification of a paid or not-paid payment again: the
running daemon sends it to notify.url within a few seconds (with notify.url
not set it waits until it is), with the same delivery id as before (so the
accounting system drops it if it has it already) and a fresh count of
notify.max_attempts tries. Use it for a payment listed by 'sbpd journal stuck'
once the receiver works again. ID is our id, an order number or a PayMaster id.

A payment marked as entered by hand ('sbpd journal mark-entered') is never
sent again, and one not final yet has nothing to send: resync refuses both.`,
			Example: `  sbpd journal resync 01J0Y3V6Q6Z7R8S9T0V1W2X3Y4 --reason "1C was down on Monday"`,
			Args:    cobra.ExactArgs(1),
		}, "why: recorded in the payment's history", runResync),
		notifyCmd(&cobra.Command{
			Use:   "mark-entered ID --reason TEXT",
			Short: "Record that the accounting system has a payment by hand: never send it",
			Long: `mark-entered records that a person entered the payment in the accounting
system by hand, so sbpd never sends it there: a waiting or exhausted
notification is cancelled, resync is refused, and a final state set later
(e.g. by mark-paid) queues nothing. It cannot be undone; who and why are
recorded. ID is our id, an order number or a PayMaster id.`,
			Example: `  sbpd journal mark-entered 01J0Y3V6Q6Z7R8S9T0V1W2X3Y4 --reason "entered in 1C by the accountant, ticket 4417"`,
			Args:    cobra.ExactArgs(1),
		}, "why (required): recorded in the payment's history", runMarkEntered),
		notifyCmd(&cobra.Command{
			Use:   "stuck",
			Short: `List paid payments the accounting system was not told about ("Совершён без оповещения")`,
			Long: `stuck lists the payments that are paid but whose notification to notify.url
failed notify.max_attempts times. The shopper paid; the accounting system does
not know. Fix the receiver and run 'sbpd journal resync ID', or, if someone
entered the payment there by hand, 'sbpd journal mark-entered ID --reason …'.`,
			Example: `  sbpd journal stuck
  sbpd journal stuck --json`,
			Args: cobra.NoArgs,
		}, "", runStuck),
	}
}

// notifyCmd gives cmd its flags (--reason and --by when reason says what
// --reason is for, else --json) and runs run with the back office.
func notifyCmd(cmd *cobra.Command, reason string, run func(*cobra.Command, *backoffice.Service, []string) error) *cobra.Command {
	if reason != "" {
		cmd.Flags().String("by", "", "who decides (default $SUDO_USER or $USER)")
		cmd.Flags().String("reason", "", reason)
	} else {
		cmd.Flags().Bool("json", false, "print JSON instead of a table")
	}
	return backofficeCmd(cmd, run)
}

func runResync(cmd *cobra.Command, svc *backoffice.Service, args []string) error {
	why, _ := cmd.Flags().GetString("reason")
	d, err := svc.Resync(cmd.Context(), args[0], who(cmd), why)
	if err != nil {
		return refusal("resync", err)
	}
	backoffice.WriteResynced(cmd.OutOrStdout(), d, svc.NoNotify)
	return nil
}

func runMarkEntered(cmd *cobra.Command, svc *backoffice.Service, args []string) error {
	why, _ := cmd.Flags().GetString("reason")
	err := svc.MarkEntered(cmd.Context(), args[0], who(cmd), why)
	if plugin.ErrorReason(err) == backoffice.RReasonRequired {
		return fmt.Errorf("mark-entered %s: --reason is required: %s", args[0], plugin.ErrorMessage(err))
	}
	if err != nil {
		return refusal("mark-entered", err)
	}
	fmt.Fprintf(cmd.OutOrStdout(), "payment %s: marked as entered by hand in the accounting system; sbpd will never send it\n", args[0])
	return nil
}

func runStuck(cmd *cobra.Command, svc *backoffice.Service, _ []string) error {
	stuck, err := svc.Stuck(cmd.Context())
	if err != nil {
		return err
	}
	return jsonOr(cmd, stuck, func() error { return backoffice.WriteStuck(cmd.OutOrStdout(), stuck, journalZone()) })
}

// refusal gives a refusal its command's name; a plugin.Error's message is
// already a full sentence.
func refusal(verb string, err error) error {
	var pe *plugin.Error
	if errors.As(err, &pe) {
		return fmt.Errorf("%s refused: %s", verb, pe.Message)
	}
	return fmt.Errorf("%s: %w", verb, err)
}

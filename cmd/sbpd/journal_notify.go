package main

import (
	"errors"
	"fmt"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/sbpd/sbpd/drivers/sqlite"
	"github.com/sbpd/sbpd/plugin"
)

// journalNotifyCmds are the commands about delivery to the accounting
// system (notify.url): send again, never send, and the list of paid
// payments the accounting system was not told about.
func journalNotifyCmds() []*cobra.Command {
	return []*cobra.Command{newResyncCmd(), newMarkEnteredCmd(), newStuckCmd()}
}

func notifyFlags(cmd *cobra.Command, who bool) {
	cmd.Flags().String("data_dir", "", "directory of the till's database (overrides data_dir from the template and SBPD_DATA_DIR)")
	if who {
		cmd.Flags().String("by", "", "who decides (default $SUDO_USER or $USER)")
	}
}

func newResyncCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "resync ID",
		Short: "Send a final payment to the accounting system again",
		Long: `resync queues the notification of a paid or not-paid payment again, as
PayKeeper's "send notification" button does: the running daemon sends it to
notify.url within a few seconds, with the same delivery id as before (so the
accounting system drops it if it has it already) and a fresh count of
notify.max_attempts tries. Use it for a payment listed by 'sbpd journal stuck'
once the receiver works again.

A payment marked as entered by hand ('sbpd journal mark-entered') is never
sent again; resync refuses it. A payment that is not final yet is refused:
resolve it first.`,
		Example: `  sbpd journal resync 01J0Y3V6Q6Z7R8S9T0V1W2X3Y4 --reason "1C was down on Monday"`,
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			db, err := openJournalRead(cmd)
			if err != nil {
				return err
			}
			defer db.Close()
			why, _ := cmd.Flags().GetString("reason")
			d, err := db.Outbox().Requeue(cmd.Context(), args[0], actor(cmd), strings.TrimSpace(why))
			if err != nil {
				return notifyRefusal("resync", err)
			}
			fmt.Fprintf(cmd.OutOrStdout(), "payment %s (%s): notification %s queued again; sbpd serve sends it to notify.url within a few seconds\n",
				d.PaymentID, d.State, d.ID)
			return nil
		},
	}
	notifyFlags(cmd, true)
	cmd.Flags().String("reason", "", "why: recorded in the payment's history")
	return cmd
}

func newMarkEnteredCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "mark-entered ID --reason TEXT",
		Short: "Record that the accounting system has a payment by hand: never send it",
		Long: `mark-entered records that a person entered the payment in the accounting
system by hand, so sbpd never sends it there: a notification waiting or
exhausted is cancelled, resync is refused, and a final state set later (for
example by mark-paid) queues nothing. It cannot be undone. Who and why are
recorded in the payment's history.`,
		Example: `  sbpd journal mark-entered 01J0Y3V6Q6Z7R8S9T0V1W2X3Y4 --reason "entered in 1C by the accountant, ticket 4417"`,
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			why, _ := cmd.Flags().GetString("reason")
			if strings.TrimSpace(why) == "" {
				return fmt.Errorf("mark-entered %s: --reason is required: say who entered it in the accounting system and where", args[0])
			}
			db, err := openJournalRead(cmd)
			if err != nil {
				return err
			}
			defer db.Close()
			if err := db.Outbox().MarkEnteredByHand(cmd.Context(), args[0], actor(cmd), strings.TrimSpace(why)); err != nil {
				return notifyRefusal("mark-entered", err)
			}
			fmt.Fprintf(cmd.OutOrStdout(), "payment %s: marked as entered by hand in the accounting system; sbpd will never send it\n", args[0])
			return nil
		},
	}
	notifyFlags(cmd, true)
	cmd.Flags().String("reason", "", "why (required): recorded in the payment's history")
	return cmd
}

func newStuckCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "stuck",
		Short: `List paid payments the accounting system was not told about ("Совершён без оповещения")`,
		Long: `stuck lists the payments that are paid but whose notification to notify.url
failed notify.max_attempts times. The shopper paid; the accounting system does
not know. Fix the receiver and run 'sbpd journal resync ID', or, if someone
entered the payment there by hand, 'sbpd journal mark-entered ID --reason …'.`,
		Example: `  sbpd journal stuck
  sbpd journal stuck --json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			db, err := openJournalRead(cmd)
			if err != nil {
				return err
			}
			defer db.Close()
			stuck, err := db.Outbox().Stuck(cmd.Context())
			if err != nil {
				return err
			}
			w := cmd.OutOrStdout()
			if asJSON, _ := cmd.Flags().GetBool("json"); asJSON {
				return writeJSON(w, stuckJSON(stuck))
			}
			if len(stuck) == 0 {
				fmt.Fprintln(w, "no stuck payments: every paid payment was delivered, is still being retried, or was entered by hand")
				return nil
			}
			tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
			fmt.Fprintln(tw, "ID\tCHECK\tORDER\tAMOUNT\tPAID AT\tATTEMPTS\tLAST ERROR")
			for _, s := range stuck {
				p := s.Payment
				// What the till and the accounting system sent is shown, never obeyed, by the terminal.
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%d\t%s\n", p.ID, plugin.Printable(p.CheckID), plugin.Printable(p.OrderNo),
					plugin.FormatRoubles(p.Amount), p.UpdatedAt.In(time.Local).Format("2006-01-02 15:04:05"), s.Delivery.Attempts,
					plugin.Printable(oneLine(s.Delivery.LastError, 160)))
			}
			if err := tw.Flush(); err != nil {
				return err
			}
			fmt.Fprintf(w, "\n%d paid payment(s) not notified (Совершён без оповещения): sbpd journal resync ID once the receiver works\n", len(stuck))
			return nil
		},
	}
	notifyFlags(cmd, false)
	cmd.Flags().Bool("json", false, "print JSON instead of a table")
	return cmd
}

// stuckJSON is stuck as printed by --json: never null.
func stuckJSON(s []sqlite.Stuck) []sqlite.Stuck {
	if s == nil {
		return []sqlite.Stuck{}
	}
	return s
}

func oneLine(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	if r := []rune(s); len(r) > n {
		return string(r[:n-1]) + "…"
	}
	return s
}

// notifyRefusal gives a refusal its command's name; a plugin.Error's
// message is already a full sentence.
func notifyRefusal(verb string, err error) error {
	var pe *plugin.Error
	if errors.As(err, &pe) {
		return fmt.Errorf("%s refused: %s", verb, pe.Message)
	}
	return fmt.Errorf("%s: %w", verb, err)
}

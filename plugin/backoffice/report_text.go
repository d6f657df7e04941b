package backoffice

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/sbpd/sbpd/plugin"
)

// The text views of the back office's acts: what `sbpd journal mark-paid`,
// `mark-not-paid`, `reconcile`, `resync` and `stuck` print, and the JSON every
// journal command prints with --json. Every value from outside goes
// through plugin.Printable.

// WriteJSON writes v as indented JSON with control and bidi characters
// escaped (plugin.PrintableJSON) and no HTML escaping.
func WriteJSON(w io.Writer, v any) error {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return err
	}
	_, err := w.Write(plugin.PrintableJSON(buf.Bytes()))
	return err
}

// WriteMarked says what m did: the payment, its new state and who decided,
// what PayMaster said and, if it was forced, why it needed forcing.
func WriteMarked(w io.Writer, m Mark, got Marked) {
	p, state := got.Payment, "not paid"
	if m.Paid {
		state = "paid"
	}
	fmt.Fprintf(w, "payment %s (check %s, order %s, %s ₽) marked %s by %s\n", plugin.Printable(p.ID), plugin.Printable(p.CheckID),
		plugin.Printable(p.OrderNo), plugin.FormatRoubles(p.Amount), state, plugin.Printable(m.Who))
	fmt.Fprintf(w, "  %s\n", plugin.Printable(got.Said))
	if got.Forced != "" {
		fmt.Fprintf(w, "  forced: %s\n", plugin.Printable(got.Forced))
	}
}

// WriteResynced says that the notification d is queued again and when it
// goes: within a few seconds from the running daemon, or, with notify.url
// not set (noNotify), once it is set; nothing is sent before.
func WriteResynced(w io.Writer, d Delivery, noNotify bool) {
	fmt.Fprintf(w, "payment %s (%s): notification %s queued again; ", plugin.Printable(d.PaymentID), plugin.Printable(string(d.State)), plugin.Printable(d.ID))
	if noNotify {
		fmt.Fprintln(w, "notify.url is not set, so it waits: sbpd serve sends it once notify.url is set")
		return
	}
	fmt.Fprintln(w, "sbpd serve sends it to notify.url within a few seconds")
}

// reportStamp is how the reconciliation's period is printed.
const reportStamp = "2006-01-02 15:04:05 -07:00"

// WriteReport prints a reconciliation: the period and its counts, then one
// line per difference with what became of it (or what --apply would make
// of it, when it was not applied), then the summary.
func WriteReport(w io.Writer, rep Report, applied bool) error {
	fmt.Fprintf(w, "period %s – %s: %d in the journal, %d at PayMaster", rep.From.Format(reportStamp), rep.To.Format(reportStamp), rep.Journal, rep.PayMaster)
	if rep.Active > 0 {
		fmt.Fprintf(w, ", %d still active (skipped)", rep.Active)
	}
	if rep.OtherTills > 0 {
		fmt.Fprintf(w, ", %d of other tills ignored", rep.OtherTills)
	}
	switch {
	case rep.Probes == 1:
		fmt.Fprint(w, ", 1 probe payment skipped (sbpd paymaster probe)")
	case rep.Probes > 1:
		fmt.Fprintf(w, ", %d probe payments skipped (sbpd paymaster probe)", rep.Probes)
	}
	fmt.Fprintln(w)
	if len(rep.Differences) == 0 {
		_, err := fmt.Fprintln(w, "no differences")
		return err
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "KIND\tPAYMENT\tORDER\tHERE\tPAYMASTER\tDETAIL")
	for _, d := range rep.Differences {
		detail := d.Detail
		switch {
		case d.Resolved != "":
			detail += "; resolved: now " + d.Resolved
		case d.Safe != "" && !applied:
			detail += "; --apply makes it " + string(d.Safe)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", plugin.Printable(d.Kind), Dash(d.PaymentID), plugin.Printable(d.OrderNo),
			plugin.Printable(side(d.State, d.Amount)), plugin.Printable(side(d.PayMasterStatus, d.PayMasterAmount)), plugin.Printable(detail))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	_, err := fmt.Fprintln(w, rep.Summary())
	return err
}

// side is one side of a difference: "paid 259,90 ₽", or "-" when that
// side has no payment.
func side(state string, amount *int64) string {
	if state == "" {
		return "-"
	}
	return state + " " + plugin.FormatRoubles(*amount) + " ₽"
}

// WriteStuck prints the paid payments the accounting system was not told
// about, one line each with times in z, and what to do; or that there are
// none.
func WriteStuck(w io.Writer, stuck []Stuck, z *time.Location) error {
	if len(stuck) == 0 {
		_, err := fmt.Fprintln(w, "no stuck payments: every paid payment was delivered, is still being retried, or was entered by hand")
		return err
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tCHECK\tORDER\tAMOUNT\tPAID AT\tATTEMPTS\tLAST ERROR")
	for _, s := range stuck {
		p := s.Payment
		// What the till and the accounting system sent is shown, never obeyed, by the terminal.
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%d\t%s\n", p.ID, plugin.Printable(p.CheckID), plugin.Printable(p.OrderNo),
			plugin.FormatRoubles(p.Amount), p.UpdatedAt.In(z).Format(tableTime), s.Delivery.Attempts,
			plugin.Printable(OneLine(s.Delivery.LastError, 160)))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	_, err := fmt.Fprintf(w, "\n%d paid payment(s) not notified (Совершён без оповещения): sbpd journal resync ID once the receiver works\n", len(stuck))
	return err
}

// OneLine is s on one line, its runs of white space one space, cut to n
// runes with "…".
func OneLine(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	if r := []rune(s); len(r) > n {
		return string(r[:n-1]) + "…"
	}
	return s
}

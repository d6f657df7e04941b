package backoffice

import (
	"fmt"
	"io"
	"strconv"
	"text/tabwriter"
	"time"
	"unicode/utf8"

	"github.com/sbpd/sbpd/plugin"
)

// The journal's text views for a terminal: what `sbpd journal list` and
// `show` print. Every value from outside goes through plugin.Printable.

const tableTime = "2006-01-02 15:04:05"

// WriteTable prints the payments one line each, times in z. Every text column goes
// through plugin.Printable: a check id, order number, PayMaster id or
// reason came from outside and may hold terminal escapes or a tab.
func WriteTable(w io.Writer, ps []*plugin.Payment, z *time.Location) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "CREATED\tCHECK\tORDER NO\tAMOUNT\tMODE\tSTATE\tPAYMASTER ID\tREASON")
	for _, p := range ps {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%d %s\t%s\t%s\t%s\n",
			p.CreatedAt.In(z).Format(tableTime), Dash(p.CheckID), Dash(p.OrderNo), plugin.FormatRoubles(p.Amount),
			int(p.Mode), plugin.Printable(p.Mode.String()), Dash(string(p.State)), Dash(p.PayMasterID), shortReason(p))
	}
	return tw.Flush()
}

// Dash is s made printable, or "-" when it is empty.
func Dash(s string) string {
	if s == "" {
		return "-"
	}
	return plugin.Printable(s)
}

// shortReason is the reason column: the reason code, else the error
// message, made printable and cut to 40 characters.
func shortReason(p *plugin.Payment) string {
	s := string(p.Reason)
	if s == "" && p.Error != nil {
		s = p.Error.Message
	}
	if s == "" {
		return "-"
	}
	s = plugin.Printable(s)
	if utf8.RuneCountInString(s) > 40 {
		s = string([]rune(s)[:39]) + "…"
	}
	return s
}

// NoticeText says whether the accounting system was told, times in z.
func NoticeText(ns Notice, z *time.Location) string {
	if ns.EnteredByHand {
		return fmt.Sprintf("entered by hand in the accounting system by %s (%s): never sent", Dash(ns.EnteredBy), Dash(ns.EnteredReason))
	}
	if len(ns.Deliveries) == 0 {
		if ns.State.Final() {
			return "not queued"
		}
		return "sent once the payment is final"
	}
	d := ns.Deliveries[len(ns.Deliveries)-1]
	switch d.Status {
	case plugin.DeliveryDelivered:
		return fmt.Sprintf("delivered %s (%s, %d attempt(s))", d.DeliveredAt.In(z).Format(tableTime), d.ID, d.Attempts)
	case plugin.DeliveryExhausted:
		text := fmt.Sprintf("NOT DELIVERED after %d attempts (%s)", d.Attempts, Dash(d.LastError))
		if d.State == plugin.StatePaid {
			text += ": paid without notification; send again with sbpd journal resync " + ns.PaymentID
		}
		return text
	case plugin.DeliveryPending:
		if d.Attempts == 0 {
			return "queued (" + d.ID + ")"
		}
		return fmt.Sprintf("retrying: %d attempt(s) failed (%s), next at %s", d.Attempts, Dash(d.LastError), d.NextAt.In(z).Format(tableTime))
	}
	return d.Status + " (" + d.ID + ")"
}

// WriteShow prints every field of a shown payment and its events, times
// in z. Every value goes through plugin.Printable: most came from the
// till, PayMaster or the accounting system and may hold terminal escapes.
func WriteShow(w io.Writer, sh Shown, z *time.Location) error {
	p, evs, notification := sh.Payment, sh.Events, NoticeText(sh.Notification, z)
	when := func(t time.Time) string {
		if t.IsZero() {
			return "-"
		}
		return t.In(z).Format(tableTime + " -07:00")
	}
	errText := "-"
	if p.Error != nil {
		errText = p.Error.Code + ": " + p.Error.Message
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	for _, kv := range [][2]string{
		{"id", p.ID},
		{"check", Dash(p.CheckID)},
		{"order no", Dash(p.OrderNo)},
		{"till", Dash(TillOf(p))},
		{"amount", plugin.FormatRoubles(p.Amount) + " RUB (" + strconv.FormatInt(p.Amount, 10) + " kopecks)"},
		{"mixed", strconv.FormatBool(p.Mixed)},
		{"mode", fmt.Sprintf("%d %s", int(p.Mode), p.Mode)},
		{"state", fmt.Sprintf("%s (%d)", p.State, p.StateCode)},
		{"message", Dash(p.Message)},
		{"reason", Dash(string(p.Reason))},
		{"error", errText},
		{"paymaster id", Dash(p.PayMasterID)},
		{"paymaster status", Dash(p.PayMasterStatus)},
		{"result code", Dash(p.ResultCode)},
		{"cancel requested", strconv.FormatBool(p.CancelRequested)},
		{"cancel sent", strconv.FormatBool(p.CancelSent)},
		{"late settle", strconv.FormatBool(p.LateSettle)},
		{"notification", notification},
		{"qr payload", Dash(p.QRPayload)},
		{"created", when(p.CreatedAt)},
		{"updated", when(p.UpdatedAt)},
		{"expires", when(p.ExpiresAt)},
	} {
		fmt.Fprintf(tw, "%s:\t%s\n", kv[0], plugin.Printable(kv[1]))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintf(w, "\nevents (%d):\n", len(evs))
	tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "TIME\tKIND\tSTATE\tACTOR\tDETAIL")
	for _, ev := range evs {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", ev.At.In(z).Format(tableTime+".000"), Dash(ev.Kind), plugin.Printable(string(ev.State)), Dash(ev.Actor), Dash(ev.Detail))
	}
	return tw.Flush()
}

// TillOf is the till id in p's order number, or "".
func TillOf(p *plugin.Payment) string {
	till, _, _ := plugin.ParseOrderNo(p.OrderNo, p.CheckID)
	return till
}

// WriteList prints a page of the journal as `sbpd journal list` does: the
// table on w, and on note "no payments match", or, when more follow,
// where the next page starts (--page only when this one starts on a page
// boundary); when it would start past plugin.MaxOffset, which --page and
// --offset may not pass, a narrower period instead.
func WriteList(w, note io.Writer, ps []*plugin.Payment, more bool, f plugin.Filter, z *time.Location) error {
	if len(ps) == 0 {
		fmt.Fprintln(note, "no payments match")
		return nil
	}
	if err := WriteTable(w, ps, z); err != nil || !more {
		return err
	}
	next := f.Offset + len(ps)
	fmt.Fprintf(note, "payments %d-%d shown; ", f.Offset+1, next)
	switch {
	case next > plugin.MaxOffset:
		fmt.Fprintf(note, "more match, deeper than --page and --offset reach (an offset of %d at most): narrow the period with --from/--to\n", plugin.MaxOffset)
	case f.Limit > 0 && f.Offset%f.Limit == 0:
		fmt.Fprintf(note, "more with --page %d (or --offset %d)\n", f.Offset/f.Limit+2, next)
	default:
		fmt.Fprintf(note, "more with --offset %d\n", next)
	}
	return nil
}

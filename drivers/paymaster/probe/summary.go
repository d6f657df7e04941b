package probe

import (
	"context"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"time"
)

// WriteIntro says what a run with cfg is about to do; liveMode is
// paymaster.test_mode off for the kiosk's own payments (the probe's
// payment is a test payment all the same).
func WriteIntro(w io.Writer, cfg Config, liveMode bool) {
	fmt.Fprintf(w, "Probing PayMaster at %s, merchant %s: one test payment of 1,00 ₽ (testMode: true), cancelled at the end.\n",
		cfg.BaseURL, cfg.MerchantID)
	if liveMode {
		fmt.Fprintln(w, "paymaster.test_mode is off for the kiosk's payments; the probe's payment is a test payment all the same.")
	}
}

// WriteMade says which payments the run made and whether each was
// cancelled, and, when the transcript went to the file outPath, how many
// exchanges it holds.
func (r *Report) WriteMade(w io.Writer, outPath string) {
	var made []string
	for _, id := range r.Created {
		state := "cancelled"
		if !slices.Contains(r.Cancelled, id) {
			state = fmt.Sprintf("NOT cancelled: a test payment, no money moves; its invoice expires %d minutes after it was made, or cancel it in the PayMaster cabinet", int(InvoiceTTL/time.Minute))
		}
		made = append(made, id+" ("+state+")")
	}
	if len(made) == 0 {
		fmt.Fprintf(w, "Order %s: no payment was made.\n", r.OrderNo)
	} else {
		fmt.Fprintf(w, "Order %s: payment %s.\n", r.OrderNo, strings.Join(made, ", "))
	}
	if outPath != "" {
		fmt.Fprintf(w, "%s written to %s.\n", countNoun(r.Exchanges, "exchange", "exchanges"), outPath)
	}
}

// Err is nil when every assumption holds, otherwise how many did not.
func (r *Report) Err() error {
	failed := r.Failed()
	if len(failed) == 0 {
		return nil
	}
	return fmt.Errorf("%s of %d not OK; see docs/paymaster.md for what to do with each DIFFERS",
		countNoun(len(failed), "assumption", "assumptions"), len(r.Results))
}

// ErrText is err's text on one line, for a message that follows a colon.
func ErrText(err error) string {
	if err == nil {
		return "unknown error"
	}
	return strings.Join(strings.Fields(err.Error()), " ")
}

// RunAndWrite is a whole run for a command: the intro, the probe, one line
// per assumption and what was made, each through redact (which cuts the
// kiosk's secrets out of whatever PayMaster echoed), then "All N
// assumptions hold." or an error saying what did not.
//
// outPath, when not empty, is the file the transcript goes to (cfg.Out):
// it is made before anything is sent, readable by its owner alone (mode
// 0600 when it is created: the bodies name the merchant and its payments),
// and an earlier run's content is cut.
func RunAndWrite(ctx context.Context, w io.Writer, cfg Config, liveMode bool, outPath string, redact func(string) string) error {
	if outPath != "" {
		f, err := os.OpenFile(outPath, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
		if err != nil {
			return fmt.Errorf("paymaster probe: --out: %w; nothing was sent", err)
		}
		defer f.Close()
		cfg.Out = f
	}
	WriteIntro(w, cfg, liveMode)
	rep, err := Run(ctx, cfg)
	if rep == nil {
		return fmt.Errorf("paymaster probe: %s", redact(ErrText(err)))
	}
	var lines strings.Builder
	rep.Write(&lines)
	fmt.Fprint(w, redact(lines.String()))
	rep.WriteMade(w, outPath)
	if err != nil {
		return fmt.Errorf("paymaster probe: %s", redact(ErrText(err)))
	}
	if err := rep.Err(); err != nil {
		return fmt.Errorf("paymaster probe: %w", err)
	}
	fmt.Fprintf(w, "All %d assumptions hold.\n", len(rep.Results))
	return nil
}

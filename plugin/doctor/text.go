package doctor

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"
)

// WriteResult writes r as `sbpd doctor` prints it: "FAIL  Name: message —
// fix"; a message of several lines continues indented, and its fix goes on
// a line of its own.
func WriteResult(w io.Writer, r Result) {
	lines := strings.Split(r.Message, "\n")
	fmt.Fprintf(w, "%-4s  %s: %s", strings.ToUpper(string(r.Status)), r.Name, lines[0])
	for _, l := range lines[1:] {
		fmt.Fprintf(w, "\n      %s", l)
	}
	switch {
	case r.Fix == "":
	case len(lines) > 1:
		fmt.Fprintf(w, "\n      fix: %s", r.Fix)
	default:
		fmt.Fprintf(w, " — %s", r.Fix)
	}
	fmt.Fprintln(w)
}

// WriteJSON writes r as `sbpd doctor --json` prints it:
// {"ok": bool, "checks": [{"name","status","message","fix"}]}, indented.
func (r Report) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(r)
}

// RunAndWrite runs checks (Run) and writes each result as text as soon as
// it and those above it are done, or, asJSON, the whole report once all
// are; the error says which checks failed.
func RunAndWrite(ctx context.Context, w io.Writer, checks []Check, opt Options, asJSON bool) error {
	each := func(r Result) { WriteResult(w, r) }
	if asJSON {
		each = nil
	}
	rep := Run(ctx, checks, opt, each)
	if asJSON {
		if err := rep.WriteJSON(w); err != nil {
			return err
		}
	}
	return rep.Err()
}

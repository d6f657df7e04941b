package main

import (
	"cmp"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"time"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/sbpd/sbpd/drivers/export"
	"github.com/sbpd/sbpd/drivers/sqlite"
	"github.com/sbpd/sbpd/plugin"
	"github.com/sbpd/sbpd/plugin/backoffice"
)

// journalReadCmds are the read-only back-office commands: list, show,
// export (README's back-office section). None of them creates or changes the journal.
func journalReadCmds() []*cobra.Command {
	return []*cobra.Command{newJournalListCmd(), newJournalShowCmd(), newJournalExportCmd()}
}

// journalZone is the zone times are shown in: the kiosk's local time.
var journalZone = func() *time.Location { return time.Local }

// readJournal opens the kiosk (openKiosk) and its existing journal; it
// never creates data_dir or the database.
func readJournal(cmd *cobra.Command) (*kiosk, *sqlite.DB, error) {
	k, err := openKiosk(cmd)
	if err != nil {
		return nil, nil, err
	}
	db, err := k.journal()
	if err != nil {
		k.Close()
		return nil, nil, err
	}
	return k, db, nil
}

// addFilterFlags adds the selection flags shared by list and export.
func addFilterFlags(cmd *cobra.Command) {
	f := cmd.Flags()
	dataDirFlag(f)
	f.String("state", "", "only payments in this state: "+plugin.StateNames())
	f.String("from", "", "created at or after: "+plugin.TimeFormats)
	f.String("to", "", "created before (a date: to the end of that day): "+plugin.TimeFormats)
	f.String("mode", "", "only this QR mode: 0 (print), 1 (screen) or 2 (sticker)")
	f.String("mixed", "", "true: only mixed payments (part cash or card); false: only whole ones")
	f.String("check", "", "only payments for this check id")
	f.StringP("query", "q", "", "search: check id, order number, PayMaster id, our id, or amount (25990, 259,90 or 259.90)")
}

// filterFlags are the flags that are plugin.ParseFilter's parameters,
// by parameter.
var filterFlags = map[string]string{"state": "state", "check_id": "check", "from": "from", "to": "to",
	"q": "query", "mode": "mode", "mixed": "mixed", "limit": "limit", "offset": "offset"}

// parseFilter reads the selection flags (and list's --limit, --offset and
// --page) with the one filter parser; its errors name the flags.
func parseFilter(cmd *cobra.Command) (plugin.Filter, error) {
	q := url.Values{}
	for param, flag := range filterFlags {
		if fl := cmd.Flags().Lookup(flag); fl != nil && fl.Value.String() != "" {
			q.Set(param, fl.Value.String())
		}
	}
	f, err := plugin.ParseFilter(q, journalZone())
	if page, _ := cmd.Flags().GetInt("page"); err == nil && cmd.Flags().Changed("page") {
		f.Offset, err = plugin.PageOffset(page, f.Limit)
	}
	var fe *plugin.FilterError
	if errors.As(err, &fe) {
		return f, errors.New(fe.Named(func(p string) string { return "--" + cmp.Or(filterFlags[p], p) }))
	}
	return f, err
}

func newJournalListCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List payments, newest first, with filters and search",
		Long: `list shows the journal's payments, newest first, a page at a time (50 by
default). Filters combine: --state, --from/--to (on the creation time),
--mode, --mixed, --check. -q searches a check id, order number, PayMaster
id, our id, or an amount in kopecks (25990) or roubles (259,90 or 259.90).`,
		Example: `  sbpd journal list --state needs_attention
  sbpd journal list --from 2025-03-01 --to 2025-03-31 --state paid --page 2
  sbpd journal list -q 259,90
  sbpd journal list -q K07-100234-1 --json`,
		Args: cobra.NoArgs,
		RunE: runJournalList,
	}
	addFilterFlags(cmd)
	cmd.Flags().Int("limit", plugin.DefaultLimit, fmt.Sprintf("payments per page, 1 to %d", plugin.MaxLimit))
	cmd.Flags().Int("offset", 0, "skip this many payments")
	cmd.Flags().Int("page", 1, "page number, from 1 (--limit payments each)")
	cmd.Flags().Bool("json", false, "print a JSON array of payments")
	return cmd
}

func runJournalList(cmd *cobra.Command, _ []string) error {
	if cmd.Flags().Changed("page") && cmd.Flags().Changed("offset") {
		return errors.New("--page and --offset both given: use one")
	}
	f, err := parseFilter(cmd)
	if err != nil {
		return err
	}
	k, db, err := readJournal(cmd)
	if err != nil {
		return err
	}
	defer k.Close()
	ps, more, err := journalService(db).List(cmd.Context(), f)
	if err != nil {
		return err
	}
	return jsonOr(cmd, ps, func() error {
		return backoffice.WriteList(cmd.OutOrStdout(), cmd.ErrOrStderr(), ps, more, f, journalZone())
	})
}

// jsonOr prints v as JSON when --json is given, else runs text.
func jsonOr(cmd *cobra.Command, v any, text func() error) error {
	if asJSON, _ := cmd.Flags().GetBool("json"); asJSON {
		return backoffice.WriteJSON(cmd.OutOrStdout(), v)
	}
	return text()
}

func newJournalShowCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "show ID",
		Short: "Show one payment with its full event history",
		Long: `show prints every field of one payment and its event history (time, kind,
state, actor, detail). ID is our id, an order number or a PayMaster id; one
that several payments have is refused: give our id then.`,
		Example: `  sbpd journal show 01JPB5R7X4V2E3KQ9M8N6T5W1Z
  sbpd journal show K07-100234-1
  sbpd journal show K07-100234-1 --json`,
		Args: cobra.ExactArgs(1),
	}
	cmd.Flags().Bool("json", false, "print the payment and its events as JSON")
	return backofficeCmd(cmd, func(cmd *cobra.Command, svc *backoffice.Service, args []string) error {
		sh, err := svc.Show(cmd.Context(), args[0])
		if err != nil {
			return err
		}
		return jsonOr(cmd, sh, func() error {
			return backoffice.WriteShow(cmd.OutOrStdout(), sh, journalZone())
		})
	})
}

// isTerminal is whether w is a terminal (the log's form, the export's).
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

func newJournalExportCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "export --format csv|xlsx [-o FILE]",
		Short: "Export the register of payments as CSV or XLSX",
		Long: `export writes the payments matching the filters (the same as list's), oldest
first, with the columns a back office needs: times (local), ids, till,
amount in roubles with two decimals, mode, mixed, state, PayMaster's status
and result code, reason, the shopper's cancel. Rows are streamed from the
journal, so a year's export does not sit in memory. A progress bar shows on
standard error when it is a terminal. Without -o it writes to standard
output (XLSX only when that is not a terminal).

Text that came from outside (a check id, an order number, PayMaster's ids,
status and result code, a reason, an error) is written safely. In CSV a
cell that starts with =, +, -, @, a tab or a carriage return gets a leading
single quote (') so that a spreadsheet shows it as text and never runs it
as a formula; a plain number, such as the amounts or a negative amount, is
left as it is. In both formats control and bidi characters are written out
visibly, e.g. ESC as \x1b and U+202E as \u202e. The journal keeps the
values as recorded: sbpd journal show --json prints them exactly.`,
		Example: `  sbpd journal export --format csv --from 2025-03-01 --to 2025-03-31 -o march.csv
  sbpd journal export --format xlsx --state paid -o paid.xlsx
  sbpd journal export --format csv --mixed true | less`,
		Args: cobra.NoArgs,
		RunE: runJournalExport,
	}
	addFilterFlags(cmd)
	cmd.Flags().String("format", "", "csv or xlsx (required)")
	cmd.Flags().StringP("output", "o", "", "write to FILE instead of standard output")
	return cmd
}

func runJournalExport(cmd *cobra.Command, _ []string) error {
	fs, _ := cmd.Flags().GetString("format")
	format, err := export.ParseFormat(fs)
	if err != nil {
		return errors.New("--" + err.Error())
	}
	f, err := parseFilter(cmd)
	if err != nil {
		return err
	}
	out, _ := cmd.Flags().GetString("output")
	job := export.Job{Format: format, Filter: f, Path: out, Out: cmd.OutOrStdout(), OutTerminal: isTerminal(cmd.OutOrStdout()), Zone: journalZone()}
	if isTerminal(cmd.ErrOrStderr()) {
		job.Progress = cmd.ErrOrStderr()
	}
	if err := job.Check(); err != nil {
		return err
	}
	k, db, err := readJournal(cmd)
	if err != nil {
		return err
	}
	defer k.Close()
	n, err := export.Run(cmd.Context(), db.Journal(), job)
	if err == nil && out != "" {
		fmt.Fprintf(cmd.ErrOrStderr(), "exported %d payments to %s\n", n, out)
	}
	return err
}

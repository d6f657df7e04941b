package export

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/sbpd/sbpd/plugin"
)

// ErrXLSXToTerminal refuses an XLSX export to a terminal: its bytes would
// only garble the screen.
var ErrXLSXToTerminal = errors.New("will not write XLSX to a terminal: give -o FILE or redirect standard output")

// Counter counts the payments a filter selects (the journal's Count), for
// the progress bar.
type Counter interface {
	Count(ctx context.Context, f plugin.Filter) (int64, error)
}

// Job is one export as `sbpd journal export` runs it: to the file Path
// (WriteFile), or to Out when Path is empty, with a progress bar on
// Progress when that is a terminal.
type Job struct {
	Format      Format
	Filter      plugin.Filter
	Path        string           // "" is Out
	Out         io.Writer        // standard output
	OutTerminal bool             // Out is a terminal: XLSX is refused there
	Progress    io.Writer        // where the bar is drawn; nil is no bar
	Zone        *time.Location   // nil is time.Local
	Now         func() time.Time // the bar's clock; nil is time.Now
}

// Check refuses a job before anything is opened: XLSX to a terminal.
func (j Job) Check() error {
	if j.Path == "" && j.Format == XLSX && j.OutTerminal {
		return ErrXLSXToTerminal
	}
	return nil
}

// Run checks j, counts the rows for the bar when there is one, and writes
// the export; it returns how many payments it wrote.
func Run(ctx context.Context, src interface {
	Source
	Counter
}, j Job) (int64, error) {
	if err := j.Check(); err != nil {
		return 0, err
	}
	var pr *Progress
	if j.Progress != nil {
		total, err := src.Count(ctx, j.Filter)
		if err != nil {
			return 0, err
		}
		pr = &Progress{W: j.Progress, Total: total, Every: 100 * time.Millisecond, Now: j.Now}
		if pr.Now == nil {
			pr.Now = time.Now
		}
	}
	opt := Options{Zone: j.Zone, OnRow: pr.Add}
	var n int64
	var err error
	switch {
	case j.Path != "":
		n, err = WriteFile(ctx, src, j.Filter, j.Format, j.Path, opt)
	case j.Format == XLSX:
		n, err = spool(ctx, src, j.Filter, j.Out, opt)
	default:
		n, err = Write(ctx, src, j.Filter, j.Format, j.Out, opt)
	}
	pr.Finish()
	return n, err
}

// spool writes an XLSX export to a temporary file (mode 0600) and copies
// it to out only once complete: the zip streams out as it is made, so a
// failure midway would leave half a workbook in a redirected file, which
// a spreadsheet's repair could open as a shorter register. A CSV needs no
// spool: its rows are whole lines, and the error says it stopped.
func spool(ctx context.Context, src Source, f plugin.Filter, out io.Writer, opt Options) (int64, error) {
	tmp, err := os.CreateTemp("", "sbpd-export-*.xlsx")
	if err != nil {
		return 0, fmt.Errorf("export: %w", err)
	}
	defer os.Remove(tmp.Name())
	defer tmp.Close()
	n, err := Write(ctx, src, f, XLSX, tmp, opt)
	if err != nil {
		return n, err
	}
	if _, err := tmp.Seek(0, io.SeekStart); err != nil {
		return n, fmt.Errorf("export: %w", err)
	}
	if _, err := io.Copy(out, tmp); err != nil {
		return n, fmt.Errorf("export: %w", err)
	}
	return n, nil
}

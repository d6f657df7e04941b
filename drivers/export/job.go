package export

import (
	"context"
	"errors"
	"io"
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
	if j.Path == "" {
		n, err = Write(ctx, src, j.Filter, j.Format, j.Out, opt)
	} else {
		n, err = WriteFile(ctx, src, j.Filter, j.Format, j.Path, opt)
	}
	pr.Finish()
	return n, err
}

package export

import (
	"fmt"
	"io"
	"strings"
	"time"
)

// Progress is a throttled "rows done / total" bar for a terminal: Add
// after each row (Options.OnRow), Finish at the end. A nil *Progress does
// nothing.
type Progress struct {
	W     io.Writer
	Total int64
	Every time.Duration    // the least time between two draws
	Now   func() time.Time // the clock
	done  int64
	last  time.Time
}

// Add counts a row and redraws the bar if Every has passed or it is the last.
func (p *Progress) Add() {
	if p == nil {
		return
	}
	p.done++
	if t := p.Now(); t.Sub(p.last) >= p.Every || p.done == p.Total {
		p.last = t
		p.draw()
	}
}

func (p *Progress) draw() {
	pct := int64(100)
	if p.Total > 0 {
		pct = p.done * 100 / p.Total
	}
	const width = 30
	bar := strings.Repeat("#", int(pct*width/100)) + strings.Repeat(".", width-int(pct*width/100))
	fmt.Fprintf(p.W, "\rexport [%s] %d/%d rows %3d%%", bar, p.done, p.Total, pct)
}

// Finish draws the bar a last time and ends its line.
func (p *Progress) Finish() {
	if p == nil {
		return
	}
	p.draw()
	fmt.Fprintln(p.W)
}

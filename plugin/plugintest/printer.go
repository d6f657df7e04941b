package plugintest

import (
	"context"

	"github.com/sbpd/sbpd/plugin"
)

// Printer is a plugin.Printer whose PrintSlip calls PrintSlipFn.
type Printer struct {
	PrintSlipFn func(ctx context.Context, s plugin.Slip) error
}

var _ plugin.Printer = (*Printer)(nil)

func (p *Printer) PrintSlip(ctx context.Context, s plugin.Slip) error { return p.PrintSlipFn(ctx, s) }

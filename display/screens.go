package display

import (
	"fmt"
	"io"

	"github.com/sbpd/sbpd/plugin"
)

// Screens shows every change on each of its screens, in order: the web
// page and, with --screen terminal, the terminal too.
type Screens []plugin.Screen

// Show passes p to every screen.
func (ss Screens) Show(p plugin.Payment) {
	for _, s := range ss {
		if s != nil {
			s.Show(p)
		}
	}
}

// Values of the --screen flag of serve and demo.
const (
	FlagWeb      = "web"      // the kiosk page only (always served)
	FlagTerminal = "terminal" // the page, and the screen drawn on standard output
)

// FromFlag returns the extra screen a --screen value asks for: nil for
// "web" (or ""), a Terminal writing to w for "terminal". Close a returned
// Terminal when the daemon stops.
func FromFlag(value string, w io.Writer) (*Terminal, error) {
	switch value {
	case "", FlagWeb:
		return nil, nil
	case FlagTerminal:
		return NewTerminal(w), nil
	}
	return nil, fmt.Errorf("--screen %q: use %q (the kiosk page) or %q (the page, and the screen drawn in this terminal)",
		value, FlagWeb, FlagTerminal)
}

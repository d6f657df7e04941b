package metrics

import (
	"context"
	"encoding/json"
	"io"
	"net/http"

	"github.com/sbpd/sbpd/plugin"
)

// maxHealthBody bounds the /healthz answer DaemonPrinter reads.
const maxHealthBody = 64 << 10

// DaemonPrinter asks the daemon serving at base (http://host:port) for
// the printer part of its /healthz report, with the till API's token when
// there is one: a command that finds the printer's port held by the
// running daemon asks it this way. ok is false when no daemon answered
// with a printer part; the report it returns says Via ViaDaemon.
func DaemonPrinter(ctx context.Context, c *http.Client, base, token string) (h PrinterHealth, ok bool) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+"/healthz", nil)
	if err != nil {
		return h, false
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := c.Do(req)
	if err != nil {
		return h, false
	}
	defer resp.Body.Close()
	var health struct {
		Printer *PrinterHealth `json:"printer"`
	}
	if err := json.NewDecoder(io.LimitReader(resp.Body, maxHealthBody)).Decode(&health); err != nil || health.Printer == nil {
		return h, false
	}
	health.Printer.Via = ViaDaemon
	return *health.Printer, true
}

// PrinterAsker is the receipt printer as the health report asks it.
type PrinterAsker interface {
	// StatusText is the printer's state in words and its one status
	// word (plugin.PrinterOK, plugin.PrinterPaperEnd, ...), or why it could
	// not be asked.
	StatusText(ctx context.Context) (state, word string, err error)
}

// AskPrinter is the health of the printer p on port: not_configured when
// there is no port (printer.port is not set; p is then never asked, so a
// daemon's nil *printer.Printer may be given) or p is nil; when asking
// fails, the error's reason (plugin.ErrorReason) is the status.
func AskPrinter(ctx context.Context, p PrinterAsker, port string) PrinterHealth {
	if port == "" || p == nil {
		return PrinterHealth{Status: plugin.PrinterNotConfigured}
	}
	state, word, err := p.StatusText(ctx)
	h := PrinterHealth{Port: port, State: state, Status: word}
	if err != nil {
		h.Status, h.Error = plugin.ErrorReason(err), err.Error()
	}
	return h
}

// AskPrinterOrDaemon is AskPrinter for a command beside the daemon: when
// another process holds the port (plugin.PrinterBusy), the daemon at base
// is asked instead (DaemonPrinter); when none answers, the printer is busy.
func AskPrinterOrDaemon(ctx context.Context, p PrinterAsker, port string, c *http.Client, base, token string) PrinterHealth {
	h := AskPrinter(ctx, p, port)
	if h.Status != plugin.PrinterBusy {
		return h
	}
	if daemon, ok := DaemonPrinter(ctx, c, base, token); ok {
		return daemon
	}
	return h
}

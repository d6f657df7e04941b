package metrics

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
)

// maxHealthBody bounds the /healthz answer DaemonPrinter reads.
const maxHealthBody = 64 << 10

// DaemonPrinter asks the daemon serving at base (http://host:port) for
// the printer part of its /healthz report, with the till API's token when
// there is one: a command that finds the printer's port held by the
// running daemon asks it this way. ok is false when no daemon answered
// with a printer part; the report it returns says Via "daemon".
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
	health.Printer.Via = "daemon"
	return *health.Printer, true
}

package plugin

import (
	"context"
	"fmt"
	"time"
)

// Printer prints the SBP slip on the receipt tape (mode 0). PrintSlip
// checks the printer's status first and returns an *Error with code
// EUnavailable and one of the Printer* reasons when it cannot print; the
// flow then shows the QR on screen instead and records why.
type Printer interface {
	PrintSlip(ctx context.Context, s Slip) error
}

// Slip is what goes on the receipt tape for a mode-0 payment.
type Slip struct {
	PaymentID string
	TillID    string
	CheckID   string
	OrderNo   string
	Amount    int64 // kopecks
	QRPayload string
	ExpiresAt time.Time
}

// The printer's status words, as printer.Status.Word, /healthz's
// printer part, the sbpd_printer_status metric, `sbpd printer status`,
// doctor and the web back office spell them: PrinterOK and
// PrinterPaperNearEnd when it can print (PrinterCanPrint), one of the
// reasons below when it cannot, PrinterNotConfigured without printer.port.
const (
	PrinterOK            = "ok"
	PrinterPaperNearEnd  = "paper_near_end" // still prints: load a new roll soon
	PrinterNotConfigured = "not_configured" // printer.port is not set: never asked
)

// PrinterHealth is the receipt printer's status, as the printer (or the
// daemon holding its port, Via PrinterViaDaemon) answered: /healthz's
// printer part, `sbpd printer status --json`, and what doctor checks.
type PrinterHealth struct {
	Error  string `json:"error,omitempty"`
	Port   string `json:"port,omitempty"`
	State  string `json:"state,omitempty"` // "online", …
	Status string `json:"status"`          // a Printer… status word
	Via    string `json:"via,omitempty"`
}

// PrinterViaDaemon is PrinterHealth.Via when the daemon holding the
// printer's port answered for it.
const PrinterViaDaemon = "daemon"

// FromDaemon is whether the daemon holding the port answered for the
// printer.
func (p PrinterHealth) FromDaemon() bool { return p.Via == PrinterViaDaemon }

// CanPrint is whether the printer can print a slip now.
func (p PrinterHealth) CanPrint() bool { return PrinterCanPrint(p.Status) }

// Refusal is why the printer cannot print a slip now, as `sbpd printer
// status` fails with it (text or JSON alike): an *Error with code
// EUnavailable and the status as its reason; nil when it can print.
func (p PrinterHealth) Refusal() error {
	switch {
	case p.CanPrint():
		return nil
	case p.Status == PrinterNotConfigured:
		return &Error{Code: EUnavailable, Reason: p.Status, Message: "printer.port is not set: no receipt printer is configured"}
	}
	return &Error{Code: EUnavailable, Reason: p.Status, Message: fmt.Sprintf("the printer on %s cannot print: %s", p.Port, p.Status)}
}

// PrinterCanPrint is whether a printer whose status word is status can
// print a slip now: PrinterOK or PrinterPaperNearEnd.
func PrinterCanPrint(status string) bool {
	return status == PrinterOK || status == PrinterPaperNearEnd
}

// The values of printer.qr: how the slip's QR is printed.
const (
	PrinterQRNative = "native" // GS ( k: the printer draws the symbol; ~150 bytes
	PrinterQRRaster = "raster" // GS v 0: sbpd draws it; ~11 KB, for printers without GS ( k
)

// Reasons a printer cannot print.
const (
	PrinterPaperEnd    = "paper_end"
	PrinterCoverOpen   = "cover_open"
	PrinterOffline     = "offline"
	PrinterError       = "printer_error"
	PrinterNoAnswer    = "no_answer"    // silent: status unknown, never assumed OK
	PrinterPortMissing = "port_missing" // the serial port cannot be opened
	PrinterWriteFailed = "write_failed"
	// PrinterWriteStalled: the printer stopped taking bytes (a USB printer
	// whose buffer is full or whose paper ran out mid-job); a write to it
	// was given up after its bound.
	PrinterWriteStalled = "write_stalled"
	PrinterBusy         = "port_busy" // another process holds the port's lock
	// PrinterLockRefused: the port's lock file is not one sbpd takes (a
	// link, another user's, more than a pid): the error says what to remove.
	PrinterLockRefused = "lock_refused"
)

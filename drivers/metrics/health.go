package metrics

import (
	"context"

	"github.com/sbpd/sbpd/plugin"
)

// Health is the daemon's /healthz report: the journal, PayMaster's last
// answer, the printer, the engine, the notifications to the accounting
// system and the payment in progress. Each part's fields are in the order
// of their JSON names, so that the body is the same byte for byte as when
// it was built from maps.
type Health struct {
	Journal   Component       `json:"journal"`
	PayMaster PayMasterHealth `json:"paymaster"`
	Printer   PrinterHealth   `json:"printer"`
	Engine    EngineHealth    `json:"engine"`
	Notify    Component       `json:"notify"`
	Active    *ActivePayment  `json:"active_payment,omitempty"`
}

// The status words of /healthz's journal, paymaster and notify parts (the
// printer's are plugin's: plugin.PrinterOK, …).
const (
	HealthOK            = "ok"
	HealthError         = "error"          // the journal or the outbox failed to answer: with its error
	HealthStuck         = "stuck"          // paid payments whose notification was given up
	HealthNotConfigured = "not_configured" // notify.url is not set
	HealthUnknown       = "unknown"        // PayMaster not asked yet
	HealthUnreachable   = "unreachable"    // PayMaster's last call failed
)

// Component is a part's status word, with its error or the number of paid
// payments whose notification is stuck.
type Component struct {
	Error     string `json:"error,omitempty"`
	Status    string `json:"status"`
	StuckPaid int    `json:"stuck_paid,omitempty"`
}

// PrinterHealth is the receipt printer's status (plugin's: doctor
// checks the same type).
type PrinterHealth = plugin.PrinterHealth

// ViaDaemon is PrinterHealth.Via when the daemon holding the printer's
// port answered for it (DaemonPrinter).
const ViaDaemon = plugin.PrinterViaDaemon

// EngineHealth says whether the flow engine takes payments.
type EngineHealth struct {
	Ready bool `json:"ready"`
}

// ActivePayment is the payment that holds the kiosk.
type ActivePayment struct {
	CheckID string       `json:"check_id"`
	ID      string       `json:"id"`
	State   plugin.State `json:"state"`
}

// HealthSources are what Check asks. Any may be nil: not asked.
type HealthSources struct {
	Journal   func(ctx context.Context) error        // an integrity check of the journal
	Stuck     func(ctx context.Context) (int, error) // paid payments whose notification was given up
	Notify    func() bool                            // whether notify.url is set
	PayMaster func() PayMasterHealth
	Printer   func(ctx context.Context) PrinterHealth
	Ready     func() bool
	Active    func() (plugin.Payment, bool)
}

// CheckHealth asks every source.
func CheckHealth(ctx context.Context, src HealthSources) Health {
	h := Health{Journal: Component{Status: HealthOK}, PayMaster: PayMasterHealth{Status: HealthUnknown},
		Printer: PrinterHealth{Status: plugin.PrinterNotConfigured}, Notify: Component{Status: HealthNotConfigured}}
	if src.Journal != nil {
		if err := src.Journal(ctx); err != nil {
			h.Journal = Component{Status: HealthError, Error: err.Error()}
		}
	}
	if src.PayMaster != nil {
		h.PayMaster = src.PayMaster()
	}
	if src.Printer != nil {
		h.Printer = src.Printer(ctx)
	}
	h.Engine.Ready = src.Ready != nil && src.Ready()
	if src.Notify != nil && src.Notify() {
		h.Notify.Status = HealthOK
	}
	if src.Stuck != nil {
		if n, err := src.Stuck(ctx); err != nil {
			h.Notify = Component{Status: HealthError, Error: err.Error()}
		} else if n > 0 {
			// Paid, but the accounting system was never told: a person
			// must look (sbpd journal stuck). The daemon itself is fine.
			h.Notify = Component{Status: HealthStuck, StuckPaid: n}
		}
	}
	if src.Active != nil {
		if p, ok := src.Active(); ok {
			h.Active = &ActivePayment{CheckID: p.CheckID, ID: p.ID, State: p.State}
		}
	}
	return h
}

// OK is whether the daemon can take payments: the journal answers and
// the engine is ready. PayMaster, the printer and the notifications are
// reported, not judged.
func (h Health) OK() bool { return h.Journal.Status == HealthOK && h.Engine.Ready }

// Parts are the report's parts by name, as /healthz lists them beside
// its status.
func (h Health) Parts() map[string]any {
	parts := map[string]any{"journal": h.Journal, "paymaster": h.PayMaster, "printer": h.Printer, "engine": h.Engine, "notify": h.Notify}
	if h.Active != nil {
		parts["active_payment"] = h.Active
	}
	return parts
}

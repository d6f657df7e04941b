package doctor

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/sbpd/sbpd/plugin"
)

// Kiosk is what the checks look at: the settings as loaded, and the
// drivers behind small interfaces.
type Kiosk struct {
	Settings Settings

	BaseURL, MerchantID, StickerID string
	QRMode                         int
	PrinterPort                    string
	PrinterBaud                    int
	DataDir                        string
	Version                        string // this sbpd's, for a journal a newer one wrote

	// PayMaster builds the client the PayMaster checks share one ping of;
	// an error is a client that cannot be set up.
	PayMaster func() (PayMaster, error)
	// Limits bound the PayMaster calls, the printer's and the journal's
	// checks (a zero field: ctx alone). The PayMaster client is built with
	// PayMasterTry for one request.
	Limits Limits
	// Printer asks the printer (or the daemon that holds its port).
	Printer func(ctx context.Context) plugin.PrinterHealth
	// OpenJournal opens an existing journal.
	OpenJournal func(path string) (Journal, error)
	// ModeFixes are loose journal file modes found (and tightened) when
	// the journal was opened to read the till settings.
	ModeFixes []ModeFix
	DiskFree  func(dir string) (uint64, error)
	Clock     plugin.Clock // nil is the wall clock

	pingOnce sync.Once
	ping     ping
	pmCtx    context.Context
}

// Limits bound a run of the checklist.
type Limits struct {
	PayMasterTry time.Duration // one PayMaster request (one retry after it), for the message too
	PayMasterAll time.Duration // every PayMaster call together
	Local        time.Duration // the printer, the journal, each
	Check        time.Duration // any one check, whatever it waits for (Options.Timeout)
}

// DefaultLimits end sbpd doctor in about 15 s even when PayMaster
// black-holes the connection: the checks run in parallel.
var DefaultLimits = Limits{PayMasterTry: 5 * time.Second, PayMasterAll: 12 * time.Second, Local: 10 * time.Second, Check: 15 * time.Second}

// Where is the layer that holds a key's value (config.Config.Origin).
type Where = plugin.SettingOrigin

// ModeFix is a journal file that was open to other users.
type ModeFix = plugin.ModeFix

// Checks is the kiosk's checklist, in the order it is printed. Its
// PayMaster calls are bounded together, from now, by Limits.PayMasterAll within
// ctx; call done once the checks have run.
func Checks(ctx context.Context, k *Kiosk) (checks []Check, done func()) {
	k.pmCtx, done = withLimit(ctx, k.Limits.PayMasterAll)
	pm := []string{"paymaster.base_url"}
	auth := []string{"paymaster.base_url", "paymaster.merchant_id", "paymaster.token"}
	return []Check{
		{"Settings", k.checkSettings},
		k.gated("PayMaster reachable", pm, nil, k.checkReachable),
		k.gated("PayMaster token", auth, nil, k.checkToken),
		k.gated("Cash-link sticker", append([]string{"sbp.qr_mode", "paymaster.sticker_id"}, auth...), k.stickerUnused, k.checkSticker),
		k.gated("Printer", []string{"printer.port", "printer.baud"}, k.printerUnused, k.checkPrinter),
		k.gated("Journal", []string{"data_dir"}, nil, k.checkJournal),
		k.gated("Disk space", []string{"data_dir"}, nil, k.checkDisk),
		k.gated("Clock", pm, nil, k.checkClock),
	}, done
}

// gated runs run unless the settings do not load, the check does not
// apply (unused says why), or a setting it needs is invalid.
func (k *Kiosk) gated(name string, needs []string, unused func() string, run func(context.Context) Result) Check {
	return Check{Name: name, Run: func(ctx context.Context) Result {
		if !k.Settings.Loaded {
			return Skipped("skipped: the settings do not load (see Settings)")
		}
		if unused != nil {
			if why := unused(); why != "" {
				return Skipped(why)
			}
		}
		if bad := k.Settings.BadAmong(needs); len(bad) > 0 {
			return Skipped(fmt.Sprintf("skipped: %s must be fixed first (see Settings)", strings.Join(bad, ", ")))
		}
		return run(ctx)
	}}
}

func (k *Kiosk) clock() plugin.Clock {
	if k.Clock == nil {
		return plugin.RealClock{}
	}
	return k.Clock
}

// withLimit is ctx bounded by d (not at all when d is 0).
func withLimit(ctx context.Context, d time.Duration) (context.Context, context.CancelFunc) {
	if d <= 0 {
		return context.WithCancel(ctx)
	}
	return context.WithTimeout(ctx, d)
}

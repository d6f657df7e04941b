package plugin

import (
	"fmt"
	"os"
	"time"
)

// The template settings file: ConfigFile, where the Debian package
// installs it, unless the variable ConfigEnv (or the flag --config) names
// another.
const (
	ConfigFile = "/etc/sbpd/sbpd.yaml"
	ConfigEnv  = "SBPD_CONFIG"
)

// ConfigPath is the template file every command reads when --config is
// not given: $SBPD_CONFIG, else ConfigFile.
func ConfigPath() string {
	if p := os.Getenv(ConfigEnv); p != "" {
		return p
	}
	return ConfigFile
}

// The settings' layers, lowest first: the words config names a value's
// source with (SettingOrigin.Layer) and doctor's advice reads.
const (
	LayerDefault  = "default"
	LayerTemplate = "template"      // the cash-desk template file
	LayerTill     = "till settings" // this kiosk's own, in the till's database
	LayerEnvFile  = "env file"      // sbpd.env beside the template
	LayerEnv      = "env"           // an SBPD_ variable
	LayerFlag     = "flag"
)

// SettingOrigin is where a key's effective value comes from, so that
// advice can name the layer that holds it: a value from the env file
// outranks the till settings, and `sbpd settings set` cannot change it
// there.
type SettingOrigin struct {
	Layer        string // one of the Layer… words
	File         string // the template or the env file, for those layers
	Var          string // the SBPD_ variable, for LayerEnvFile and LayerEnv
	Flag         string // the flag, "--listen", for LayerFlag
	Secret       bool   // the key is a secret: set from standard input, `sbpd settings set KEY -`
	TemplateOnly bool   // the key is read from the template only: the till settings may not hold it
}

// SettingProblem is one broken rule of the settings. Message is the whole
// line people see: "key = value (source): what is allowed".
type SettingProblem struct {
	Key     string // the key the message starts with
	Message string
}

// Settings are what the flow engine needs from the resolved configuration.
// The engine takes a copy at the start of each payment, so a change applies
// to the next payment and never in the middle of one.
type Settings struct {
	Enabled        bool          // sbp.enabled
	TillID         string        // till.id; prefix of every order number
	Mode           Mode          // sbp.qr_mode
	MixedAllowed   bool          // sbp.mixed_payment (template only)
	StickerID      string        // paymaster.sticker_id, mode 2
	PollInterval   time.Duration // sbp.poll_interval, 3s
	StatusTimeout  time.Duration // sbp.status_timeout, 120s
	InvoiceTTL     time.Duration // sbp.invoice_ttl, 5m
	QRPollInterval time.Duration // how often to ask for a QR link the create answer lacked
	ExpiryGrace    time.Duration // after the lifetime, how long to wait for PayMaster's final status
	StartWait      time.Duration // how long POST /payments waits for the QR before answering
	PrinterReady   bool          // a receipt printer is wired (mode 0)
}

// DefaultSettings are the design's defaults.
func DefaultSettings() Settings {
	return Settings{
		Enabled:        true,
		TillID:         "K01",
		Mode:           ModeScreen,
		PollInterval:   3 * time.Second,
		StatusTimeout:  120 * time.Second,
		InvoiceTTL:     5 * time.Minute,
		QRPollInterval: 500 * time.Millisecond,
		ExpiryGrace:    30 * time.Second,
		StartWait:      5 * time.Second,
	}
}

// Validate checks the rules the flow depends on.
func (s Settings) Validate() error {
	bad := func(format string, args ...any) error {
		return &Error{Code: EInvalid, Reason: "invalid_settings", Message: fmt.Sprintf(format, args...)}
	}
	switch {
	case !s.Mode.Valid():
		return bad("sbp.qr_mode = %d: must be 0 (print on receipt), 1 (screen) or 2 (sticker/NFC)", int(s.Mode))
	case s.Mode == ModePrint && !s.PrinterReady:
		return bad("sbp.qr_mode = 0 (print on receipt) needs the receipt printer, which this build does not drive yet: use 1 (screen) or 2 (sticker/NFC)")
	case s.Mode == ModeSticker && s.StickerID == "":
		return bad("sbp.qr_mode = 2 (sticker/NFC) needs paymaster.sticker_id: the id of the kiosk's cash-link sticker")
	case s.PollInterval <= 0:
		return bad("sbp.poll_interval = %s: must be positive", s.PollInterval)
	case s.StatusTimeout <= s.PollInterval:
		return bad("sbp.status_timeout = %s: must be longer than sbp.poll_interval (%s)", s.StatusTimeout, s.PollInterval)
	case s.InvoiceTTL < s.StatusTimeout:
		return bad("sbp.invoice_ttl = %s: must be at least sbp.status_timeout (%s)", s.InvoiceTTL, s.StatusTimeout)
	case s.QRPollInterval <= 0 || s.ExpiryGrace < 0 || s.StartWait < 0:
		return bad("internal timing settings must be positive")
	}
	return nil
}

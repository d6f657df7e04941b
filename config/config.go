package config

import (
	"fmt"
	"strings"
	"time"

	"github.com/sbpd/sbpd/plugin"
)

// Config is the resolved configuration.
type Config struct {
	Listen   string
	DataDir  string
	APIToken string `json:"-"` // secrets never go out as JSON (Secrets lists them)
	// APIHosts are the extra names (api.hosts) the till API and the kiosk
	// screen answer to besides localhost, loopback addresses and the listen
	// address: lower-case host names (no trailing dot) and IP addresses in
	// their canonical form without brackets (fe80::1, 192.168.10.7); no
	// port. nil when none.
	APIHosts []string
	TillID   string
	LogLevel string

	SBP struct {
		Enabled       bool
		QRMode        int
		MixedPayment  bool
		PollInterval  time.Duration
		StatusTimeout time.Duration
		InvoiceTTL    time.Duration
	}
	Screen struct {
		CancelButton bool // screen.cancel_button
	}
	PayMaster struct {
		BaseURL    string
		MerchantID string
		Token      string `json:"-"`
		StickerID  string
		TestMode   bool
		Timeout    time.Duration
	}
	Printer struct {
		Port              string
		Baud              int
		Codepage          int
		QR                string
		QRModule          int
		Width             int
		CancelChineseMode bool
	}
	Notify struct {
		URL         string `json:"-"` // may hold a user and password
		Secret      string `json:"-"`
		MaxAttempts int
	}

	template string             // the template file read, "" if none
	envFile  string             // the environment file read, "" if none
	layers   map[string][]Layer // every layer that sets a key, lowest first
	bad      map[string]bool    // keys whose winning value could not be parsed
	// misplaced are template-only keys found in the till settings (shown
	// values); they are ignored and reported.
	misplaced map[string]string
	warnings  []string
}

// Layer is one layer's value of a key.
type Layer struct {
	Source string // as Source returns it
	Value  string // as written there; secrets masked
	raw    any
}

// The sources of a value, lowest first; a template's and a variable's or
// flag's source also name the file, the variable or the flag.
const (
	SourceDefault  = plugin.LayerDefault
	SourceTemplate = plugin.LayerTemplate // "template /etc/sbpd/sbpd.yaml"
	SourceTill     = plugin.LayerTill
	SourceEnvFile  = plugin.LayerEnvFile // "env file /etc/sbpd/sbpd.env (SBPD_PAYMASTER_TOKEN)"
	SourceEnv      = plugin.LayerEnv     // "env SBPD_SBP_QR_MODE"
	SourceFlag     = plugin.LayerFlag    // "flag --listen"
	SourceDemo     = "demo"              // what sbpd demo sets itself: its sandbox, till DEMO
)

// ref points at the field that holds key.
func (c *Config) ref(key string) any {
	switch key {
	case "listen":
		return &c.Listen
	case "data_dir":
		return &c.DataDir
	case "api.token":
		return &c.APIToken
	case "api.hosts":
		return &c.APIHosts
	case "till.id":
		return &c.TillID
	case "log.level":
		return &c.LogLevel
	case "sbp.enabled":
		return &c.SBP.Enabled
	case "sbp.qr_mode":
		return &c.SBP.QRMode
	case "sbp.mixed_payment":
		return &c.SBP.MixedPayment
	case "sbp.poll_interval":
		return &c.SBP.PollInterval
	case "sbp.status_timeout":
		return &c.SBP.StatusTimeout
	case "sbp.invoice_ttl":
		return &c.SBP.InvoiceTTL
	case "screen.cancel_button":
		return &c.Screen.CancelButton
	case "paymaster.base_url":
		return &c.PayMaster.BaseURL
	case "paymaster.merchant_id":
		return &c.PayMaster.MerchantID
	case "paymaster.token":
		return &c.PayMaster.Token
	case "paymaster.sticker_id":
		return &c.PayMaster.StickerID
	case "paymaster.test_mode":
		return &c.PayMaster.TestMode
	case "paymaster.timeout":
		return &c.PayMaster.Timeout
	case "printer.port":
		return &c.Printer.Port
	case "printer.baud":
		return &c.Printer.Baud
	case "printer.codepage":
		return &c.Printer.Codepage
	case "printer.qr":
		return &c.Printer.QR
	case "printer.qr_module":
		return &c.Printer.QRModule
	case "printer.width":
		return &c.Printer.Width
	case "printer.cancel_chinese_mode":
		return &c.Printer.CancelChineseMode
	case "notify.url":
		return &c.Notify.URL
	case "notify.secret":
		return &c.Notify.Secret
	case "notify.max_attempts":
		return &c.Notify.MaxAttempts
	}
	return nil
}

// get is key's typed value; a list (api.hosts) as its comma-separated text,
// so that values compare with ==.
func (c *Config) get(key string) any {
	switch p := c.ref(key).(type) {
	case *string:
		return *p
	case *[]string:
		return strings.Join(*p, ",")
	case *int:
		return *p
	case *bool:
		return *p
	case *time.Duration:
		return *p
	}
	return nil
}

func (c *Config) set(key string, v any) {
	switch p := c.ref(key).(type) {
	case *string:
		*p = v.(string)
	case *[]string:
		*p = splitHostList(v.(string))
	case *int:
		*p = v.(int)
	case *bool:
		*p = v.(bool)
	case *time.Duration:
		*p = v.(time.Duration)
	}
}

// Source says where key's value came from: "default", "template <path>",
// "till settings", "env SBPD_…" or "flag --…".
func (c *Config) Source(key string) string {
	if ls := c.layers[key]; len(ls) > 0 {
		return ls[len(ls)-1].Source
	}
	return SourceDefault
}

// Value is key's effective value as people may see it: secrets masked, the
// user, password and query of a URL masked (Key.Masked), durations as 3s or 2m,
// and a value that could not be read as written.
func (c *Config) Value(key string) string {
	k, ok := Lookup(key)
	if !ok {
		return ""
	}
	if c.bad[key] {
		ls := c.layers[key]
		return ls[len(ls)-1].Value
	}
	return k.Masked(format(c.get(key)))
}

// Layers lists every layer that sets key, lowest first, starting with the
// default; secrets are masked.
func (c *Config) Layers(key string) []Layer {
	if ls := c.layers[key]; len(ls) > 0 {
		return append([]Layer(nil), ls...)
	}
	if k, ok := Lookup(key); ok {
		return []Layer{{Source: SourceDefault, Value: shown(k, format(k.Default))}}
	}
	return nil
}

// Template is the template file that was read, or "" if none was.
func (c *Config) Template() string { return c.template }

// Warnings are things worth telling that do not stop sbpd, such as keys
// it does not know in the template (a newer sbpd's, or a typo).
func (c *Config) Warnings() []string { return append([]string(nil), c.warnings...) }

// RequireRemote checks what talking to PayMaster needs; serve calls it, the
// demo fills these in itself.
func (c *Config) RequireRemote() error {
	var ps []Problem
	if c.PayMaster.MerchantID == "" {
		ps = append(ps, c.problem("paymaster.merchant_id", "must be set: the merchant (site) id from the PayMaster cabinet"))
	}
	if c.PayMaster.Token == "" {
		ps = append(ps, c.problem("paymaster.token", "must be set: the API token from the PayMaster cabinet"))
	}
	return asError(ps)
}

// ServeProblems are what stops c from taking payments, for doctor and the
// PayMaster probe to report: ps, c's own problems (Resolve's), when there
// are any, else what serve requires besides (RequireRemote); with the
// *ValidationError that tells them, or nil, nil.
func ServeProblems(c *Config, ps []Problem) ([]Problem, error) {
	if len(ps) == 0 {
		ps = Problems(c.RequireRemote())
	}
	if len(ps) == 0 {
		return nil, nil
	}
	return ps, &ValidationError{Problems: ps}
}

// Settings returns what the flow engine needs.
func (c *Config) Settings() plugin.Settings {
	s := plugin.DefaultSettings()
	s.Enabled = c.SBP.Enabled
	s.TillID = c.TillID
	s.Mode = plugin.Mode(c.SBP.QRMode)
	s.MixedAllowed = c.SBP.MixedPayment
	s.StickerID = c.PayMaster.StickerID
	s.PollInterval, s.StatusTimeout, s.InvoiceTTL = c.SBP.PollInterval, c.SBP.StatusTimeout, c.SBP.InvoiceTTL
	s.PrinterReady = c.Printer.Port != ""
	return s
}

// problem is an error about key's own value: key = value (source): allowed.
func (c *Config) problem(key, allowed string, args ...any) Problem {
	return Problem{Key: key, Message: fmt.Sprintf("%s = %s (%s): %s", key, c.shownValue(key), c.Source(key), fmt.Sprintf(allowed, args...))}
}

// shownValue is key's value for an error: as written in its layer when
// that is still the value in use, secrets masked, "" for empty.
func (c *Config) shownValue(key string) string {
	k, _ := Lookup(key)
	cur := format(c.get(key))
	if ls := c.layers[key]; len(ls) > 0 {
		top := ls[len(ls)-1]
		if c.bad[key] {
			return top.Value
		}
		if v, rule := parse(k, top.raw); rule == "" && format(v) == cur && !k.Secret {
			return shown(k, format(top.raw))
		}
	}
	return shown(k, cur)
}

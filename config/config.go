package config

import (
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"regexp"
	"strings"
	"time"

	"github.com/spf13/pflag"
	"github.com/spf13/viper"

	"github.com/sbpd/sbpd/plugin"
)

// Config is the resolved configuration.
type Config struct {
	Listen   string
	DataDir  string
	APIToken string
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
	PayMaster struct {
		BaseURL    string
		MerchantID string
		Token      string
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
		URL         string
		Secret      string
		MaxAttempts int
	}

	v     *viper.Viper
	flags *pflag.FlagSet
}

// Source says where a key's value came from: default, template, env or flag.
func (c *Config) Source(key string) string {
	if c.v == nil {
		return "default"
	}
	env := "SBPD_" + strings.ToUpper(strings.NewReplacer(".", "_").Replace(key))
	switch {
	case c.flagChanged(key):
		return "flag"
	case os.Getenv(env) != "":
		return "env " + env
	case c.v.InConfig(key):
		return "template " + c.v.ConfigFileUsed()
	}
	return "default"
}

func (c *Config) flagChanged(key string) bool {
	if c.flags == nil {
		return false
	}
	f := c.flags.Lookup(key)
	return f != nil && f.Changed
}

// Load reads the template file at path (none if path is ""), then the
// SBPD_… environment, then flags whose names are keys (e.g. --listen).
// A missing file is an error only when mustExist is set.
func Load(path string, mustExist bool, flags *pflag.FlagSet) (*Config, error) {
	v := newViper()
	if path != "" {
		v.SetConfigFile(path)
		if err := v.ReadInConfig(); err != nil {
			var nf viper.ConfigFileNotFoundError
			if errors.As(err, &nf) || errors.Is(err, os.ErrNotExist) {
				if mustExist {
					return nil, fmt.Errorf("config file %s does not exist", path)
				}
			} else {
				return nil, fmt.Errorf("config file %s: %w", path, err)
			}
		}
	}
	if flags != nil {
		for _, k := range Keys {
			if f := flags.Lookup(k.Name); f != nil {
				if err := v.BindPFlag(k.Name, f); err != nil {
					return nil, err
				}
			}
		}
	}
	return resolve(v, flags)
}

// Parse reads a template from r (YAML) with the environment on top; for tests.
func Parse(r io.Reader) (*Config, error) {
	v := newViper()
	v.SetConfigType("yaml")
	if err := v.ReadConfig(r); err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	return resolve(v, nil)
}

// newViper knows every key's default and reads SBPD_… variables.
func newViper() *viper.Viper {
	v := viper.New()
	for _, k := range Keys {
		v.SetDefault(k.Name, k.Default)
	}
	v.SetEnvPrefix("SBPD")
	v.SetEnvKeyReplacer(strings.NewReplacer(".", "_"))
	v.AutomaticEnv()
	return v
}

func resolve(v *viper.Viper, flags *pflag.FlagSet) (*Config, error) {
	c := &Config{v: v, flags: flags}
	var errs []error
	str := func(key string) string { return v.GetString(key) }
	integer := func(key string) int {
		n, err := castInt(v.Get(key))
		if err != nil {
			errs = append(errs, c.errorf(key, v.Get(key), "must be a whole number"))
		}
		return n
	}
	boolean := func(key string) bool {
		switch b := v.Get(key).(type) {
		case bool:
			return b
		case string:
			switch strings.ToLower(b) {
			case "true", "1", "yes", "on":
				return true
			case "false", "0", "no", "off", "":
				return false
			}
		}
		errs = append(errs, c.errorf(key, v.Get(key), "must be true or false"))
		return false
	}
	duration := func(key string) time.Duration {
		switch d := v.Get(key).(type) {
		case time.Duration:
			return d
		case string:
			if dd, err := time.ParseDuration(d); err == nil {
				return dd
			}
		}
		errs = append(errs, c.errorf(key, v.Get(key), "must be a duration such as 3s, 2m or 1m30s"))
		return 0
	}
	c.Listen, c.DataDir, c.APIToken = str("listen"), str("data_dir"), str("api.token")
	c.TillID, c.LogLevel = str("till.id"), strings.ToLower(str("log.level"))
	c.SBP.Enabled, c.SBP.QRMode, c.SBP.MixedPayment = boolean("sbp.enabled"), integer("sbp.qr_mode"), boolean("sbp.mixed_payment")
	c.SBP.PollInterval, c.SBP.StatusTimeout, c.SBP.InvoiceTTL = duration("sbp.poll_interval"), duration("sbp.status_timeout"), duration("sbp.invoice_ttl")
	c.PayMaster.BaseURL, c.PayMaster.MerchantID, c.PayMaster.Token = str("paymaster.base_url"), str("paymaster.merchant_id"), str("paymaster.token")
	c.PayMaster.StickerID, c.PayMaster.TestMode, c.PayMaster.Timeout = str("paymaster.sticker_id"), boolean("paymaster.test_mode"), duration("paymaster.timeout")
	c.Printer.Port, c.Printer.Baud, c.Printer.Codepage = str("printer.port"), integer("printer.baud"), integer("printer.codepage")
	c.Printer.QR, c.Printer.QRModule = str("printer.qr"), integer("printer.qr_module")
	c.Printer.Width, c.Printer.CancelChineseMode = integer("printer.width"), boolean("printer.cancel_chinese_mode")
	c.Notify.URL, c.Notify.Secret, c.Notify.MaxAttempts = str("notify.url"), str("notify.secret"), integer("notify.max_attempts")
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return c, c.Validate()
}

func castInt(x any) (int, error) {
	switch n := x.(type) {
	case int:
		return n, nil
	case int64:
		return int(n), nil
	case float64:
		if n == float64(int(n)) {
			return int(n), nil
		}
	case string:
		var i int
		if _, err := fmt.Sscanf(n, "%d", &i); err == nil && fmt.Sprint(i) == strings.TrimSpace(n) {
			return i, nil
		}
	}
	return 0, fmt.Errorf("not an integer: %v", x)
}

func (c *Config) errorf(key string, value any, allowed string, args ...any) error {
	shown := fmt.Sprint(value)
	for _, k := range Keys {
		if k.Name == key && k.Secret {
			shown = Mask(shown)
		}
	}
	return fmt.Errorf("%s = %s (%s): %s", key, shown, c.Source(key), fmt.Sprintf(allowed, args...))
}

var tillIDRe = regexp.MustCompile(`^[A-Za-z0-9_-]{1,32}$`)

// Validate checks every key and the rules between keys.
func (c *Config) Validate() error {
	var errs []error
	add := func(key string, value any, allowed string, args ...any) {
		errs = append(errs, c.errorf(key, value, allowed, args...))
	}
	if _, _, err := net.SplitHostPort(c.Listen); err != nil {
		add("listen", c.Listen, "must be host:port, e.g. 127.0.0.1:8765")
	}
	if c.DataDir == "" {
		add("data_dir", c.DataDir, "must name a directory")
	}
	if !tillIDRe.MatchString(c.TillID) {
		add("till.id", c.TillID, "must be 1 to 32 letters, digits, - or _")
	}
	switch c.LogLevel {
	case "debug", "info", "warn", "error":
	default:
		add("log.level", c.LogLevel, "must be debug, info, warn or error")
	}
	switch c.SBP.QRMode {
	case 0:
		if c.Printer.Port == "" {
			add("printer.port", "", "must be set when sbp.qr_mode = 0 (print on receipt): the receipt printer's serial port, e.g. /dev/ttyS0")
		}
	case 1, 2:
	default:
		add("sbp.qr_mode", c.SBP.QRMode, "must be 0 (print on receipt), 1 (screen) or 2 (sticker/NFC)")
	}
	if c.SBP.QRMode == 2 && c.PayMaster.StickerID == "" {
		add("paymaster.sticker_id", "", "must be set when sbp.qr_mode = 2 (sticker/NFC): the id of the kiosk's cash-link sticker")
	}
	if c.SBP.PollInterval < 500*time.Millisecond || c.SBP.PollInterval > time.Minute {
		add("sbp.poll_interval", c.SBP.PollInterval, "must be between 500ms and 1m (3s is the processor's own pace)")
	}
	if c.SBP.StatusTimeout <= c.SBP.PollInterval {
		add("sbp.status_timeout", c.SBP.StatusTimeout, "must be longer than sbp.poll_interval (%s)", c.SBP.PollInterval)
	}
	if c.SBP.InvoiceTTL < c.SBP.StatusTimeout || c.SBP.InvoiceTTL > 24*time.Hour {
		add("sbp.invoice_ttl", c.SBP.InvoiceTTL, "must be at least sbp.status_timeout (%s) and at most 24h", c.SBP.StatusTimeout)
	}
	if u, err := url.Parse(c.PayMaster.BaseURL); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		add("paymaster.base_url", c.PayMaster.BaseURL, "must be an absolute http(s) URL such as https://paymaster.ru")
	}
	if c.PayMaster.Timeout < time.Second || c.PayMaster.Timeout > 2*time.Minute {
		add("paymaster.timeout", c.PayMaster.Timeout, "must be between 1s and 2m")
	}
	switch c.Printer.Baud {
	case 1200, 2400, 4800, 9600, 19200, 38400, 57600, 115200, 230400, 460800, 921600:
	default:
		add("printer.baud", c.Printer.Baud, "must be a standard serial speed: 9600, 19200, 38400, 57600 or 115200 (see the printer's self-test page)")
	}
	if c.Printer.Codepage < 0 || c.Printer.Codepage > 255 {
		add("printer.codepage", c.Printer.Codepage, "must be 0 to 255, the n of ESC t n (17 on Epson-compatible printers, 7 on Rongta; `sbpd printer test` prints a probe)")
	}
	if c.Printer.QR != "native" && c.Printer.QR != "raster" {
		add("printer.qr", c.Printer.QR, "must be native (the printer draws the QR, GS ( k) or raster (sbpd draws it, for printers without native QR)")
	}
	if c.Printer.QRModule < 1 || c.Printer.QRModule > 16 {
		add("printer.qr_module", c.Printer.QRModule, "must be 1 to 16 dots")
	}
	if c.Printer.Width != 384 && c.Printer.Width != 512 && c.Printer.Width != 576 {
		add("printer.width", c.Printer.Width, "must be 384 (58 mm paper), 512 (Epson TM-T88) or 576 (80 mm paper)")
	}
	if c.Notify.MaxAttempts < 1 || c.Notify.MaxAttempts > 1000 {
		add("notify.max_attempts", c.Notify.MaxAttempts, "must be between 1 and 1000")
	}
	return errors.Join(errs...)
}

// RequireRemote checks what talking to PayMaster needs; serve calls it, the
// demo fills these in itself.
func (c *Config) RequireRemote() error {
	var errs []error
	if c.PayMaster.MerchantID == "" {
		errs = append(errs, c.errorf("paymaster.merchant_id", "", "must be set: the merchant (site) id from the PayMaster cabinet"))
	}
	if c.PayMaster.Token == "" {
		errs = append(errs, c.errorf("paymaster.token", "", "must be set: the API token from the PayMaster cabinet"))
	}
	return errors.Join(errs...)
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

// Mask hides a secret completely; it only tells whether one is set.
func Mask(s string) string {
	if s == "" {
		return "(not set)"
	}
	return "****** (set)"
}

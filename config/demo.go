package config

import (
	"os"
	"time"
)

// Demo is what `sbpd demo` puts over the built-in defaults and the SBPD_…
// environment: the in-process PayMaster sandbox, always in test mode,
// mixed payments allowed, till DEMO, and the demo's own flags.
type Demo struct {
	Listen        string
	QRMode        int
	StatusTimeout time.Duration
	// The sandbox's address and credentials, and its cash-link sticker.
	BaseURL, MerchantID, Token, StickerID string
	DataDir                               string // the demo's journal directory
	PrinterPort                           string // mode 0: the virtual printer's file
}

// Config is the demo's settings: valid, or an error naming what is wrong.
func (d Demo) Config() (*Config, error) {
	cfg, err := Load("", false, nil)
	if err != nil {
		return nil, err
	}
	cfg.Listen, cfg.TillID, cfg.DataDir = d.Listen, "DEMO", d.DataDir
	cfg.SBP.QRMode, cfg.SBP.MixedPayment, cfg.SBP.StatusTimeout = d.QRMode, true, d.StatusTimeout
	cfg.PayMaster.BaseURL, cfg.PayMaster.MerchantID, cfg.PayMaster.Token = d.BaseURL, d.MerchantID, d.Token
	cfg.PayMaster.StickerID, cfg.PayMaster.TestMode = d.StickerID, true
	cfg.Printer.Port = d.PrinterPort
	// Where each value came from, for what settings and refusals say.
	for key, v := range map[string]struct {
		source string
		raw    any
	}{
		"listen": {SourceFlag + " --listen", d.Listen}, "data_dir": {SourceDemo, d.DataDir},
		"sbp.qr_mode": {SourceFlag + " --mode", d.QRMode}, "sbp.status_timeout": {SourceFlag + " --status-timeout", d.StatusTimeout},
		"till.id": {SourceDemo, cfg.TillID}, "sbp.mixed_payment": {SourceDemo, true},
		"paymaster.base_url": {SourceDemo, d.BaseURL}, "paymaster.merchant_id": {SourceDemo, d.MerchantID},
		"paymaster.token": {SourceDemo, d.Token}, "paymaster.sticker_id": {SourceDemo, d.StickerID},
		"paymaster.test_mode": {SourceDemo, true}, "printer.port": {SourceDemo, d.PrinterPort},
	} {
		k, _ := Lookup(key)
		cfg.layers[key] = append(cfg.layers[key], newLayer(k, v.source, v.raw))
	}
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	return cfg, nil
}

// MakeDataDir makes the demo's journal directory. Without DataDir it is a
// new one under the temporary directory for each run, which remove
// deletes: an earlier run's paid check would answer the README's first
// example, and a new sandbox's ids would collide with an old journal's.
// A given DataDir is made when missing and kept (remove does nothing).
func (d *Demo) MakeDataDir() (remove func(), err error) {
	if d.DataDir != "" {
		return func() {}, os.MkdirAll(d.DataDir, 0o750)
	}
	if d.DataDir, err = os.MkdirTemp("", "sbpd-demo-"); err != nil {
		return func() {}, err
	}
	dir := d.DataDir
	return func() { os.RemoveAll(dir) }, nil
}

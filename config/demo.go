package config

import "time"

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
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	return cfg, nil
}

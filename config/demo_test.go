package config_test

import (
	"strings"
	"testing"
	"time"

	"github.com/sbpd/sbpd/config"
)

// TestDemo: the demo's settings are the sandbox's, in test mode, and are
// validated like any others.
func TestDemo(t *testing.T) {
	base := config.Demo{Listen: "127.0.0.1:8765", QRMode: 1, StatusTimeout: 30 * time.Second, BaseURL: "http://127.0.0.1:40001",
		MerchantID: "6f1c2e9a-4b7d-4e3a-9c51-2d8f0b7a6e14", Token: "0123456789abcdef0123456789abcdef", StickerID: "d3m0571c4e12", DataDir: t.TempDir()}
	cases := map[string]struct {
		edit    func(*config.Demo)
		refused string // a word of the error, "" for valid
	}{
		"screen":                 {edit: func(*config.Demo) {}},
		"sticker":                {edit: func(d *config.Demo) { d.QRMode = 2 }},
		"printed":                {edit: func(d *config.Demo) { d.QRMode, d.PrinterPort = 0, "/tmp/tape.escpos" }},
		"printed without a tape": {edit: func(d *config.Demo) { d.QRMode = 0 }, refused: "printer.port"},
		"bad listen":             {edit: func(d *config.Demo) { d.Listen = "nowhere" }, refused: "listen"},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			d := base
			c.edit(&d)
			cfg, err := d.Config()
			if c.refused != "" {
				if err == nil || !strings.Contains(err.Error(), c.refused) {
					t.Fatalf("want refused for %s: %v", c.refused, err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !cfg.PayMaster.TestMode || cfg.TillID != "DEMO" || cfg.PayMaster.BaseURL != d.BaseURL || cfg.SBP.QRMode != d.QRMode || !cfg.SBP.MixedPayment {
				t.Errorf("%+v", cfg)
			}
		})
	}
}

package config_test

import (
	"os"
	"path/filepath"
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
		// A refusal names where the value came from: the demo's flag, not "(default)".
		"bad listen": {edit: func(d *config.Demo) { d.Listen = "nowhere" }, refused: "listen = nowhere (flag --listen): "},
		"bad mode":   {edit: func(d *config.Demo) { d.QRMode = 7 }, refused: "sbp.qr_mode = 7 (flag --mode): must be 0"},
		"bad status timeout": {edit: func(d *config.Demo) { d.StatusTimeout = -time.Second },
			refused: "sbp.status_timeout = -1s (flag --status-timeout): "},
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

// TestDemo_MakeDataDir: without --data-dir each run gets a new directory
// under the temporary directory, removed afterwards; a given one is made
// when missing and kept.
func TestDemo_MakeDataDir(t *testing.T) {
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)
	file := filepath.Join(tmp, "a-file")
	if err := os.WriteFile(file, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	cases := map[string]struct {
		given   string
		fresh   bool // a new directory in tmp, removed afterwards
		refused bool
	}{
		"a new one":       {fresh: true},
		"given, missing":  {given: filepath.Join(tmp, "kept", "demo")},
		"given, existing": {given: t.TempDir()},
		"given, a file":   {given: file, refused: true},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			d := config.Demo{DataDir: c.given}
			remove, err := d.MakeDataDir()
			if c.refused {
				if err == nil {
					t.Fatalf("made %s", d.DataDir)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if st, err := os.Stat(d.DataDir); err != nil || !st.IsDir() {
				t.Fatalf("data dir %q: %v", d.DataDir, err)
			}
			if c.fresh != (filepath.Dir(d.DataDir) == tmp && strings.HasPrefix(filepath.Base(d.DataDir), "sbpd-demo-")) || (!c.fresh && d.DataDir != c.given) {
				t.Errorf("data dir %q for %q", d.DataDir, c.given)
			}
			remove()
			if _, err := os.Stat(d.DataDir); c.fresh != os.IsNotExist(err) {
				t.Errorf("after remove, %s: %v (removed only if new)", d.DataDir, err)
			}
		})
	}
	d := config.Demo{}
	remove1, _ := d.MakeDataDir()
	first := d.DataDir
	d.DataDir = ""
	remove2, _ := d.MakeDataDir()
	defer remove1()
	defer remove2()
	if first == d.DataDir {
		t.Errorf("two runs share %s", first)
	}
}

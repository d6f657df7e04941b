package config_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/spf13/pflag"

	"github.com/sbpd/sbpd/config"
	"github.com/sbpd/sbpd/plugin"
)

func TestDefaultsAreValid(t *testing.T) {
	c, err := config.Parse(strings.NewReader(""))
	if err != nil {
		t.Fatal(err)
	}
	if c.Listen != "127.0.0.1:8765" || c.SBP.QRMode != 1 || c.SBP.PollInterval != 3*time.Second ||
		c.SBP.StatusTimeout != 120*time.Second || c.SBP.InvoiceTTL != 5*time.Minute || c.Printer.Codepage != 17 || c.Notify.MaxAttempts != 50 {
		t.Fatalf("defaults: %+v", c)
	}
	if err := c.RequireRemote(); err == nil || !strings.Contains(err.Error(), "paymaster.token") {
		t.Fatalf("RequireRemote: %v", err)
	}
}

func TestTemplateValues(t *testing.T) {
	c, err := config.Parse(strings.NewReader(`
listen: 127.0.0.1:9000
till:
  id: K07
sbp:
  qr_mode: 2
  poll_interval: 2s
  status_timeout: 90s
  mixed_payment: true
paymaster:
  merchant_id: 0b7c2f9e-3a51-4c1d-9e8a-5f2d6c7b8a90
  token: secret-token
  sticker_id: a1b2c3
`))
	if err != nil {
		t.Fatal(err)
	}
	s := c.Settings()
	if s.Mode != plugin.ModeSticker || s.StickerID != "a1b2c3" || s.TillID != "K07" || s.PollInterval != 2*time.Second ||
		s.StatusTimeout != 90*time.Second || !s.MixedAllowed {
		t.Fatalf("settings: %+v", s)
	}
	if err := s.Validate(); err != nil {
		t.Fatal(err)
	}
}

func TestErrorsNameKeyValueSourceAndAllowed(t *testing.T) {
	cases := []struct {
		yaml string
		want []string
	}{
		{"sbp: {qr_mode: 3}", []string{"sbp.qr_mode = 3 (template", "must be 0 (print on receipt), 1 (screen) or 2 (sticker/NFC)"}},
		{"sbp: {qr_mode: 0}", []string{"printer.port", "sbp.qr_mode = 0"}},
		{"printer: {qr: picture}", []string{"printer.qr = picture", "native", "raster"}},
		{"printer: {baud: 9601}", []string{"printer.baud = 9601", "standard serial speed"}},
		{"printer: {qr_module: 20}", []string{"printer.qr_module = 20", "1 to 16"}},
		{"printer: {width: 400}", []string{"printer.width = 400", "384"}},
		{"printer: {codepage: 300}", []string{"printer.codepage = 300"}},
		{"sbp: {qr_mode: 2}", []string{"paymaster.sticker_id", "sbp.qr_mode = 2"}},
		{"sbp: {qr_mode: two}", []string{"sbp.qr_mode = two (template -): must be 0 (print on receipt), 1 (screen) or 2 (sticker/NFC)"}},
		{"sbp: {poll_interval: soon}", []string{"sbp.poll_interval = soon", "duration"}},
		{"sbp: {poll_interval: 3s, status_timeout: 2s}", []string{"sbp.status_timeout = 2s", "longer than sbp.poll_interval"}},
		{"sbp: {invoice_ttl: 1m}", []string{"sbp.invoice_ttl = 1m (template -): must be at least sbp.status_timeout = 2m (default)"}},
		{"sbp: {enabled: maybe}", []string{"sbp.enabled = maybe", "true or false"}},
		{"listen: 8765", []string{"listen = 8765", "host:port"}},
		{"till: {id: 'K 07'}", []string{"till.id = K 07", "letters, digits"}},
		{"paymaster: {base_url: 'ftp://x'}", []string{"paymaster.base_url = ftp://x", "https://"}},
		{"log: {level: loud}", []string{"log.level = loud"}},
		{"notify: {max_attempts: 0}", []string{"notify.max_attempts = 0", "between 1 and 1000"}},
	}
	for _, c := range cases {
		_, err := config.Parse(strings.NewReader(c.yaml))
		if err == nil {
			t.Errorf("%s: accepted", c.yaml)
			continue
		}
		for _, w := range c.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("%s: error %q lacks %q", c.yaml, err, w)
			}
		}
	}
}

func TestEnvAndFlagsOverrideTemplate(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "sbpd.yaml")
	os.WriteFile(path, []byte("listen: 127.0.0.1:9000\nsbp:\n  poll_interval: 2s\n"), 0o600)
	t.Setenv("SBPD_SBP_POLL_INTERVAL", "4s")
	t.Setenv("SBPD_PAYMASTER_TOKEN", "from-env")
	fs := pflag.NewFlagSet("t", pflag.ContinueOnError)
	fs.String("listen", "", "")
	fs.Parse([]string{"--listen", "127.0.0.1:9100"})
	c, err := config.Load(path, true, fs)
	if err != nil {
		t.Fatal(err)
	}
	if c.SBP.PollInterval != 4*time.Second || c.PayMaster.Token != "from-env" || c.Listen != "127.0.0.1:9100" {
		t.Fatalf("poll %s token set %v listen %s", c.SBP.PollInterval, c.PayMaster.Token != "", c.Listen)
	}
	if src := c.Source("sbp.poll_interval"); src != "env SBPD_SBP_POLL_INTERVAL" {
		t.Errorf("source %q", src)
	}
	if src := c.Source("listen"); src != "flag --listen" {
		t.Errorf("source %q", src)
	}
	t.Setenv("SBPD_SBP_QR_MODE", "5")
	_, err = config.Load(path, true, nil)
	if err == nil || !strings.Contains(err.Error(), "sbp.qr_mode = 5 (env SBPD_SBP_QR_MODE)") {
		t.Fatalf("env error: %v", err)
	}
}

func TestMissingFile(t *testing.T) {
	if _, err := config.Load(filepath.Join(t.TempDir(), "none.yaml"), true, nil); err == nil || !strings.Contains(err.Error(), "does not exist") {
		t.Fatalf("%v", err)
	}
	if _, err := config.Load(filepath.Join(t.TempDir(), "none.yaml"), false, nil); err != nil {
		t.Fatalf("optional file: %v", err)
	}
}

func TestSecretsNeverShown(t *testing.T) {
	secret := "pm-7f3Kq9ZxW2"
	m := config.Mask(secret)
	for i := 0; i+3 <= len(secret); i++ {
		if strings.Contains(m, secret[i:i+3]) {
			t.Fatalf("mask %q shows part of the secret", m)
		}
	}
	if config.Mask("") == m {
		t.Fatal("mask must tell a set secret from an unset one")
	}
}

// TestServeProblems: what stops settings from taking payments: their own
// problems when they have any, else what serve also requires.
func TestServeProblems(t *testing.T) {
	c, err := config.Parse(strings.NewReader("paymaster:\n  merchant_id: 0b7c2f9e-3a51-4c1d-9e8a-5f2d6c7b8a90\n"))
	if err != nil {
		t.Fatal(err)
	}
	own := []config.Problem{{Key: "sbp.qr_mode", Message: "sbp.qr_mode = 2 (till settings): needs paymaster.sticker_id"}}
	if ps, err := config.ServeProblems(c, own); len(ps) != 1 || ps[0].Key != "sbp.qr_mode" || err == nil || err.Error() != own[0].Message {
		t.Errorf("with problems of its own: %v %v", ps, err)
	}
	if ps, err := config.ServeProblems(c, nil); len(ps) != 1 || ps[0].Key != "paymaster.token" || !errors.Is(err, config.ErrInvalid) {
		t.Errorf("without a token: %v %v", ps, err)
	}
	c.PayMaster.Token = "pm-token-0123456789"
	if ps, err := config.ServeProblems(c, nil); ps != nil || err != nil {
		t.Errorf("ready to serve: %v %v", ps, err)
	}
}

package config_test

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/sbpd/sbpd/config"
)

// The package's secrets file beside the template is a layer above the till
// settings and below the real environment, so the technician's commands
// see what the daemon (EnvironmentFile=) sees.
func TestEnvFile_Layer(t *testing.T) {
	dir := t.TempDir()
	tmpl := filepath.Join(dir, "sbpd.yaml")
	os.WriteFile(tmpl, []byte("till:\n  id: K07\npaymaster:\n  merchant_id: m-from-template\nsbp:\n  poll_interval: 2s\n"), 0o640)
	env := filepath.Join(dir, config.EnvFileName)
	os.WriteFile(env, []byte(`# secrets of this kiosk
SBPD_PAYMASTER_TOKEN="pm-token-from-file-0123456789"
SBPD_PAYMASTER_MERCHANT_ID = '5e1f0a3c-7b2d-4c9e-8f61-0a2b3c4d5e6f'
; a comment
LANG=C.UTF-8

SBPD_SBP_POLL_INTERVAL=4s
`), 0o640)
	t.Setenv("SBPD_SBP_POLL_INTERVAL", "5s")
	till := config.MapStore{"paymaster.merchant_id": "m-from-till"}
	c, err := config.Open(context.Background(), config.Options{Path: tmpl, Till: till})
	if err != nil {
		t.Fatal(err)
	}
	if c.PayMaster.Token != "pm-token-from-file-0123456789" || c.PayMaster.MerchantID != "5e1f0a3c-7b2d-4c9e-8f61-0a2b3c4d5e6f" {
		t.Errorf("token %q merchant %q: the env file must override the template and the till settings", c.PayMaster.Token, c.PayMaster.MerchantID)
	}
	if c.SBP.PollInterval.String() != "5s" {
		t.Errorf("poll interval %s: the real environment must override the env file", c.SBP.PollInterval)
	}
	if src := c.Source("paymaster.token"); src != "env file "+env+" (SBPD_PAYMASTER_TOKEN)" {
		t.Errorf("Source(paymaster.token) = %q", src)
	}
	if len(c.Warnings()) != 0 {
		t.Errorf("warnings: %q", c.Warnings())
	}
	// An explicit file wins over the one beside the template.
	other := writeFile(t, "other.env", "SBPD_PAYMASTER_MERCHANT_ID=m-other\n")
	c, _ = config.Open(context.Background(), config.Options{Path: tmpl, EnvFile: other})
	if c.PayMaster.MerchantID != "m-other" || c.PayMaster.Token != "" {
		t.Errorf("EnvFile: merchant %q token %q", c.PayMaster.MerchantID, c.PayMaster.Token)
	}
	// No template file: no env file either.
	c, _ = config.Open(context.Background(), config.Options{})
	if c.PayMaster.Token != "" {
		t.Error("an env file was read without a template")
	}
}

func TestEnvFile_Problems(t *testing.T) {
	dir := t.TempDir()
	tmpl := filepath.Join(dir, "sbpd.yaml")
	os.WriteFile(tmpl, []byte("till:\n  id: K07\n"), 0o640)
	secret := "pm-secret-value-" + strings.Repeat("x", 12)
	env := filepath.Join(dir, config.EnvFileName)
	os.WriteFile(env, []byte("SBPD_PAYMASTER_TOKEN="+secret+"\nSBPD_PAYMASTER_TOKN=typo\nnot an assignment "+secret+"\n"), 0o644)
	c, err := config.Open(context.Background(), config.Options{Path: tmpl})
	if err != nil {
		t.Fatal(err)
	}
	w := strings.Join(c.Warnings(), "\n")
	for _, want := range []string{
		"line 2: SBPD_PAYMASTER_TOKN is not a setting of sbpd",
		"line 3 is not NAME=VALUE",
		"environment file " + env + " holds secrets (paymaster.token) and is readable by other users (mode 0644); fix: chmod 640",
	} {
		if !strings.Contains(w, want) {
			t.Errorf("warnings lack %q:\n%s", want, w)
		}
	}
	if strings.Contains(w, secret) {
		t.Error("a warning shows the secret")
	}
	if c.PayMaster.Token != secret {
		t.Errorf("the good line was not used: %q", c.PayMaster.Token)
	}
}

// A sbpd.env that is not a file is reported and skipped. (The branch for
// a file sbpd may not read needs a non-root run: root reads any file.)
func TestEnvFile_Unreadable(t *testing.T) {
	dir := t.TempDir()
	tmpl := filepath.Join(dir, "sbpd.yaml")
	os.WriteFile(tmpl, []byte("till:\n  id: K07\n"), 0o640)
	if err := os.Mkdir(filepath.Join(dir, config.EnvFileName), 0o700); err != nil { // a directory cannot be read as a file
		t.Fatal(err)
	}
	c, err := config.Open(context.Background(), config.Options{Path: tmpl})
	if err != nil {
		t.Fatalf("an unreadable env file must not stop loading: %v", err)
	}
	if w := strings.Join(c.Warnings(), "\n"); !strings.Contains(w, "environment file "+filepath.Join(dir, config.EnvFileName)+" is not a regular file") {
		t.Errorf("warnings %q: want one saying the env file is not a regular file", w)
	}
}

var problemRe = regexp.MustCompile(`^(line \d+ is not NAME=VALUE; it is ignored|line \d+: SBPD_[A-Za-z0-9_]* is not a setting of sbpd; it is ignored|stopped reading after line \d+: .*)$`)

func FuzzParseEnvFile(f *testing.F) {
	for _, s := range []string{"", "SBPD_PAYMASTER_TOKEN=abc\n", "# c\n; c\nA=B\n", "SBPD_LISTEN=\"x\"\n", "=\n", "SBPD_X\n", "SBPD_TILL_ID='K'\r\n"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		vars, problems := config.ParseEnvFile(strings.NewReader(s))
		for name := range vars {
			if !strings.HasPrefix(name, "SBPD_") {
				t.Fatalf("non-SBPD variable %q returned", name)
			}
			known := false
			for _, k := range config.Keys {
				known = known || config.EnvName(k.Name) == name
			}
			if !known {
				t.Fatalf("%s is no key's variable", name)
			}
		}
		// Problems name lines and variable names, never values.
		for _, p := range problems {
			if !problemRe.MatchString(p) {
				t.Fatalf("problem %q", p)
			}
		}
	})
}

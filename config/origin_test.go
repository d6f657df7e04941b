package config_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/sbpd/sbpd/config"
)

// TestOrigin: each layer that can hold a value is named with its file or
// variable, so that advice can say where to change it; and whether the key
// is a secret (set from standard input) or the template's only.
func TestOrigin(t *testing.T) {
	for _, env := range []string{"SBPD_PAYMASTER_TOKEN", "SBPD_LOG_LEVEL", "SBPD_TILL_ID", "SBPD_SBP_QR_MODE"} {
		t.Setenv(env, "")
	}
	tmpl := writeFile(t, "sbpd.yaml", "till:\n  id: K01\nlog:\n  level: debug\n")
	envFile := filepath.Join(filepath.Dir(tmpl), config.EnvFileName)
	writeAt(t, envFile, "SBPD_PAYMASTER_TOKEN=pm-secret-token-0123456789\n")
	t.Setenv("SBPD_LOG_LEVEL", "warn")
	cfg, err := config.Open(context.Background(), config.Options{Path: tmpl, Till: config.MapStore{"sbp.qr_mode": "1"}})
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		key  string
		want config.Origin
	}{
		{"till.id", config.Origin{Layer: config.SourceTemplate, File: tmpl}},
		{"sbp.qr_mode", config.Origin{Layer: config.SourceTill}},
		{"paymaster.token", config.Origin{Layer: config.SourceEnvFile, File: envFile, Var: "SBPD_PAYMASTER_TOKEN", Secret: true}},
		{"data_dir", config.Origin{Layer: config.SourceDefault, TemplateOnly: true}},
		{"log.level", config.Origin{Layer: config.SourceEnv, Var: "SBPD_LOG_LEVEL"}},
		{"printer.port", config.Origin{Layer: config.SourceDefault}},
		{"no.such_key", config.Origin{Layer: config.SourceDefault}},
	}
	for _, c := range cases {
		if got := cfg.Origin(c.key); got != c.want {
			t.Errorf("Origin(%s) = %+v, want %+v", c.key, got, c.want)
		}
	}
	fs := keyFlags(t, []string{"listen"}, "--listen", "127.0.0.1:9")
	if cfg, err = config.Open(context.Background(), config.Options{Flags: fs}); err != nil {
		t.Fatal(err)
	}
	if got := cfg.Origin("listen"); got != (config.Origin{Layer: config.SourceFlag, Flag: "--listen"}) {
		t.Errorf("Origin(listen) = %+v", got)
	}
}

func writeAt(t *testing.T, path, body string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
}

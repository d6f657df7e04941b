package config_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/spf13/pflag"

	"github.com/sbpd/sbpd/config"
)

func writeFile(t *testing.T, name, body string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// keyFlags defines a string flag for each key, as a command would, and
// parses args.
func keyFlags(t *testing.T, keys []string, args ...string) *pflag.FlagSet {
	t.Helper()
	fs := pflag.NewFlagSet("t", pflag.ContinueOnError)
	for _, k := range keys {
		fs.String(k, "", "")
	}
	if err := fs.Parse(args); err != nil {
		t.Fatal(err)
	}
	return fs
}

// TestLayer_Precedence sets keys in every combination of the five layers:
// the highest layer that sets a key wins, and Source names it.
func TestLayer_Precedence(t *testing.T) {
	for _, ext := range []string{"yaml", "toml"} {
		t.Run(ext, func(t *testing.T) {
			tmpl := map[string]string{
				"yaml": `listen: 127.0.0.1:9000
till:
  id: K07
sbp:
  poll_interval: 2s
  enabled: false
printer:
  codepage: 7
  qr: raster
log:
  level: warn
`,
				"toml": `listen = "127.0.0.1:9000"
[till]
id = "K07"
[sbp]
poll_interval = "2s"
enabled = false
[printer]
codepage = 7
qr = "raster"
[log]
level = "warn"
`}[ext]
			path := writeFile(t, "sbpd."+ext, tmpl)
			till := config.MapStore{
				"listen":               "127.0.0.1:9001",
				"till.id":              "K08",
				"sbp.poll_interval":    "4s",
				"sbp.qr_mode":          "2",
				"paymaster.sticker_id": "st1",
				"log.level":            "error",
			}
			t.Setenv("SBPD_LISTEN", "127.0.0.1:9002")
			t.Setenv("SBPD_SBP_POLL_INTERVAL", "5s")
			t.Setenv("SBPD_SBP_ENABLED", "true")
			t.Setenv("SBPD_PAYMASTER_STICKER_ID", "") // empty: unset
			t.Setenv("SBPD_LOG_LEVEL", "debug")
			flags := keyFlags(t, []string{"listen", "printer.qr", "log.level", "sbp.qr_mode"},
				"--listen", "127.0.0.1:9003", "--printer.qr", "native") // log.level and sbp.qr_mode defined, not given
			c, err := config.Open(context.Background(), config.Options{Path: path, MustExist: true, Till: till, Flags: flags})
			if err != nil {
				t.Fatal(err)
			}
			cases := []struct {
				key, value, source string
				layers             int
			}{
				{"listen", "127.0.0.1:9003", "flag --listen", 5},
				{"printer.qr", "native", "flag --printer.qr", 3},
				{"sbp.poll_interval", "5s", "env SBPD_SBP_POLL_INTERVAL", 4},
				{"sbp.enabled", "true", "env SBPD_SBP_ENABLED", 3},
				{"log.level", "debug", "env SBPD_LOG_LEVEL", 4},
				{"till.id", "K08", "till settings", 3},
				{"sbp.qr_mode", "2", "till settings", 2},
				{"paymaster.sticker_id", "st1", "till settings", 2},
				{"printer.codepage", "7", "template " + path, 2},
				{"notify.max_attempts", "50", "default", 1},
				{"sbp.status_timeout", "2m", "default", 1},
			}
			for _, tc := range cases {
				if got := c.Value(tc.key); got != tc.value {
					t.Errorf("%s = %q, want %q", tc.key, got, tc.value)
				}
				if got := c.Source(tc.key); got != tc.source {
					t.Errorf("Source(%s) = %q, want %q", tc.key, got, tc.source)
				}
				if ls := c.Layers(tc.key); len(ls) != tc.layers || ls[0].Source != "default" {
					t.Errorf("Layers(%s) = %+v, want %d starting with the default", tc.key, ls, tc.layers)
				}
			}
			if c.Listen != "127.0.0.1:9003" || c.SBP.PollInterval != 5*time.Second || !c.SBP.Enabled || c.TillID != "K08" ||
				c.SBP.QRMode != 2 || c.Printer.Codepage != 7 || c.Printer.QR != "native" || c.LogLevel != "debug" {
				t.Errorf("typed config: %+v", c)
			}
			if c.Template() != path {
				t.Errorf("Template() = %q", c.Template())
			}
		})
	}
}

func TestLayer_LoadKeepsWorkingWithoutTill(t *testing.T) {
	path := writeFile(t, "sbpd.yml", "till: {id: K07}\n")
	c, err := config.Load(path, true, nil)
	if err != nil {
		t.Fatal(err)
	}
	if c.TillID != "K07" || c.Source("till.id") != "template "+path {
		t.Fatalf("%s from %s", c.TillID, c.Source("till.id"))
	}
}

func TestLayer_TemplateErrors(t *testing.T) {
	bad := writeFile(t, "sbpd.yaml", "sbp: [1, 2\n")
	if _, err := config.Load(bad, true, nil); err == nil || !strings.Contains(err.Error(), "config file "+bad) {
		t.Errorf("broken YAML: %v", err)
	}
	conf := writeFile(t, "sbpd.conf", "listen: x\n")
	if _, err := config.Load(conf, true, nil); err == nil || !strings.Contains(err.Error(), "must be YAML (.yaml, .yml) or TOML (.toml)") {
		t.Errorf("unknown extension: %v", err)
	}
}

func TestLayer_UnknownKeysWarn(t *testing.T) {
	path := writeFile(t, "sbpd.yaml", "sbp: {qr_mod: 2}\n")
	c, err := config.Open(context.Background(), config.Options{Path: path, Till: config.MapStore{"printer.bud": "9600"}})
	if err != nil {
		t.Fatal(err)
	}
	w := strings.Join(c.Warnings(), "\n")
	for _, want := range []string{
		`template ` + path + `: unknown setting "sbp.qr_mod": did you mean sbp.qr_mode?`,
		`till settings: unknown setting "printer.bud": did you mean printer.baud?`,
		"sbpd settings unset printer.bud",
	} {
		if !strings.Contains(w, want) {
			t.Errorf("warnings %q lack %q", w, want)
		}
	}
}

type failingStore struct{}

func (failingStore) TillSettings(context.Context) (map[string]string, error) {
	return nil, errors.New("database is locked")
}

func TestLayer_TillStoreError(t *testing.T) {
	c, err := config.Open(context.Background(), config.Options{Till: failingStore{}})
	if c != nil || err == nil || err.Error() != "till settings: database is locked" {
		t.Fatalf("%v %v", c, err)
	}
}

// TestLayer_InvalidConfigStillShown: an invalid result comes back with the
// problems, so that `sbpd settings list` can show what is set where.
func TestLayer_InvalidConfigStillShown(t *testing.T) {
	c, err := resolve(config.Options{Till: config.MapStore{"sbp.qr_mode": "7", "till.id": "K09"}})
	if c == nil || !errors.Is(err, config.ErrInvalid) {
		t.Fatalf("%v %v", c, err)
	}
	if c.Value("sbp.qr_mode") != "7" || c.Source("sbp.qr_mode") != "till settings" || c.TillID != "K09" {
		t.Fatalf("value %q source %q", c.Value("sbp.qr_mode"), c.Source("sbp.qr_mode"))
	}
	if ps := config.Problems(err); len(ps) != 1 || ps[0].Key != "sbp.qr_mode" {
		t.Fatalf("%+v", ps)
	}
}

package main

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spf13/cobra"

	"github.com/sbpd/sbpd/config"
	"github.com/sbpd/sbpd/drivers/paymaster"
	"github.com/sbpd/sbpd/drivers/sqlite"
)

// kioskCmd is a command with --config set to template, as openKiosk and
// inspectKiosk read it.
func kioskCmd(t *testing.T, template string) *cobra.Command {
	t.Helper()
	cmd := &cobra.Command{}
	cmd.Flags().String("config", "", "")
	if err := cmd.Flags().Set("config", template); err != nil {
		t.Fatal(err)
	}
	cmd.SetContext(context.Background())
	return cmd
}

// TestKiosk_InspectTolerates: openKiosk refuses settings that do not load
// and a journal that does not open; inspectKiosk, doctor's and the probe's
// way in, keeps them for the report and reads what it can.
func TestKiosk_InspectTolerates(t *testing.T) {
	cases := map[string]struct {
		badYAML  bool   // the template does not parse
		journal  []byte // nil: none; "db": a real journal
		strictOK bool
		loaded   bool // inspectKiosk has settings
		withTill bool
	}{
		"settings do not load": {badYAML: true, strictOK: false, loaded: false},
		"journal is not one":   {journal: []byte("not a database, whatever it is\n"), strictOK: false, loaded: true},
		"no journal yet":       {strictOK: true, loaded: true},
		"a journal":            {journal: []byte("db"), strictOK: true, loaded: true, withTill: true},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			data := filepath.Join(dir, "data")
			os.MkdirAll(data, 0o750)
			tmpl := filepath.Join(dir, "sbpd.yaml")
			text := "data_dir: " + data + "\n"
			if c.badYAML {
				text = "data_dir: [\n"
			}
			os.WriteFile(tmpl, []byte(text), 0o600)
			switch db := filepath.Join(data, "sbpd.db"); {
			case string(c.journal) == "db":
				j, err := sqlite.Open(db)
				if err != nil {
					t.Fatal(err)
				}
				j.Close()
			case c.journal != nil:
				os.WriteFile(db, c.journal, 0o600)
			}
			strict, err := openKiosk(kioskCmd(t, tmpl))
			if (err == nil) != c.strictOK {
				t.Errorf("openKiosk: %v, want ok=%v", err, c.strictOK)
			}
			if strict != nil {
				strict.Close()
			}
			k := inspectKiosk(kioskCmd(t, tmpl))
			defer k.Close()
			if (k.cfg != nil) != c.loaded || (k.cfg == nil) != (k.loadErr != nil) {
				t.Errorf("inspectKiosk: cfg %v, loadErr %v; want loaded=%v", k.cfg != nil, k.loadErr, c.loaded)
			}
			if k.withTill != c.withTill {
				t.Errorf("inspectKiosk: withTill %v, want %v", k.withTill, c.withTill)
			}
			if _, err := k.diagnosis(); err == nil {
				t.Error("diagnosis: no problem reported for settings without PayMaster's")
			}
		})
	}
}

// TestPayMaster_OneConstruction: newPayMaster builds the client from the
// settings, names the command in its User-Agent, and each adjust, in
// order, changes it (nil skipped).
func TestPayMaster_OneConstruction(t *testing.T) {
	var ua, merchant, auth string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ua, merchant, auth = r.UserAgent(), r.URL.Query().Get("merchantId"), r.Header.Get("Authorization")
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"items":[]}`)
	}))
	defer srv.Close()
	dir := t.TempDir()
	tmpl := filepath.Join(dir, "sbpd.yaml")
	os.WriteFile(tmpl, []byte("data_dir: "+dir+"\npaymaster:\n  base_url: "+srv.URL+"\n  merchant_id: m-from-settings\n  token: tok-from-settings\n"), 0o600)
	cfg, err := config.Open(context.Background(), config.Options{Path: tmpl, MustExist: true})
	if err != nil {
		t.Fatal(err)
	}
	gw, err := newPayMaster(cfg, "sbpd-doctor", nil,
		func(c *paymaster.Config) { c.MerchantID = "m-first" },
		func(c *paymaster.Config) { c.MerchantID += "-then" })
	if err != nil {
		t.Fatal(err)
	}
	if _, err := gw.Ping(context.Background()); err != nil {
		t.Fatal(err)
	}
	if ua != "sbpd-doctor/"+version || merchant != "m-first-then" || !strings.Contains(auth, "tok-from-settings") {
		t.Errorf("User-Agent %q, merchantId %q, Authorization %q", ua, merchant, auth)
	}
}

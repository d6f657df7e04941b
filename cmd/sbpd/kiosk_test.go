package main

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/spf13/cobra"

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

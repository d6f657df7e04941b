package config_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestJournalPath(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "file")
	if err := os.WriteFile(file, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	cases := map[string]struct {
		dataDir string
		want    string
		refused string
	}{
		"exists":       {dataDir: dir, want: filepath.Join(dir, "sbpd.db")},
		"not yet":      {dataDir: filepath.Join(dir, "new"), want: filepath.Join(dir, "new", "sbpd.db")},
		"empty":        {dataDir: "", refused: "data_dir is empty ("},
		"a file":       {dataDir: file, refused: "data_dir " + file + " (env SBPD_DATA_DIR) is not a directory"},
		"under a file": {dataDir: filepath.Join(file, "x"), refused: "(env SBPD_DATA_DIR): stat "},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			t.Setenv("SBPD_DATA_DIR", c.dataDir)
			cfg, _ := resolved(t, nil)
			cfg.DataDir = c.dataDir // "" cannot be set through a layer
			got, err := cfg.JournalPath()
			if c.refused != "" {
				if err == nil || !strings.Contains(err.Error(), c.refused) {
					t.Fatalf("want %q: %q, %v", c.refused, got, err)
				}
				return
			}
			if err != nil || got != c.want {
				t.Fatalf("got %q, %v; want %q", got, err, c.want)
			}
		})
	}
}

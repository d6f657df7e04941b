package main

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/sbpd/sbpd/drivers/tillapi"
)

// TestUnit_LimitsAboveTheCaps: the systemd unit's descriptor limit leaves
// room above the till API's connection cap (one descriptor a connection,
// plus the journal, the printer, PayMaster and the notifications), so the
// cap, not EMFILE, is what a flood of connections meets.
func TestUnit_LimitsAboveTheCaps(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("..", "..", "packaging", "sbpd.service"))
	if err != nil {
		t.Fatal(err)
	}
	values := map[string]string{}
	for _, line := range strings.Split(string(b), "\n") {
		if k, v, ok := strings.Cut(line, "="); ok && !strings.HasPrefix(line, "#") {
			values[k] = v
		}
	}
	nofile, err := strconv.Atoi(values["LimitNOFILE"])
	if err != nil {
		t.Fatalf("LimitNOFILE %q: %v", values["LimitNOFILE"], err)
	}
	if need := tillapi.DefaultLimits.Conns + 256; nofile < need {
		t.Errorf("LimitNOFILE=%d is below the connection cap %d plus room for the rest (%d)", nofile, tillapi.DefaultLimits.Conns, need)
	}
	for _, k := range []string{"TasksMax", "MemoryMax", "MemoryHigh"} {
		if values[k] == "" {
			t.Errorf("the unit sets no %s", k)
		}
	}
}

package export

import (
	"bytes"
	"context"
	"encoding/csv"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sbpd/sbpd/plugin"
)

// TestWrite_XLSXOpensInLibreOffice: a spreadsheet program, not only the
// library the other tests read with, opens the register. LibreOffice Calc
// (headless) converts our XLSX to CSV, and every cell shows what a
// back-office clerk must see: the times and the amount in their number
// formats, integers, TRUE/FALSE, and text from outside as text (=1+1 is
// never calculated, the escapes stay visible).
func TestWrite_XLSXOpensInLibreOffice(t *testing.T) {
	soffice, err := exec.LookPath("soffice")
	if err != nil {
		t.Skip("no soffice in PATH (Debian: apt-get install libreoffice-calc-nogui)")
	}
	p1 := payment("p1", "=1+1", "K07-=1+1-2", 25990)
	p1.Mixed, p1.CancelRequested = true, true
	p2 := payment("p2", "100235", "K07-100235-1", 5)
	p2.State, p2.Reason, p2.PayMasterStatus = plugin.StateNotPaid, plugin.ReasonInsufficientFunds, "a\x1b\u202e<&>\"z"
	p2.ResultCode = "a_x000D__x000A_b"                              // SpreadsheetML's own escape: text, not a line break
	p2.CreatedAt = time.Date(2025, 12, 31, 20, 59, 59, 0, time.UTC) // 23:59:59 in Moscow
	dir := t.TempDir()
	path := filepath.Join(dir, "register.xlsx")
	var buf bytes.Buffer
	if _, err := Write(context.Background(), &fakeSource{ps: []*plugin.Payment{p1, p2}}, plugin.Filter{}, XLSX, &buf, Options{Zone: msk}); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, buf.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	// A profile of its own; CSV in UTF-8 (76), comma-separated, quoted.
	cmd := exec.CommandContext(ctx, soffice, "-env:UserInstallation=file://"+filepath.Join(dir, "profile"), "--headless", "--norestore",
		"--convert-to", "csv:Text - txt - csv (StarCalc):44,34,76,1", "--outdir", dir, path)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("soffice: %v\n%s", err, out)
	}
	raw, err := os.ReadFile(filepath.Join(dir, "register.csv"))
	if err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(bytes.NewReader(raw)).ReadAll()
	if err != nil {
		t.Fatalf("LibreOffice's CSV: %v\n%s", err, raw)
	}
	want := [][]string{
		Header,
		{"2025-03-14 10:00:00", "2025-03-14 10:00:31", "p1", "K07", "=1+1", "K07-=1+1-2", "pm-p1", "259.90", "25990", "1", "TRUE",
			"paid", "5", "Settled", "0", "", "", "TRUE", "FALSE", "FALSE"},
		{"2025-12-31 23:59:59", "2025-03-14 10:00:31", "p2", "K07", "100235", "K07-100235-1", "pm-p2", "0.05", "5", "1", "FALSE",
			"not_paid", "6", `a\x1b\u202e<&>"z`, "a_x000D__x000A_b", "insufficient_funds", "", "FALSE", "FALSE", "FALSE"},
	}
	if len(rows) != len(want) {
		t.Fatalf("LibreOffice reads %d rows, want %d:\n%s", len(rows), len(want), raw)
	}
	for i := range want {
		if strings.Join(rows[i], "|") != strings.Join(want[i], "|") {
			t.Errorf("row %d as LibreOffice shows it:\n  %q\nwant\n  %q", i+1, rows[i], want[i])
		}
	}
}

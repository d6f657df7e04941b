package probe

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sbpd/sbpd/drivers/paymaster/sandbox"
)

func TestSummary_Intro(t *testing.T) {
	for live, want := range map[bool]int{false: 1, true: 2} {
		var b bytes.Buffer
		WriteIntro(&b, Config{BaseURL: "https://pm.test", MerchantID: "m-1", Token: "tok-never-shown"}, live)
		if n := strings.Count(b.String(), "\n"); n != want || !strings.Contains(b.String(), "Probing PayMaster at https://pm.test, merchant m-1:") ||
			strings.Contains(b.String(), "tok-never-shown") {
			t.Errorf("live %v: %d lines:\n%s", live, n, b.String())
		}
	}
}

func TestSummary_Made(t *testing.T) {
	cases := map[string]struct {
		rep     Report
		outPath string
		want    []string
		not     []string
	}{
		"none": {rep: Report{OrderNo: "K07-PROBE-1"}, want: []string{"Order K07-PROBE-1: no payment was made.\n"}, not: []string{"written to"}},
		"cancelled with transcript": {rep: Report{OrderNo: "K07-PROBE-1", Created: []string{"p1"}, Cancelled: []string{"p1"}, Exchanges: 1},
			outPath: "probe.jsonl", want: []string{"Order K07-PROBE-1: payment p1 (cancelled).\n", "1 exchange written to probe.jsonl.\n"}},
		"one not cancelled": {rep: Report{OrderNo: "K07-PROBE-1", Created: []string{"p1", "p2"}, Cancelled: []string{"p1"}, Exchanges: 9},
			outPath: "x", want: []string{"payment p1 (cancelled), p2 (NOT cancelled: a test payment", "9 exchanges written to x."}},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			var b bytes.Buffer
			c.rep.WriteMade(&b, c.outPath)
			for _, w := range c.want {
				if !strings.Contains(b.String(), w) {
					t.Errorf("lacks %q:\n%s", w, b.String())
				}
			}
			for _, w := range c.not {
				if strings.Contains(b.String(), w) {
					t.Errorf("has %q:\n%s", w, b.String())
				}
			}
		})
	}
}

func TestSummary_Err(t *testing.T) {
	cases := map[string]struct {
		results []Verdict
		want    string
	}{
		"all ok":    {[]Verdict{OK, OK}, ""},
		"one":       {[]Verdict{OK, Differs}, "1 assumption of 2 not OK; see docs/paymaster.md for what to do with each DIFFERS"},
		"unchecked": {[]Verdict{Differs, Unchecked, OK}, "2 assumptions of 3 not OK"},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			rep := &Report{}
			for _, v := range c.results {
				rep.Results = append(rep.Results, Result{Verdict: v})
			}
			err := rep.Err()
			if (err == nil) != (c.want == "") || (err != nil && !strings.HasPrefix(err.Error(), c.want)) {
				t.Fatalf("got %v, want %q", err, c.want)
			}
		})
	}
}

func TestSummary_ErrText(t *testing.T) {
	if got := ErrText(errors.New("a\n  b\tc ")); got != "a b c" {
		t.Fatalf("%q", got)
	}
	if got := ErrText(nil); got != "unknown error" {
		t.Fatalf("%q", got)
	}
}

// TestSummary_RunAndWrite: a whole run writes the intro, a line per
// assumption, what was made and the verdict, each through redact; a run
// that cannot start is an error through redact too.
func TestSummary_RunAndWrite(t *testing.T) {
	e := newEnv(t, sandbox.Options{}, rules{})
	redact := func(s string) string { return strings.ReplaceAll(s, "PayMaster", "[PM]") }
	cfg := Config{BaseURL: e.url, MerchantID: e.sb.MerchantID(), Token: testToken, TillID: "K07", Timeout: 5 * time.Second, Clock: e.clock}
	var w strings.Builder
	outPath := filepath.Join(t.TempDir(), "probe.jsonl")
	if err := RunAndWrite(context.Background(), &w, cfg, true, outPath, redact); err != nil {
		t.Fatal(err)
	}
	out := w.String()
	for _, want := range []string{"Probing PayMaster at " + e.url, "paymaster.test_mode is off", "OK  [PM] answers",
		"(cancelled).\n", "written to " + outPath + ".\nAll "} {
		if !strings.Contains(out, want) {
			t.Errorf("no %q in:\n%s", want, out)
		}
	}
	if !strings.HasSuffix(out, " assumptions hold.\n") || strings.Contains(out, "OK  PayMaster") {
		t.Errorf("no verdict at the end, or a line not redacted:\n%s", out)
	}

	bad := Config{BaseURL: "://no-url", MerchantID: "m", Token: "PayMaster-token", TillID: "K07", Clock: e.clock}
	err := RunAndWrite(context.Background(), io.Discard, bad, false, "", func(s string) string { return strings.ReplaceAll(s, "PayMaster-token", "***") })
	if err == nil || !strings.HasPrefix(err.Error(), "paymaster probe: ") || strings.Contains(err.Error(), "PayMaster-token") {
		t.Errorf("a run that cannot start: %v", err)
	}
}

// TestSummary_RunAndWriteOut: a new transcript file is made for its owner
// alone (mode 0600), an earlier run's file keeps its mode and loses its
// content, and a file that cannot be made stops the run before anything
// is sent.
func TestSummary_RunAndWriteOut(t *testing.T) {
	e := newEnv(t, sandbox.Options{}, rules{})
	cfg := Config{BaseURL: e.url, MerchantID: e.sb.MerchantID(), Token: testToken, TillID: "K07", Timeout: 5 * time.Second, Clock: e.clock}
	dir := t.TempDir()
	cases := map[string]struct {
		path, old string
		wantErr   string
	}{
		"a new file":     {path: filepath.Join(dir, "new.jsonl")},
		"an earlier run": {path: filepath.Join(dir, "old.jsonl"), old: strings.Repeat("an earlier run's line\n", 1000)},
		"no such dir":    {path: filepath.Join(dir, "no", "such", "dir", "f.jsonl"), wantErr: "paymaster probe: --out: open "},
		"not a file":     {path: dir, wantErr: "is a directory; nothing was sent"},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			if c.old != "" {
				if err := os.WriteFile(c.path, []byte(c.old), 0o640); err != nil {
					t.Fatal(err)
				}
			}
			before := e.sent()
			err := RunAndWrite(context.Background(), io.Discard, cfg, false, c.path, func(s string) string { return s })
			if c.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), c.wantErr) || !strings.HasSuffix(err.Error(), "; nothing was sent") {
					t.Fatalf("error %v, want one with %q", err, c.wantErr)
				}
				if n := e.sent() - before; n != 0 {
					t.Fatalf("%d calls sent with no transcript file", n)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			fi, err := os.Stat(c.path)
			if err != nil {
				t.Fatal(err)
			}
			raw, _ := os.ReadFile(c.path)
			lines := strings.Split(strings.TrimSpace(string(raw)), "\n")
			mode := os.FileMode(0o600)
			if c.old != "" {
				mode = 0o640
			}
			if fi.Mode().Perm() != mode || strings.Contains(string(raw), "earlier run") || len(lines) != e.sent()-before || !strings.HasPrefix(lines[0], "{") {
				t.Errorf("mode %v, %d lines for %d calls:\n%.300s", fi.Mode().Perm(), len(lines), e.sent()-before, raw)
			}
		})
	}
}

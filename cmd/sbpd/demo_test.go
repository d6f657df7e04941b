package main

import (
	"context"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

// startDemo runs `sbpd demo` with args on a free port and returns its base
// URL and journal directory; the demo stops with the test.
func startDemo(t *testing.T, args ...string) (base, dataDir string) {
	t.Helper()
	base, dataDir, _ = startDemoStop(t, args...)
	return base, dataDir
}

// startDemoStop is startDemo that also returns how to stop the demo (and
// wait until it has) before the test ends.
func startDemoStop(t *testing.T, args ...string) (base, dataDir string, stop func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	out, errOut, done := runCLI(ctx, append([]string{"demo", "--listen", "127.0.0.1:0"}, args...)...)
	stopped := make(chan error, 1) // done, read once
	go func() { stopped <- <-done }()
	var once sync.Once
	stop = func() { once.Do(func() { cancel(); <-stopped }) }
	t.Cleanup(stop)
	urlRe := regexp.MustCompile(`kiosk screen:\s+(http://\S+)/`)
	dirRe := regexp.MustCompile(`journal:\s+(\S+)/sbpd\.db`)
	waitFor(t, "the demo to start", func() bool {
		select {
		case err := <-stopped:
			stopped <- err // for the cleanup
			t.Fatalf("the demo stopped: %v\n%s", err, errOut)
		default:
		}
		return urlRe.MatchString(out.String()) && dirRe.MatchString(out.String())
	})
	base = urlRe.FindStringSubmatch(out.String())[1]
	dataDir = dirRe.FindStringSubmatch(out.String())[1]
	return base, dataDir, stop
}

// TestCLI_DemoRemovesItsDirectory: a demo's own temporary journal
// directory is removed when it stops; one given with --data-dir is kept.
func TestCLI_DemoRemovesItsDirectory(t *testing.T) {
	_, dir, stop := startDemoStop(t, "--mode", "0")
	t.Cleanup(func() { os.RemoveAll(dir) })
	if _, err := os.Stat(filepath.Join(dir, "sbpd.db")); err != nil {
		t.Fatalf("the premise: the demo's journal: %v", err)
	}
	stop()
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Errorf("the demo's temporary directory %s is left behind: %v", dir, err)
	}
	given := filepath.Join(t.TempDir(), "demo")
	_, dir2, stop2 := startDemoStop(t, "--data-dir", given)
	stop2()
	if _, err := os.Stat(filepath.Join(given, "sbpd.db")); dir2 != given || err != nil {
		t.Errorf("--data-dir %s (journal in %s) is not kept: %v", given, dir2, err)
	}
}

// TestCLI_DemoMode0: `sbpd demo --mode 0`, shown in README, starts with its
// virtual printer and answers /healthz; each run has a fresh journal, so
// README's first example creates a payment rather than finding an old one.
func TestCLI_DemoMode0(t *testing.T) {
	base, dir := startDemo(t, "--mode", "0")
	t.Cleanup(func() { os.RemoveAll(dir) })
	res, err := http.Get(base + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != 200 {
		t.Fatalf("/healthz: %d", res.StatusCode)
	}
	start := func() int {
		client := &http.Client{Timeout: 10 * time.Second}
		res, err := client.Post(base+"/api/v1/payments", "application/json", strings.NewReader(`{"check_id":"000153","amount":25990}`))
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		return res.StatusCode
	}
	if st := start(); st != http.StatusCreated {
		t.Fatalf("README's first example on a new demo: %d, want 201", st)
	}
	if _, err := os.Stat(filepath.Join(dir, "printer-tape.escpos")); err != nil {
		t.Errorf("the virtual printer's tape: %v", err)
	}
	_, dir2 := startDemo(t, "--mode", "0")
	t.Cleanup(func() { os.RemoveAll(dir2) })
	if dir2 == dir {
		t.Errorf("two demo runs share the journal %s", dir)
	}
}

// TestCLI_DemoRefusedLeavesNoDirectory: a demo refused for its flags
// leaves no temporary journal directory behind.
func TestCLI_DemoRefusedLeavesNoDirectory(t *testing.T) {
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)
	for _, args := range [][]string{{"--mode", "7"}, {"--listen", "nowhere"}, {"--mode", "0", "--status-timeout", "-1s"}} {
		_, _, done := runCLI(context.Background(), append([]string{"demo"}, args...)...)
		if err := <-done; err == nil {
			t.Fatalf("demo %v started", args)
		}
		if left, _ := os.ReadDir(tmp); len(left) > 0 {
			t.Fatalf("demo %v left %s behind in %s", args, left[0].Name(), tmp)
		}
	}
}

package main

import (
	"context"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// startDemo runs `sbpd demo` with args on a free port and returns its base
// URL and journal directory; the demo stops with the test.
func startDemo(t *testing.T, args ...string) (base, dataDir string) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	out, errOut, done := runCLI(ctx, append([]string{"demo", "--listen", "127.0.0.1:0"}, args...)...)
	stopped := make(chan error, 1) // done, read once
	go func() { stopped <- <-done }()
	t.Cleanup(func() { cancel(); <-stopped })
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
	return base, dataDir
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

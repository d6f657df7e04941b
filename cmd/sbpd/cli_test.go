package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/spf13/cobra"

	"github.com/sbpd/sbpd/drivers/paymaster/sandbox"
	"github.com/sbpd/sbpd/plugin"
)

// syncBuffer is a bytes.Buffer safe to read while a command writes to it.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// runCLI runs sbpd with args until ctx ends, as main does.
func runCLI(ctx context.Context, args ...string) (stdout, stderr *syncBuffer, done chan error) {
	stdout, stderr, done = &syncBuffer{}, &syncBuffer{}, make(chan error, 1)
	root := newRoot(stdout, stderr)
	root.SetArgs(args)
	go func() { done <- root.ExecuteContext(ctx) }()
	return stdout, stderr, done
}

func waitFor(t *testing.T, what string, f func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !f() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func writeConfig(t *testing.T, sb *sandbox.Server, extra string) string {
	t.Helper()
	dir := t.TempDir()
	path := filepath.Join(dir, "sbpd.yaml")
	cfg := fmt.Sprintf(`listen: 127.0.0.1:0
data_dir: %s
till:
  id: K07
sbp:
  poll_interval: 500ms
  status_timeout: 10s
paymaster:
  base_url: %s
  merchant_id: %s
  token: %s
%s`, filepath.Join(dir, "data"), sb.URL(), sb.MerchantID(), sb.Token(), extra)
	if err := os.WriteFile(path, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func newSandbox(t *testing.T) *sandbox.Server {
	sb := sandbox.New(sandbox.Options{Token: "cli-sandbox-token", MerchantID: "0b7c2f9e-3a51-4c1d-9e8a-5f2d6c7b8a90"})
	if _, err := sb.Start("127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sb.Close() })
	return sb
}

var listenRe = regexp.MustCompile(`"msg":"sbpd ready","listen":"([^"]+)"`)

// serveCLI runs `sbpd serve --config path` until ctx ends and returns the
// till API's address once sbpd logs that it is ready.
func serveCLI(t *testing.T, ctx context.Context, path string) (addr string, stderr *syncBuffer, done chan error) {
	t.Helper()
	_, stderr, done = runCLI(ctx, "serve", "--config", path)
	waitFor(t, "sbpd ready", func() bool {
		m := listenRe.FindStringSubmatch(stderr.String())
		if m != nil {
			addr = m[1]
		}
		return m != nil
	})
	return addr, stderr, done
}

// TestCLI_Serve runs `sbpd serve --config FILE` with an SBPD_ override and
// takes a payment through it with the wall clock, as a till would.
func TestCLI_Serve(t *testing.T) {
	sb := newSandbox(t)
	path := writeConfig(t, sb, "")
	t.Setenv("SBPD_TILL_ID", "K99")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	addr, stderr, done := serveCLI(t, ctx, path)
	resp, err := http.Post("http://"+addr+"/api/v1/payments", "application/json", strings.NewReader(`{"check_id":"000153","amount":25990}`))
	if err != nil {
		t.Fatal(err)
	}
	var p plugin.Payment
	json.NewDecoder(resp.Body).Decode(&p)
	resp.Body.Close()
	if resp.StatusCode != 201 || p.State != plugin.StateAwaitingPayment || p.OrderNo != "K99-000153-1" {
		t.Fatalf("%d %s order %q", resp.StatusCode, p.State, p.OrderNo)
	}
	remote, _ := sb.Payment(p.PayMasterID)
	if p.QRPayload != remote.PaymentURL {
		t.Fatalf("qr_payload %q is not PayMaster's link %q", p.QRPayload, remote.PaymentURL)
	}
	sb.Pay(p.PayMasterID)
	waitFor(t, "paid", func() bool {
		r, err := http.Get("http://" + addr + "/api/v1/payments/" + p.ID)
		if err != nil {
			return false
		}
		defer r.Body.Close()
		var got plugin.Payment
		json.NewDecoder(r.Body).Decode(&got)
		return got.State == plugin.StatePaid && got.StateCode == 5
	})
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("serve returned %v", err)
	}
	if strings.Contains(stderr.String(), sb.Token()) {
		t.Fatal("the PayMaster token appears in the log")
	}
}

func TestCLI_ServeRefuses(t *testing.T) {
	sb := newSandbox(t)
	cases := map[string]struct {
		extra, env, want string
	}{
		"mode 0 without printer": {extra: "", env: "SBPD_SBP_QR_MODE=0", want: "printer.port"},
		"mode 2 without sticker": {extra: "", env: "SBPD_SBP_QR_MODE=2", want: "paymaster.sticker_id"},
		"non-loopback no token":  {extra: "", env: "SBPD_LISTEN=0.0.0.0:0", want: "api.token"},
		"no PayMaster token":     {extra: "", env: "SBPD_PAYMASTER_TOKEN=", want: "paymaster.token"},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			path := writeConfig(t, sb, c.extra)
			if k, v, ok := strings.Cut(c.env, "="); ok {
				t.Setenv(k, v)
				if v == "" { // an empty env var does not unset a file value: drop it from the file
					b, _ := os.ReadFile(path)
					os.WriteFile(path, []byte(strings.Replace(string(b), "token: "+sb.Token(), "", 1)), 0o600)
				}
			}
			_, _, done := runCLI(context.Background(), "serve", "--config", path)
			select {
			case err := <-done:
				if err == nil || !strings.Contains(err.Error(), c.want) {
					t.Fatalf("error %v, want it to mention %q", err, c.want)
				}
			case <-time.After(10 * time.Second):
				t.Fatal("serve started instead of refusing")
			}
		})
	}
	t.Run("missing config file", func(t *testing.T) {
		_, _, done := runCLI(context.Background(), "serve", "--config", filepath.Join(t.TempDir(), "nope.yaml"))
		if err := <-done; err == nil || !strings.Contains(err.Error(), "does not exist") {
			t.Fatalf("%v", err)
		}
	})
}

func TestCLI_Sandbox(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	stdout, _, done := runCLI(ctx, "sandbox", "--listen", "127.0.0.1:0", "--token", "tok")
	var base string
	re := regexp.MustCompile(`base_url: (\S+)`)
	waitFor(t, "sandbox address", func() bool {
		m := re.FindStringSubmatch(stdout.String())
		if m != nil {
			base = m[1]
		}
		return m != nil
	})
	req, _ := http.NewRequest("GET", base+"/api/v2/payments/1", nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil || resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("no token must be refused: %v %v", err, resp.Status)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

func TestCLI_Version(t *testing.T) {
	stdout, _, done := runCLI(context.Background(), "version")
	if err := <-done; err != nil || !strings.HasPrefix(stdout.String(), "sbpd ") {
		t.Fatalf("%v %q", err, stdout.String())
	}
}

// TestCLI_EveryCommandHasExamples walks the command tree: every command a
// user can run shows examples in --help, and shell completion is there.
func TestCLI_EveryCommandHasExamples(t *testing.T) {
	root := newRoot(&syncBuffer{}, &syncBuffer{})
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		if c.Hidden || c.Name() == "help" || c.Name() == "completion" || c.HasParent() && c.Parent().Name() == "completion" {
			return
		}
		if c.Runnable() && !c.HasSubCommands() && c.Example == "" { // a group runs only to show its help
			t.Errorf("%q has no examples in --help", c.CommandPath())
		}
		for _, sub := range c.Commands() {
			walk(sub)
		}
	}
	walk(root)
	stdout, _, done := runCLI(context.Background(), "completion", "bash")
	if err := <-done; err != nil || !strings.Contains(stdout.String(), "__start_sbpd") {
		t.Fatalf("bash completion: %v", err)
	}
}

// TestCLI_HelpNamesOnlyPayMaster: sbpd works with PayMaster alone, so no
// command's help sends a technician to another processor's features.
func TestCLI_HelpNamesOnlyPayMaster(t *testing.T) {
	others := []string{"paykeeper", "yookassa", "юkassa", "cloudpayments", "robokassa", "tinkoff", "т-касса"}
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		help := strings.ToLower(c.Short + c.Long + c.Example)
		for _, o := range others {
			if strings.Contains(help, o) {
				t.Errorf("%s --help names %q", c.CommandPath(), o)
			}
		}
		for _, sub := range c.Commands() {
			walk(sub)
		}
	}
	walk(newRoot(&syncBuffer{}, &syncBuffer{}))
}

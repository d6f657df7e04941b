package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sbpd/sbpd/config"
	"github.com/sbpd/sbpd/drivers/metrics"
	"github.com/sbpd/sbpd/drivers/serial"
	"github.com/sbpd/sbpd/drivers/serial/serialtest"
	"github.com/sbpd/sbpd/plugin"
	"github.com/sbpd/sbpd/printer"
)

// printE2E is the real daemon in mode 0 with a fake printer on a
// pseudo-terminal at the end of printer.port.
func printE2E(t *testing.T, fake *serialtest.Printer, mutate ...func(*config.Config)) *e2e {
	t.Helper()
	return printE2EWith(t, fake, nil, mutate...)
}

func printE2EWith(t *testing.T, fake *serialtest.Printer, tune func(*serial.Options), mutate ...func(*config.Config)) *e2e {
	t.Helper()
	return newE2EWith(t, tune, append([]func(*config.Config){func(c *config.Config) {
		c.SBP.QRMode = 0
		c.Printer.Port = fake.Path()
		c.Printer.Baud = 115200
	}}, mutate...)...)
}

// lastEvent returns the payment's last journal event of kind.
func (h *e2e) lastEvent(id, kind string) (plugin.Event, bool) {
	evs, _ := h.d.DB.Journal().Events(context.Background(), id)
	for i := len(evs) - 1; i >= 0; i-- {
		if evs[i].Kind == kind {
			return evs[i], true
		}
	}
	return plugin.Event{}, false
}

func slipOf(p plugin.Payment, tillID string) plugin.Slip {
	return plugin.Slip{PaymentID: p.ID, TillID: tillID, CheckID: p.CheckID, OrderNo: p.OrderNo,
		Amount: p.Amount, QRPayload: p.QRPayload, ExpiresAt: p.ExpiresAt}
}

func TestE2E_PrintModePayment(t *testing.T) {
	fake := serialtest.NewPrinter(t, serialtest.PrinterOptions{})
	h := printE2E(t, fake)
	p := h.start("000153", 25990, false)
	if p.State != plugin.StateAwaitingPayment || p.Mode != 0 || p.Message != "Отсканируйте QR-код на чеке" {
		t.Fatalf("%s mode %d %q", p.State, p.Mode, p.Message)
	}
	want := printer.EncodeSlip(slipOf(p, "K07"), printerOptions(h.cfg))
	got := fake.WaitForBytes(len(want), 5*time.Second)
	if !bytes.Equal(got, want) {
		t.Fatalf("the printer received %d bytes, not the %d-byte slip", len(got), len(want))
	}
	if !bytes.Contains(got, []byte(p.QRPayload)) {
		t.Fatal("the native QR does not carry the payment's link")
	}
	if _, ok := h.lastEvent(p.ID, plugin.EvSlipPrinted); !ok {
		t.Fatal("no slip_printed event")
	}
	h.sb.Pay(p.PayMasterID)
	h.until(p.ID, plugin.StatePaid, poll, 1)

	st, b := h.do("GET", "/healthz", "")
	if st != 200 || !strings.Contains(string(b), `"printer":{`) || !strings.Contains(string(b), `"status":"ok"`) {
		t.Fatalf("healthz: %d %s", st, b)
	}
}

func TestE2E_PrinterFaultsFallBackToScreen(t *testing.T) {
	cases := []struct {
		name   string
		mode   serialtest.Mode
		unplug bool
		reason []string
	}{
		{"paper end", serialtest.ModePaperEnd, false, []string{plugin.PrinterPaperEnd}},
		{"cover open", serialtest.ModeCoverOpen, false, []string{plugin.PrinterCoverOpen}},
		{"offline", serialtest.ModeOffline, false, []string{plugin.PrinterOffline}},
		{"silent", serialtest.ModeSilent, false, []string{plugin.PrinterNoAnswer}},
		{"cable pulled", serialtest.ModeOK, true, []string{plugin.PrinterPortMissing, plugin.PrinterWriteFailed}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			fake := serialtest.NewPrinter(t, serialtest.PrinterOptions{Mode: c.mode})
			h := printE2E(t, fake)
			if c.unplug {
				fake.Unplug()
			}
			p := h.start("1", 100, false)
			if p.State != plugin.StateAwaitingPayment || p.Mode != 1 || p.QRPayload == "" || p.Message != plugin.TextScanScreen {
				t.Fatalf("no fallback to the screen: %s mode %d %q", p.State, p.Mode, p.Message)
			}
			ev, ok := h.lastEvent(p.ID, plugin.EvPrinterFallback)
			if !ok {
				t.Fatal("the journal does not record the fallback")
			}
			found := false
			for _, r := range c.reason {
				found = found || strings.HasPrefix(ev.Detail, r+":")
			}
			if !found {
				t.Fatalf("fallback reason %q, want one of %v", ev.Detail, c.reason)
			}
			if n := len(fake.Bytes()); n != 0 {
				t.Fatalf("a printer that cannot print was sent %d bytes", n)
			}
			h.sb.Pay(p.PayMasterID)
			h.until(p.ID, plugin.StatePaid, poll, 1)
			if c.unplug { // plugged back: the next payment prints again
				fake.Plug()
				q := h.start("2", 100, false)
				if q.Mode != 0 {
					t.Fatalf("after the cable is back: mode %d", q.Mode)
				}
			}
		})
	}
}

// virtualClock is the time of the serial line and of the fake printer's
// mechanism: the Port's pacing sleeps advance it, so the test is exact and
// takes milliseconds whatever the machine's load.
type virtualClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *virtualClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *virtualClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// TestE2E_SlowPrinterGetsRasterIntact sends the raster slip (about 11 KB)
// through the daemon to a printer with a 4 KB buffer that prints 20 KB/s
// over a 115200-baud line (11.5 KB/s): paced writes must not lose a byte.
func TestE2E_SlowPrinterGetsRasterIntact(t *testing.T) {
	clk := &virtualClock{t: time.Unix(1_700_000_000, 0)}
	fake := serialtest.NewPrinter(t, serialtest.PrinterOptions{BufferSize: 4096, PrintRate: 20_000, Now: clk.Now})
	var wire int // bytes the Port has sent so far, by the wire time it paced
	sleep := func(d time.Duration) {
		wire += int(d * 115200 / 10 / time.Second)
		// Let the chunk reach the printer (status queries count 3 bytes
		// each), then let its wire time pass on the printer's clock.
		fake.WaitUntil(5*time.Second, func() bool { return fake.Received()+fake.Dropped()+3*len(fake.Queries()) >= wire })
		clk.Advance(d)
	}
	h := printE2EWith(t, fake, func(o *serial.Options) { o.Sleep = sleep }, func(c *config.Config) {
		c.Printer.QR, c.Printer.Baud = "raster", 115200
	})
	p := h.start("1", 25990, false)
	if p.Mode != 0 {
		t.Fatalf("fell back to mode %d", p.Mode)
	}
	want := printer.EncodeSlip(slipOf(p, "K07"), printerOptions(h.cfg))
	if len(want) < 8000 {
		t.Fatalf("raster slip is only %d bytes", len(want))
	}
	got := fake.WaitForBytes(len(want), 10*time.Second)
	if fake.Dropped() != 0 || !bytes.Equal(got, want) {
		t.Fatalf("received %d of %d bytes, %d dropped", len(got), len(want), fake.Dropped())
	}
}

func TestCLI_PrinterStatusAndTest(t *testing.T) {
	t.Setenv("TMPDIR", t.TempDir())
	fake := serialtest.NewPrinter(t, serialtest.PrinterOptions{})
	dir := t.TempDir()
	path := filepath.Join(dir, "sbpd.yaml")
	os.WriteFile(path, []byte("printer:\n  port: "+fake.Path()+"\n  baud: 115200\n"), 0o600)

	stdout, _, done := runCLI(context.Background(), "printer", "status", "--config", path, "--json")
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	var report map[string]any
	json.Unmarshal([]byte(stdout.String()), &report)
	if report["status"] != "ok" {
		t.Fatalf("status %v", report)
	}

	fake.SetMode(serialtest.ModePaperEnd)
	_, _, done = runCLI(context.Background(), "printer", "status", "--config", path)
	if err := <-done; err == nil || !strings.Contains(err.Error(), plugin.PrinterPaperEnd) {
		t.Fatalf("paper end: %v", err)
	}

	fake.SetMode(serialtest.ModeOK)
	fake.Reset()
	stdout, _, done = runCLI(context.Background(), "printer", "test", "--config", path)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	cfg, _ := config.Load(path, true, nil)
	want := printer.EncodeTestPage(printerOptions(cfg))
	if got := fake.WaitForBytes(len(want), 5*time.Second); !bytes.Equal(got, want) {
		t.Fatalf("test page: got %d bytes, want %d", len(got), len(want))
	}
}

func TestE2E_HealthzWithoutPrinter(t *testing.T) {
	h := newE2E(t)
	resp, err := http.Get(h.d.URL() + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body map[string]map[string]any
	json.NewDecoder(resp.Body).Decode(&body)
	if body["printer"]["status"] != "not_configured" {
		t.Fatalf("%v", body["printer"])
	}
}

// TestCLI_PrinterStatusReadsTillSettings: printer.port set in the till
// settings is the port printer status asks, and --json fails as the text
// form does when the printer cannot print.
func TestCLI_PrinterStatusReadsTillSettings(t *testing.T) {
	k := newSettingsKiosk(t, "")
	k.mustRun("set", "printer.port", "/dev/ttyFAKE0")
	for _, args := range [][]string{{"printer", "status"}, {"printer", "status", "--json"}} {
		var out, errb bytes.Buffer
		root := newRoot(&out, &errb)
		root.SetArgs(append(args, "--config", k.template))
		err := root.ExecuteContext(context.Background())
		if err == nil {
			t.Errorf("%v exits 0 for a missing port:\n%s", args, out.String())
		}
		if all := out.String() + fmt.Sprint(err); !strings.Contains(all, "/dev/ttyFAKE0") {
			t.Errorf("%v does not name /dev/ttyFAKE0: %s", args, all)
		}
	}
}

// TestCLI_DataDirOfAnotherKiosk: --data-dir points printer status and
// doctor at another data_dir, whose till settings they then read.
func TestCLI_DataDirOfAnotherKiosk(t *testing.T) {
	closed := "  base_url: http://127.0.0.1:1\n" // doctor's PayMaster checks fail at once
	k, other := newSettingsKiosk(t, closed), newSettingsKiosk(t, closed)
	other.mustRun("set", "printer.port", "/dev/ttyFAKE0")
	for _, args := range [][]string{{"printer", "status"}, {"doctor"}} {
		out, _, err := runRoot(t, "", append(args, "--config", k.template, "--data-dir", other.dataDir)...)
		if all := out + fmt.Sprint(err); !strings.Contains(all, "/dev/ttyFAKE0") {
			t.Errorf("%v --data-dir %s does not read its till settings: %s", args, other.dataDir, all)
		}
	}
}

// TestCLI_PrinterStatusAsksDaemonOnEveryInterface: with the daemon
// listening on every interface (0.0.0.0, as on a store network), printer
// status asks its /healthz at loopback: 0.0.0.0 is no Host the till API
// answers.
func TestCLI_PrinterStatusAsksDaemonOnEveryInterface(t *testing.T) {
	t.Setenv("TMPDIR", t.TempDir())
	k := newDoctorKiosk(t, nil)
	k.healthy(t)
	ln, err := net.Listen("tcp", "0.0.0.0:0")
	if err != nil {
		t.Fatal(err)
	}
	k.listen = fmt.Sprintf("0.0.0.0:%d", ln.Addr().(*net.TCPAddr).Port)
	ln.Close()
	path := k.write(t)
	startHoldingPrinter(t, path)

	stdout, _, done := runCLI(context.Background(), "printer", "status", "--config", path, "--json")
	if err := <-done; err != nil {
		t.Fatalf("%v: %s", err, stdout)
	}
	var h metrics.PrinterHealth
	if err := json.Unmarshal([]byte(stdout.String()), &h); err != nil || h.Status != "ok" || h.Via != "daemon" {
		t.Fatalf("printer status %+v (%v), want ok via the daemon: %s", h, err, stdout)
	}
}

// TestCLI_PrinterStatusNotConfigured: without printer.port, printer
// status --json prints the status not_configured (plugin.PrinterHealth)
// and, like the text form, exits non-zero; the text form says what is not
// set and prints no status line.
func TestCLI_PrinterStatusNotConfigured(t *testing.T) {
	k := newSettingsKiosk(t, "")
	out, stderr, err := runRoot(t, "", "printer", "status", "--json", "--config", k.template)
	var h plugin.PrinterHealth
	if jerr := json.Unmarshal([]byte(out), &h); jerr != nil || h != (plugin.PrinterHealth{Status: plugin.PrinterNotConfigured}) {
		t.Errorf("--json printed %q (%v), want the status not_configured; stderr %q", out, jerr, stderr)
	}
	if err == nil || !strings.Contains(err.Error(), "printer.port is not set") {
		t.Errorf("--json exits with %v, want the refusal the text form gives", err)
	}
	out, _, err = runRoot(t, "", "printer", "status", "--config", k.template)
	if err == nil || err.Error() != "printer.port is not set: no receipt printer is configured" || out != "" {
		t.Errorf("text form: %q %v", out, err)
	}
	if _, err := os.Stat(k.dataDir); err == nil {
		t.Error("printer status made data_dir")
	}
}

// TestCLI_PrinterStatusPortMissingSaysWhy: a port that cannot be opened
// is port_missing, and the state says why (the open error), not "no
// answer to DLE EOT": nothing was asked.
func TestCLI_PrinterStatusPortMissingSaysWhy(t *testing.T) {
	k := newSettingsKiosk(t, "")
	port := filepath.Join(t.TempDir(), "ttyS99")
	t.Setenv("SBPD_PRINTER_PORT", port)
	out, _, err := runRoot(t, "", "printer", "status", "--config", k.template)
	want := fmt.Sprintf("printer %s: port_missing (serial port %s cannot be opened: ", port, port)
	if err == nil || !strings.HasPrefix(out, want) || strings.Contains(out, "DLE EOT") {
		t.Errorf("printer status: %q %v\nwant a line starting %q", out, err, want)
	}
	out, _, err = runRoot(t, "", "printer", "status", "--json", "--config", k.template)
	var h plugin.PrinterHealth
	if jerr := json.Unmarshal([]byte(out), &h); jerr != nil || err == nil || h.Status != plugin.PrinterPortMissing || !strings.Contains(h.State, "cannot be opened") {
		t.Errorf("--json: %+v (%v) %v", h, jerr, err)
	}
}

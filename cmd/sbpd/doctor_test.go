package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/sbpd/sbpd/config"
	"github.com/sbpd/sbpd/drivers/paymaster/sandbox"
	"github.com/sbpd/sbpd/drivers/serial/serialtest"
	"github.com/sbpd/sbpd/drivers/sqlite"
	"github.com/sbpd/sbpd/plugin"
	"github.com/sbpd/sbpd/plugin/doctor"
)

// The checklist's types, as these tests and others spell them.
type (
	checkResult = doctor.Result
	checkStatus = doctor.Status
)

const (
	statusOK   = doctor.OK
	statusWarn = doctor.Warn
	statusFail = doctor.Fail
	statusSkip = doctor.Skip
)

// Secrets the doctor's kiosk is configured with; none may ever be printed.
const (
	doctorToken     = "pm-SECRET-doctor-7e41c09b"
	doctorAPIToken  = "api-SECRET-doctor-55aa10e3c9f71b2d86"
	doctorNotifySec = "notify-SECRET-doctor-93bd"
	doctorMerchant  = "0b7c2f9e-3a51-4c1d-9e8a-5f2d6c7b8a90"
)

var doctorSecrets = []string{doctorToken, doctorAPIToken, doctorNotifySec}

var doctorNames = []string{"Settings", "PayMaster reachable", "PayMaster token", "Cash-link sticker",
	"Printer", "Journal", "Disk space", "Clock"}

// doctorKiosk is what one doctor run looks at: a sandbox PayMaster, a template
// file and a data_dir.
type doctorKiosk struct {
	sb      *sandbox.Server
	dir     string
	dataDir string

	listen  string
	mode    int
	sticker string
	printer string // printer.port
	token   string // paymaster.token; doctorToken unless changed
	baseURL string // paymaster.base_url; the sandbox unless changed
	extra   string // more YAML, at the top level
}

// doctorClockOffset is the wall clock shifted by d: a PayMaster whose clock is off.
type doctorClockOffset struct {
	plugin.RealClock
	d time.Duration
}

func (c doctorClockOffset) Now() time.Time { return time.Now().Add(c.d) }

// newDoctorKiosk is a healthy kiosk in mode 1 with no printer and no journal
// yet. The sandbox knows the cash-link sticker "cash-1" and the plain
// sticker "plain-1".
func newDoctorKiosk(t *testing.T, clock plugin.Clock) *doctorKiosk {
	t.Helper()
	sb := sandbox.New(sandbox.Options{Token: doctorToken, MerchantID: doctorMerchant, Clock: clock,
		Stickers: []string{"cash-1"}, PlainStickers: []string{"plain-1"}})
	if _, err := sb.Start("127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sb.Close() })
	dir := t.TempDir()
	return &doctorKiosk{sb: sb, dir: dir, dataDir: filepath.Join(dir, "data"), listen: "127.0.0.1:0", mode: 1, token: doctorToken, baseURL: sb.URL()}
}

// healthy makes k a kiosk where every check passes: mode 2 with the
// cash-link sticker, a printer that answers, a sound journal.
func (k *doctorKiosk) healthy(t *testing.T) *serialtest.Printer {
	t.Helper()
	fake := serialtest.NewPrinter(t, serialtest.PrinterOptions{})
	k.mode, k.sticker, k.printer = 2, "cash-1", fake.Path()
	k.makeJournal(t)
	return fake
}

func (k *doctorKiosk) makeJournal(t *testing.T) {
	t.Helper()
	if err := os.MkdirAll(k.dataDir, 0o750); err != nil {
		t.Fatal(err)
	}
	db, err := sqlite.Open(filepath.Join(k.dataDir, "sbpd.db"))
	if err != nil {
		t.Fatal(err)
	}
	db.Close()
}

func (k *doctorKiosk) write(t *testing.T) string {
	t.Helper()
	path := filepath.Join(k.dir, "sbpd.yaml")
	yaml := fmt.Sprintf(`listen: %s
data_dir: %s
api:
  token: %s
till:
  id: K07
sbp:
  qr_mode: %d
paymaster:
  base_url: %s
  merchant_id: %s
  token: %q
  sticker_id: %q
printer:
  port: %q
  baud: 115200
notify:
  secret: %s
%s`, k.listen, k.dataDir, doctorAPIToken, k.mode, k.baseURL, doctorMerchant, k.token, k.sticker, k.printer, doctorNotifySec, k.extra)
	if err := os.WriteFile(path, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// doctorRunOut is one `sbpd doctor` run.
type doctorRunOut struct {
	stdout, stderr string
	err            error
	took           time.Duration
}

// line returns the output line of the check called name.
func (r doctorRunOut) line(t *testing.T, name string) string {
	t.Helper()
	for _, l := range strings.Split(r.stdout, "\n") {
		if len(l) > 6 && strings.HasPrefix(l[6:], name+": ") {
			return l
		}
	}
	t.Fatalf("no line for %q in:\n%s", name, r.stdout)
	return ""
}

// doctor runs `sbpd doctor --config PATH args…` on k and checks that no
// secret appears in anything it printed.
func (k *doctorKiosk) doctor(t *testing.T, args ...string) doctorRunOut {
	t.Helper()
	path := k.write(t)
	start := time.Now()
	stdout, stderr, done := runCLI(context.Background(), append([]string{"doctor", "--config", path}, args...)...)
	var r doctorRunOut
	select {
	case r.err = <-done:
	case <-time.After(30 * time.Second):
		t.Fatal("doctor did not finish in 30s")
	}
	r.took = time.Since(start)
	r.stdout, r.stderr = stdout.String(), stderr.String()
	if r.err != nil {
		r.stderr += r.err.Error() // what main prints on stderr
	}
	for _, s := range append(doctorSecrets, k.token) {
		if s != "" && (strings.Contains(r.stdout, s) || strings.Contains(r.stderr, s)) {
			t.Errorf("the secret %q is in the output:\n%s\n%s", s, r.stdout, r.stderr)
		}
	}
	if !strings.HasSuffix(r.stdout, "\n") {
		t.Errorf("output does not end with a newline: %q", r.stdout)
	}
	return r
}

type doctorJSON struct {
	OK     bool          `json:"ok"`
	Checks []checkResult `json:"checks"`
}

func (k *doctorKiosk) doctorJSON(t *testing.T) (doctorJSON, doctorRunOut) {
	t.Helper()
	r := k.doctor(t, "--json")
	var out doctorJSON
	if err := json.Unmarshal([]byte(r.stdout), &out); err != nil {
		t.Fatalf("--json output is not JSON: %v\n%s", err, r.stdout)
	}
	if len(out.Checks) != len(doctorNames) {
		t.Fatalf("%d checks, want %d: %+v", len(out.Checks), len(doctorNames), out.Checks)
	}
	for i, c := range out.Checks {
		if c.Name != doctorNames[i] {
			t.Errorf("check %d is %q, want %q", i, c.Name, doctorNames[i])
		}
	}
	if out.OK != (r.err == nil) {
		t.Errorf("ok = %v but the exit error is %v", out.OK, r.err)
	}
	return out, r
}

func (o doctorJSON) check(t *testing.T, name string) checkResult {
	t.Helper()
	for _, c := range o.Checks {
		if c.Name == name {
			return c
		}
	}
	t.Fatalf("no check %q", name)
	return checkResult{}
}

// wantCheck asserts the check's status and that its message and fix
// contain the given texts.
func (o doctorJSON) wantCheck(t *testing.T, name string, status checkStatus, message, fix string) checkResult {
	t.Helper()
	c := o.check(t, name)
	if c.Status != status || !strings.Contains(c.Message, message) || !strings.Contains(c.Fix, fix) {
		t.Errorf("%s: %s %q — %q\nwant %s with %q — %q", name, c.Status, c.Message, c.Fix, status, message, fix)
	}
	return c
}

// wantDoctorFailed asserts the run exited with an error naming exactly these
// failed checks.
func wantDoctorFailed(t *testing.T, r doctorRunOut, names ...string) {
	t.Helper()
	want := fmt.Sprintf("failed: %s", strings.Join(names, ", "))
	if r.err == nil || !strings.HasSuffix(r.err.Error(), want) {
		t.Errorf("exit error %v, want one ending %q\n%s", r.err, want, r.stdout)
	}
}

func TestDoctor_Healthy(t *testing.T) {
	t.Setenv("TMPDIR", t.TempDir()) // serial lock files
	k := newDoctorKiosk(t, nil)
	k.healthy(t)

	r := k.doctor(t)
	if r.err != nil {
		t.Fatalf("doctor failed: %v\n%s", r.err, r.stdout)
	}
	lines := strings.Split(strings.TrimSpace(r.stdout), "\n")
	if len(lines) != len(doctorNames) {
		t.Fatalf("%d lines, want %d:\n%s", len(lines), len(doctorNames), r.stdout)
	}
	for i, l := range lines {
		if !strings.HasPrefix(l, "OK    "+doctorNames[i]+": ") {
			t.Errorf("line %d: %q", i, l)
		}
	}
	t.Log("\n" + r.stdout)

	out, r := k.doctorJSON(t)
	if !out.OK || r.err != nil {
		t.Fatalf("ok=%v err=%v\n%s", out.OK, r.err, r.stdout)
	}
	for _, c := range out.Checks {
		if c.Status != statusOK || c.Message == "" || c.Fix != "" {
			t.Errorf("%+v", c)
		}
	}
	out.wantCheck(t, "Cash-link sticker", statusOK, "sticker cash-1 is an active cash link", "")
	out.wantCheck(t, "PayMaster token", statusOK, "PayMaster accepts the token for merchant "+doctorMerchant, "")
	if n := k.sb.Calls(sandbox.KindCreate) + k.sb.Calls(sandbox.KindCancel); n != 0 {
		t.Errorf("doctor made %d create or cancel calls; it must only read", n)
	}
}

// TestDoctor_NotUsedIsSkipped: mode 1 without a printer and before the
// first start passes, with the unused checks skipped and the journal a
// warning.
func TestDoctor_NotUsedIsSkipped(t *testing.T) {
	k := newDoctorKiosk(t, nil)
	out, r := k.doctorJSON(t)
	if r.err != nil {
		t.Fatalf("%v\n%s", r.err, r.stdout)
	}
	out.wantCheck(t, "Cash-link sticker", statusSkip, "not used: sbp.qr_mode = 1 (QR on the screen)", "")
	out.wantCheck(t, "Printer", statusSkip, "not configured (printer.port is empty", "")
	out.wantCheck(t, "Journal", statusWarn, "no journal yet at "+filepath.Join(k.dataDir, "sbpd.db"), "sbpd serve creates it")
	out.wantCheck(t, "Disk space", statusOK, "free in "+k.dir, "")

	text := k.doctor(t)
	if l := text.line(t, "Journal"); !strings.HasPrefix(l, "WARN  Journal: no journal yet at ") || !strings.Contains(l, " — sbpd serve creates it") {
		t.Errorf("%q", l)
	}
	if l := text.line(t, "Printer"); !strings.HasPrefix(l, "SKIP  Printer: ") {
		t.Errorf("%q", l)
	}
}

func TestDoctor_BadToken(t *testing.T) {
	k := newDoctorKiosk(t, nil)
	k.token = "wrong-SECRET-token-0011"
	out, r := k.doctorJSON(t)
	wantDoctorFailed(t, r, "PayMaster token")
	out.wantCheck(t, "PayMaster reachable", statusOK, "answered", "")
	out.wantCheck(t, "PayMaster token", statusFail, "PayMaster refused the token (not_authorized)",
		"set paymaster.token to the API token from the merchant cabinet (sbpd settings set paymaster.token -, which reads it from standard input)")
	out.wantCheck(t, "Clock", statusOK, "within", "")

	text := k.doctor(t)
	want := "FAIL  PayMaster token: PayMaster refused the token (not_authorized) — set paymaster.token to the API token from the merchant cabinet"
	if l := text.line(t, "PayMaster token"); !strings.HasPrefix(l, want) {
		t.Errorf("%q\nwant %q…", l, want)
	}
}

func TestDoctor_UnknownMerchant(t *testing.T) {
	k := newDoctorKiosk(t, nil)
	t.Setenv("SBPD_PAYMASTER_MERCHANT_ID", "11111111-2222-3333-4444-555555555555")
	out, r := k.doctorJSON(t)
	wantDoctorFailed(t, r, "PayMaster token")
	out.wantCheck(t, "PayMaster token", statusFail, "PayMaster refused the request for merchant 11111111-2222-3333-4444-555555555555 (validation_error",
		"set paymaster.merchant_id")
}

func TestDoctor_MissingToken(t *testing.T) {
	k := newDoctorKiosk(t, nil)
	k.token = ""
	out, r := k.doctorJSON(t)
	wantDoctorFailed(t, r, "Settings")
	out.wantCheck(t, "Settings", statusFail, "paymaster.token = ", "sbpd settings set")
	out.wantCheck(t, "PayMaster reachable", statusOK, "answered", "") // a refusal is an answer
	out.wantCheck(t, "PayMaster token", statusSkip, "skipped: paymaster.token must be fixed first (see Settings)", "")
	out.wantCheck(t, "Cash-link sticker", statusSkip, "not used: sbp.qr_mode = 1", "")
}

func TestDoctor_Unreachable(t *testing.T) {
	k := newDoctorKiosk(t, nil)
	k.baseURL = "http://" + doctorDeadAddr(t)
	out, r := k.doctorJSON(t)
	if r.took > 5*time.Second {
		t.Errorf("doctor took %v against a closed port", r.took)
	}
	wantDoctorFailed(t, r, "PayMaster reachable")
	out.wantCheck(t, "PayMaster reachable", statusFail, "refused the connection", "check paymaster.base_url")
	out.wantCheck(t, "PayMaster token", statusSkip, "PayMaster did not answer", "")
	out.wantCheck(t, "Clock", statusSkip, "no answer from PayMaster", "")
	out.wantCheck(t, "Journal", statusWarn, "no journal yet", "") // the local checks still run
}

// TestDoctor_BlackHole: PayMaster accepts connections and never answers;
// doctor gives up within its limit (shortened here from 5s a try).
func TestDoctor_BlackHole(t *testing.T) {
	limits := doctorLimits
	t.Cleanup(func() { doctorLimits = limits })
	doctorLimits.PayMasterTry = 150 * time.Millisecond

	k := newDoctorKiosk(t, nil)
	k.healthy(t)
	k.sb.AddFault(sandbox.Fault{Latency: time.Hour})
	out, r := k.doctorJSON(t)
	if r.took > 3*time.Second {
		t.Errorf("doctor took %v", r.took)
	}
	wantDoctorFailed(t, r, "PayMaster reachable")
	out.wantCheck(t, "PayMaster reachable", statusFail, "no answer from "+strings.TrimPrefix(k.sb.URL(), "http://")+" within 150ms", "check the network")
	out.wantCheck(t, "Cash-link sticker", statusSkip, "cannot check until PayMaster answers", "")
	out.wantCheck(t, "Printer", statusOK, "answers", "")
	if n := k.sb.Calls(sandbox.KindList); n != 2 {
		t.Errorf("%d tries, want 2 (one retry)", n)
	}
}

func TestDoctor_Sticker(t *testing.T) {
	cases := []struct {
		name, sticker string
		inactive      bool
		message, fix  string
	}{
		{"missing", "gone-7", false, "sticker gone-7 does not exist at PayMaster (not_found)",
			"set paymaster.sticker_id to the id of this kiosk's cash-link sticker from the PayMaster cabinet (sbpd settings set paymaster.sticker_id …)"},
		{"not a cash link", "plain-1", false, "sticker plain-1 is a static QR, not a cash link (cashlink: false)", "register a sticker with cashlink: true"},
		{"inactive", "cash-1", true, "sticker cash-1 is Inactive, not Active", `PUT /api/v2/stickers/cash-1 {"active": true}`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			k := newDoctorKiosk(t, nil)
			k.mode, k.sticker = 2, c.sticker
			if c.inactive {
				k.sb.SetStickerActive(c.sticker, false)
			}
			out, r := k.doctorJSON(t)
			wantDoctorFailed(t, r, "Cash-link sticker")
			out.wantCheck(t, "Cash-link sticker", statusFail, c.message, c.fix)
		})
	}
}

func TestDoctor_Printer(t *testing.T) {
	t.Setenv("TMPDIR", t.TempDir())
	cases := []struct {
		mode         serialtest.Mode
		status       checkStatus
		message, fix string
	}{
		{serialtest.ModeSilent, statusFail, "does not answer status queries", "printer.baud (115200) matches its self-test page"},
		{serialtest.ModePaperEnd, statusFail, "is out of paper", "load a paper roll"},
		{serialtest.ModeCoverOpen, statusFail, "has its cover open", "close the printer's cover"},
		{serialtest.ModePaperNearEnd, statusWarn, "near the end of its paper roll", "load a new paper roll soon"},
	}
	for _, c := range cases {
		t.Run(c.mode.String(), func(t *testing.T) {
			k := newDoctorKiosk(t, nil)
			fake := k.healthy(t)
			fake.SetMode(c.mode)
			out, r := k.doctorJSON(t)
			p := out.wantCheck(t, "Printer", c.status, c.message, c.fix)
			if !strings.Contains(p.Message, fake.Path()) {
				t.Errorf("the message does not name the port: %q", p.Message)
			}
			if c.status == statusFail {
				wantDoctorFailed(t, r, "Printer")
			} else if r.err != nil {
				t.Errorf("a warning must not fail doctor: %v", r.err)
			}
		})
	}
	t.Run("missing port", func(t *testing.T) {
		k := newDoctorKiosk(t, nil)
		k.printer = filepath.Join(t.TempDir(), "ttyUSB9")
		out, r := k.doctorJSON(t)
		wantDoctorFailed(t, r, "Printer")
		out.wantCheck(t, "Printer", statusFail, "cannot be opened", "set printer.port to the printer's device")
	})
}

// TestDoctor_PrinterHeldByDaemon: while sbpd runs it holds the port, and
// doctor asks its /healthz instead.
func TestDoctor_PrinterHeldByDaemon(t *testing.T) {
	t.Setenv("TMPDIR", t.TempDir())
	k := newDoctorKiosk(t, nil)
	fake := k.healthy(t)
	k.listen = doctorDeadAddr(t)
	startHoldingPrinter(t, k.write(t))

	out, _ := k.doctorJSON(t)
	out.wantCheck(t, "Printer", statusOK, "answers: online (asked the running sbpd, which holds the port)", "")
	out.wantCheck(t, "Journal", statusOK, "passes the integrity check", "")
	fake.SetMode(serialtest.ModeCoverOpen)
	out, _ = k.doctorJSON(t)
	out.wantCheck(t, "Printer", statusFail, "has its cover open (asked the running sbpd", "close the printer's cover")
}

func TestDoctor_CorruptJournal(t *testing.T) {
	k := newDoctorKiosk(t, nil)
	os.MkdirAll(k.dataDir, 0o750)
	garbage := []byte(strings.Repeat("this is not an SQLite database\n", 200))
	if err := os.WriteFile(filepath.Join(k.dataDir, "sbpd.db"), garbage, 0o600); err != nil {
		t.Fatal(err)
	}
	out, r := k.doctorJSON(t)
	wantDoctorFailed(t, r, "Journal")
	out.wantCheck(t, "Journal", statusFail, "the journal cannot be opened: file is not a database", "keep the damaged file for support")
	if b, _ := os.ReadFile(filepath.Join(k.dataDir, "sbpd.db")); string(b) != string(garbage) {
		t.Error("doctor changed the damaged journal")
	}
}

// TestDoctor_InvalidSettings: the messages are shown, the checks that need
// the bad keys are skipped and the others still run.
func TestDoctor_InvalidSettings(t *testing.T) {
	k := newDoctorKiosk(t, nil)
	k.mode = 3
	k.extra = "log:\n  level: loud\n"
	out, r := k.doctorJSON(t)
	wantDoctorFailed(t, r, "Settings")
	s := out.wantCheck(t, "Settings", statusFail, "2 problems in the template "+filepath.Join(k.dir, "sbpd.yaml"), "sbpd settings set KEY VALUE")
	for _, want := range []string{
		"sbp.qr_mode = 3 (template " + filepath.Join(k.dir, "sbpd.yaml") + "): must be 0 (print on receipt), 1 (screen) or 2 (sticker/NFC)",
		"log.level = loud (template ",
	} {
		if !strings.Contains(s.Message, "\n"+want) {
			t.Errorf("settings message lacks %q:\n%s", want, s.Message)
		}
	}
	out.wantCheck(t, "Cash-link sticker", statusSkip, "skipped: sbp.qr_mode must be fixed first (see Settings)", "")
	out.wantCheck(t, "PayMaster token", statusOK, "", "")
	out.wantCheck(t, "Journal", statusWarn, "no journal yet", "")

	text := k.doctor(t)
	if !strings.Contains(text.stdout, "FAIL  Settings: 2 problems in the template ") ||
		!strings.Contains(text.stdout, "\n      sbp.qr_mode = 3 (template ") ||
		!strings.Contains(text.stdout, "\n      fix: correct each key named above") {
		t.Errorf("text output:\n%s", text.stdout)
	}
}

func TestDoctor_SettingsDoNotLoad(t *testing.T) {
	stdout, _, done := runCLI(context.Background(), "doctor", "--config", filepath.Join(t.TempDir(), "nope.yaml"), "--json")
	err := <-done
	var out doctorJSON
	if jerr := json.Unmarshal([]byte(stdout.String()), &out); jerr != nil {
		t.Fatalf("%v\n%s", jerr, stdout.String())
	}
	if c := out.Checks[0]; err == nil || out.OK || c.Status != statusFail || !strings.HasPrefix(c.Message, "the settings do not load: ") ||
		!strings.Contains(c.Message, "does not exist") || !strings.Contains(c.Fix, "SBPD_CONFIG") {
		t.Fatalf("%v %+v", err, out)
	}
	for _, c := range out.Checks[1:] {
		if c.Status != statusSkip || c.Message != "skipped: the settings do not load (see Settings)" {
			t.Errorf("%+v", c)
		}
	}
}

func TestDoctor_Clock(t *testing.T) {
	cases := []struct {
		offset time.Duration
		status checkStatus
		text   string
	}{
		{-10 * time.Minute, statusFail, "the local clock is 10m0s ahead of PayMaster's"},
		{2 * time.Minute, statusWarn, "the local clock is 2m0s behind PayMaster's"},
		{0, statusOK, "the local clock is within"},
	}
	for _, c := range cases {
		t.Run(c.offset.String(), func(t *testing.T) {
			k := newDoctorKiosk(t, doctorClockOffset{d: c.offset})
			out, r := k.doctorJSON(t)
			got := out.wantCheck(t, "Clock", c.status, c.text, "")
			if c.status != statusOK && !strings.Contains(got.Fix, "timedatectl set-ntp true") {
				t.Errorf("fix %q", got.Fix)
			}
			if (c.status == statusFail) != (r.err != nil) {
				t.Errorf("exit error %v for a clock %s", r.err, c.status)
			}
		})
	}
}

func TestDoctor_Disk(t *testing.T) {
	saved := diskFree
	t.Cleanup(func() { diskFree = saved })
	cases := []struct {
		free   uint64
		status checkStatus
		text   string
	}{
		{50 << 20, statusWarn, "50.0 MB free in "},
		{5 << 20, statusFail, "5.0 MB free in "},
		{3 << 30, statusOK, "3.0 GB free in "},
	}
	for _, c := range cases {
		diskFree = func(string) (uint64, error) { return c.free, nil }
		k := newDoctorKiosk(t, nil)
		out, _ := k.doctorJSON(t)
		out.wantCheck(t, "Disk space", c.status, c.text+k.dir, "")
	}
}

// doctorDeadAddr is a loopback address nothing listens on.
// startHoldingPrinter runs the daemon of the template at path until the
// test ends, and asks its /healthz once, which opens the printer's port:
// from then on the daemon holds it.
func startHoldingPrinter(t *testing.T, path string) *Daemon {
	t.Helper()
	cfg, err := config.Load(path, true, nil)
	if err != nil {
		t.Fatal(err)
	}
	d := &Daemon{Config: cfg}
	if err := d.Open(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	req, _ := http.NewRequest("GET", d.URL()+"/healthz", nil)
	req.Header.Set("Authorization", "Bearer "+doctorAPIToken)
	resp, err := http.DefaultClient.Do(req)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("healthz: %v %v", err, resp)
	}
	resp.Body.Close()
	return d
}

func doctorDeadAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

func TestDoctor_Help(t *testing.T) {
	stdout, _, done := runCLI(context.Background(), "doctor", "--help")
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"Examples:", "sbpd doctor --json", "--json", "PayMaster token", "exit status"} {
		if !strings.Contains(stdout.String(), want) {
			t.Errorf("help lacks %q:\n%s", want, stdout.String())
		}
	}
}

// TestDoctor_TokenInTillSettings is the usual kiosk: the shared template has
// no token, the technician set it in the till's own settings.
func TestDoctor_TokenInTillSettings(t *testing.T) {
	k := newDoctorKiosk(t, nil)
	k.token = ""
	k.makeJournal(t)
	db, err := sqlite.Open(filepath.Join(k.dataDir, "sbpd.db"))
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Settings().Set(context.Background(), "paymaster.token", doctorToken, "technician"); err != nil {
		t.Fatal(err)
	}
	db.Close()
	out, r := k.doctorJSON(t)
	if r.err != nil {
		t.Fatalf("doctor failed: %v\n%s", r.err, r.stdout)
	}
	out.wantCheck(t, "Settings", statusOK, "the till settings", "")
	out.wantCheck(t, "PayMaster token", statusOK, "", "")
}

// TestDoctor_PayMasterOverHTTP: paymaster.base_url http:// to a host that
// is not this machine sends the bearer token in clear; doctor used to say
// OK. It fails the settings now, and the PayMaster checks wait for the fix.
func TestDoctor_PayMasterOverHTTP(t *testing.T) {
	k := newDoctorKiosk(t, nil)
	k.baseURL = "http://paymaster.ru"
	out, r := k.doctorJSON(t)
	wantDoctorFailed(t, r, "Settings")
	out.wantCheck(t, "Settings", statusFail, "paymaster.base_url = http://paymaster.ru (template "+filepath.Join(k.dir, "sbpd.yaml")+"): must be an https:// URL", "")
	for _, name := range []string{"PayMaster reachable", "PayMaster token", "Clock"} {
		out.wantCheck(t, name, statusSkip, "skipped: paymaster.base_url must be fixed first (see Settings)", "")
	}
	if n := k.sb.Calls(sandbox.KindList); n != 0 {
		t.Errorf("doctor sent the token over plain HTTP %d times", n)
	}
	// The sandbox on this machine is fine over http.
	k.baseURL = strings.Replace(k.sb.URL(), "127.0.0.1", "localhost", 1)
	out, _ = k.doctorJSON(t)
	out.wantCheck(t, "Settings", statusOK, "", "")
	out.wantCheck(t, "PayMaster token", statusOK, "", "")
}

// TestDoctor_NotifyOverHTTP: an http:// notify.url to another host sends
// the signed notifications and the payment data in clear: a warning, not a
// failure. Its user and password are never printed.
func TestDoctor_NotifyOverHTTP(t *testing.T) {
	const pass = "n0tify-PASSWORD-4417"
	k := newDoctorKiosk(t, nil)
	t.Setenv("SBPD_NOTIFY_URL", "http://acct:"+pass+"@accounting.example:8080/hook")
	out, r := k.doctorJSON(t)
	if r.err != nil {
		t.Fatalf("a warning failed doctor: %v\n%s", r.err, r.stdout)
	}
	out.wantCheck(t, "Settings", statusWarn,
		"notify.url = http://***@accounting.example:8080/hook (env SBPD_NOTIFY_URL): the notifications, signed and with the payment data, travel in clear", "act on each warning")
	text := k.doctor(t)
	if all := text.stdout + text.stderr + r.stdout; strings.Contains(all, pass) || strings.Contains(all, "acct") {
		t.Errorf("the notify.url credentials are in the output:\n%s", all)
	}
	if !strings.Contains(text.stdout, "WARN  Settings: ") {
		t.Errorf("%s", text.stdout)
	}
	// https, or http to this machine: no warning.
	for _, u := range []string{"https://acct:" + pass + "@accounting.example/hook", "http://127.0.0.1:9/hook"} {
		t.Setenv("SBPD_NOTIFY_URL", u)
		out, _ := k.doctorJSON(t)
		out.wantCheck(t, "Settings", statusOK, "", "")
	}
}

// TestDoctor_JournalReadableByOthers: under umask 022 the journal used to be
// created 0644 and doctor said OK. A loose mode is tightened when the
// journal is opened, and doctor reports the file and the mode it had.
func TestDoctor_JournalReadableByOthers(t *testing.T) {
	k := newDoctorKiosk(t, nil)
	k.makeJournal(t)
	path := filepath.Join(k.dataDir, "sbpd.db")
	if err := os.Chmod(path, 0o604); err != nil {
		t.Fatal(err)
	}
	out, r := k.doctorJSON(t)
	if r.err != nil {
		t.Fatalf("%v\n%s", r.err, r.stdout)
	}
	out.wantCheck(t, "Journal", statusWarn, "passes the integrity check, but its files were open to other users:\n"+path+" had mode 0604 (other users could read it); now 0600",
		"find what loosened them")
	if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("mode after doctor: %v %v", fi.Mode(), err)
	}
	// Tightened: the next run is clean.
	out, _ = k.doctorJSON(t)
	out.wantCheck(t, "Journal", statusOK, "passes the integrity check", "")
}

// TestDoctor_JournalModeCannotChange: when the mode cannot be changed (the
// file is another user's, the file system is read-only), the warning gives
// the command.
func TestDoctor_JournalModeCannotChange(t *testing.T) {
	r := doctor.JournalModeCheck("/var/lib/sbpd/sbpd.db", []sqlite.ModeFix{
		{Path: "/var/lib/sbpd/sbpd.db", Old: 0o644, New: 0o600, Err: syscall.EPERM},
		{Path: "/var/lib/sbpd/sbpd.db-wal", Old: 0o644, New: 0o600, Err: syscall.EPERM},
		{Path: "/var/lib/sbpd/sbpd.db-shm", Old: 0o660, New: 0o640},
	})
	if r.Status != statusWarn ||
		!strings.Contains(r.Message, "/var/lib/sbpd/sbpd.db had mode 0644 (other users could read it) and could not be changed to 0600: operation not permitted\n") ||
		!strings.Contains(r.Message, "/var/lib/sbpd/sbpd.db-shm had mode 0660 (its group could change it); now 0640") ||
		r.Fix != "chmod 600 /var/lib/sbpd/sbpd.db /var/lib/sbpd/sbpd.db-wal (as root or the files' owner); sbpd keeps the journal 0600 (0640 for the group of a data_dir closed to others)" {
		t.Errorf("%+v", r)
	}
}

// TestDoctor_EmptyJournalFile: a 0-byte sbpd.db (left by a start that
// failed, a copy that did not finish) was opened to read the till
// settings, which made it a new empty journal, and doctor called it OK.
// It is reported as no journal yet, and left as it was.
func TestDoctor_EmptyJournalFile(t *testing.T) {
	k := newDoctorKiosk(t, nil)
	path := filepath.Join(k.dataDir, "sbpd.db")
	if err := os.MkdirAll(k.dataDir, 0o750); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	out, r := k.doctorJSON(t)
	if r.err != nil {
		t.Fatalf("%v\n%s", r.err, r.stdout)
	}
	out.wantCheck(t, "Journal", statusWarn, "no journal yet at "+path+": the file is empty (0 bytes)", "sbpd serve makes it a journal")
	if fi, err := os.Stat(path); err != nil || fi.Size() != 0 {
		t.Errorf("doctor changed the empty file: %v %v", fi, err)
	}
}

// TestDoctor_NoJournalCreated: checking the journal never creates one.
func TestDoctor_NoJournalCreated(t *testing.T) {
	k := newDoctorKiosk(t, nil)
	if err := os.MkdirAll(k.dataDir, 0o750); err != nil {
		t.Fatal(err)
	}
	out, _ := k.doctorJSON(t)
	out.wantCheck(t, "Journal", statusWarn, "no journal yet at "+filepath.Join(k.dataDir, "sbpd.db"), "")
	if _, err := os.Stat(filepath.Join(k.dataDir, "sbpd.db")); !os.IsNotExist(err) {
		t.Errorf("doctor created a journal: %v", err)
	}
}

// TestDoctor_TokenInEnvFile: on a packaged kiosk the token is in sbpd.env
// beside the template, which outranks the till settings: the advice used
// to be `sbpd settings set paymaster.token -`, which cannot change it.
func TestDoctor_TokenInEnvFile(t *testing.T) {
	k := newDoctorKiosk(t, nil)
	k.token = ""
	envFile := filepath.Join(k.dir, "sbpd.env")
	if err := os.WriteFile(envFile, []byte("SBPD_PAYMASTER_TOKEN=wrong-SECRET-token-0022\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	doctorSecretsSaved := doctorSecrets
	doctorSecrets = append(doctorSecrets, "wrong-SECRET-token-0022")
	t.Cleanup(func() { doctorSecrets = doctorSecretsSaved })
	out, r := k.doctorJSON(t)
	wantDoctorFailed(t, r, "PayMaster token")
	c := out.wantCheck(t, "PayMaster token", statusFail, "PayMaster refused the token (not_authorized)", "edit "+envFile+": SBPD_PAYMASTER_TOKEN=")
	if strings.Contains(c.Fix, "sbpd settings set paymaster.token") {
		t.Errorf("the advice names a layer that cannot change the token: %q", c.Fix)
	}
}

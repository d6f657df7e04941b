package doctor

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sbpd/sbpd/plugin"
)

var now = time.Date(2026, 3, 14, 10, 0, 0, 0, time.UTC)

// fixedClock is a clock that stands still at now.
type fixedClock struct{}

func (fixedClock) Now() time.Time                      { return now }
func (fixedClock) NewTimer(time.Duration) plugin.Timer { return nil }

// fakePayMaster answers the ping and the sticker as told, with the
// errors a driver gives for each Failed.
type fakePayMaster struct {
	server     time.Time
	ping       *Failed
	sticker    Sticker
	stickerErr *Failed

	mu   sync.Mutex
	ctxs []context.Context // of each call
}

func (p *fakePayMaster) called(ctx context.Context) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.ctxs = append(p.ctxs, ctx)
}

// failedErr is the error a driver gives for f: a *plugin.Error with f's
// reason, wrapping its HTTP answer (answerErr) or its cause.
func failedErr(f *Failed) error {
	if f == nil {
		return nil
	}
	e := &plugin.Error{Code: plugin.EUnavailable, Reason: string(f.Reason), Err: errors.New(f.Cause)}
	switch f.Reason {
	case ReasonUnavailable:
		e.Reason = "server_error"
	case ReasonNotFound:
		e.Code = plugin.ENotFound
	case ReasonNotAuthorized, ReasonInvalid, ReasonRefusal:
		e.Code = plugin.ERejected
	}
	if f.HTTPStatus != 0 {
		e.Err = answerErr{f.HTTPStatus, f.Text}
	}
	return e
}

func (p *fakePayMaster) Ping(ctx context.Context) (time.Time, error) {
	p.called(ctx)
	return p.server, failedErr(p.ping)
}

func (p *fakePayMaster) Sticker(ctx context.Context, _ string) (Sticker, error) {
	p.called(ctx)
	return p.sticker, failedErr(p.stickerErr)
}

type fakeJournal struct {
	checkErr error
	fixes    []ModeFix
}

func (j fakeJournal) Check(context.Context) error { return j.checkErr }
func (j fakeJournal) ModeFixes() []ModeFix        { return j.fixes }
func (j fakeJournal) Close() error                { return nil }

// kioskFixture is a healthy kiosk in mode 2 whose journal file exists.
type kioskFixture struct {
	*Kiosk
	pm       *fakePayMaster
	pmErr    error
	journal  fakeJournal
	openErr  error
	opened   bool
	printer  plugin.PrinterHealth
	where    map[string]Where
	problems []Problem
}

func newFixture(t *testing.T) *kioskFixture {
	dataDir := t.TempDir()
	if err := os.WriteFile(JournalFile(dataDir), []byte("SQLite format 3\x00"), 0o600); err != nil {
		t.Fatal(err)
	}
	f := &kioskFixture{pm: &fakePayMaster{server: now, sticker: Sticker{Cashlink: true, Status: "Active"}},
		printer: plugin.PrinterHealth{Status: "ok", State: "online"}, where: map[string]Where{}}
	f.Kiosk = &Kiosk{
		BaseURL: "https://paymaster.ru", MerchantID: "m-1", StickerID: "st-1", QRMode: 2, PrinterPort: "/dev/ttyS0", PrinterBaud: 115200,
		DataDir: dataDir, Version: "1.2.3", Limits: Limits{PayMasterTry: 5 * time.Second}, Clock: fixedClock{},
		DiskFree: func(string) (uint64, error) { return 1 << 30, nil },
	}
	f.PayMaster = func() (PayMaster, error) { return f.pm, f.pmErr }
	f.Printer = func(context.Context) plugin.PrinterHealth { return f.printer }
	f.OpenJournal = func(string) (Journal, error) {
		f.opened = true
		if f.openErr != nil {
			return nil, f.openErr
		}
		return f.journal, nil
	}
	return f
}

// result runs the named check on the kiosk as set up.
func (f *kioskFixture) result(t *testing.T, name string) Result {
	t.Helper()
	f.Settings = Settings{Loaded: true, Template: "/etc/sbpd/sbpd.yaml", TemplateRead: true, Problems: f.problems,
		Where: func(key string) Where {
			if w, ok := f.where[key]; ok {
				return w
			}
			return Where{Layer: plugin.LayerTemplate, Secret: key == "paymaster.token"}
		}}
	if len(f.problems) > 0 {
		f.Settings.LoadErr = errors.New("invalid settings")
	}
	checks, done := Checks(context.Background(), f.Kiosk)
	defer done()
	for _, c := range checks {
		if c.Name == name {
			r := c.Run(context.Background())
			return r
		}
	}
	t.Fatalf("no check %q", name)
	return Result{}
}

func TestChecks(t *testing.T) {
	envFile := Where{Layer: plugin.LayerEnvFile, File: "/etc/sbpd/sbpd.env", Var: "SBPD_PAYMASTER_TOKEN", Secret: true}
	cases := []struct {
		name, check  string
		setup        func(f *kioskFixture)
		status       Status
		message, fix string
	}{
		{"settings valid", "Settings", nil, OK, "the template /etc/sbpd/sbpd.yaml and the SBPD_ environment give valid settings", ""},
		{"settings problem from the till", "Settings", func(f *kioskFixture) {
			f.problems = []Problem{{Key: "sbp.qr_mode", Message: "sbp.qr_mode = 3 (till settings): must be 0, 1 or 2"}}
		}, Fail, "1 problem in the template /etc/sbpd/sbpd.yaml and the SBPD_ environment:\nsbp.qr_mode = 3", "correct each key named above: per-till values with `sbpd settings set KEY VALUE`"},
		{"settings problem from sbpd.env names the file", "Settings", func(f *kioskFixture) {
			f.problems = []Problem{{Key: "paymaster.token", Message: "paymaster.token = *** (env file /etc/sbpd/sbpd.env (SBPD_PAYMASTER_TOKEN)): too short"}}
			f.where["paymaster.token"] = envFile
		}, Fail, "1 problem", "; SBPD_PAYMASTER_TOKEN in /etc/sbpd/sbpd.env: edit that file, which outranks the till settings"},
		{"a bad key skips what needs it", "PayMaster token", func(f *kioskFixture) {
			f.problems = []Problem{{Key: "paymaster.token", Message: "paymaster.token = (default): must be set"}}
		}, Skip, "skipped: paymaster.token must be fixed first (see Settings)", ""},

		{"reachable", "PayMaster reachable", nil, OK, "PayMaster at https://paymaster.ru answered in 0s", ""},
		{"client not set up", "PayMaster reachable", func(f *kioskFixture) { f.pmErr = errors.New("bad url") }, Fail, "the PayMaster client cannot be set up: bad url", "paymaster."},
		{"dns", "PayMaster reachable", func(f *kioskFixture) { f.pm.ping = &Failed{Reason: ReasonDNS, Cause: "no such host"} },
			Fail, "cannot resolve paymaster.ru (no such host)", "getent hosts paymaster.ru"},
		{"timeout", "PayMaster reachable", func(f *kioskFixture) { f.pm.ping = &Failed{Reason: ReasonTimeout} },
			Fail, "no answer from paymaster.ru within 5s, tried twice", "check the network"},
		{"refused", "PayMaster reachable", func(f *kioskFixture) { f.pm.ping = &Failed{Reason: ReasonRefused} }, Fail, "paymaster.ru refused the connection", "check paymaster.base_url (now https://paymaster.ru; PayMaster's API is at https://paymaster.ru) and the firewall"},
		{"not the API", "PayMaster reachable", func(f *kioskFixture) { f.pm.ping = &Failed{Reason: ReasonNotFound, HTTPStatus: 404} },
			Fail, "answered HTTP 404 to the payments list", "(sbpd settings set paymaster.base_url https://paymaster.ru)"},
		{"a portal", "PayMaster reachable", func(f *kioskFixture) { f.pm.ping = &Failed{Reason: ReasonBadAnswer} }, Fail, "not as the PayMaster API", "captive portal"},
		{"trouble", "PayMaster reachable", func(f *kioskFixture) { f.pm.ping = &Failed{Reason: ReasonUnavailable, HTTPStatus: 503} }, Fail, "answered HTTP 503", "in a few minutes"},
		{"a refusal is an answer", "PayMaster reachable", func(f *kioskFixture) { f.pm.ping = &Failed{Reason: ReasonNotAuthorized, HTTPStatus: 401} }, OK, "(HTTP 401)", ""},

		{"token accepted", "PayMaster token", nil, OK, "PayMaster accepts the token for merchant m-1", ""},
		{"token refused, in the template", "PayMaster token", func(f *kioskFixture) { f.pm.ping = &Failed{Reason: ReasonNotAuthorized, HTTPStatus: 401} },
			Fail, "PayMaster refused the token (not_authorized)", "(sbpd settings set paymaster.token -, which reads it from standard input)"},
		{"token refused, in sbpd.env", "PayMaster token", func(f *kioskFixture) {
			f.pm.ping = &Failed{Reason: ReasonNotAuthorized, HTTPStatus: 401}
			f.where["paymaster.token"] = envFile
		}, Fail, "PayMaster refused the token", "(edit /etc/sbpd/sbpd.env: SBPD_PAYMASTER_TOKEN=TOKEN (that file outranks the till settings, so `sbpd settings set` cannot change it))"},
		{"token refused, in the environment", "PayMaster token", func(f *kioskFixture) {
			f.pm.ping = &Failed{Reason: ReasonNotAuthorized, HTTPStatus: 401}
			f.where["paymaster.token"] = Where{Layer: plugin.LayerEnv, Var: "SBPD_PAYMASTER_TOKEN", Secret: true}
		}, Fail, "PayMaster refused the token", "change the environment variable SBPD_PAYMASTER_TOKEN where it is set"},
		{"unknown merchant", "PayMaster token", func(f *kioskFixture) {
			f.pm.ping = &Failed{Reason: ReasonInvalid, HTTPStatus: 400, Text: "validation_error: merchantId"}
		}, Fail, "PayMaster refused the request for merchant m-1 (validation_error: merchantId)", "(sbpd settings set paymaster.merchant_id …)"},
		{"token unknown while PayMaster is down", "PayMaster token", func(f *kioskFixture) { f.pm.ping = &Failed{Reason: ReasonUnavailable, HTTPStatus: 502} },
			Skip, "PayMaster did not answer", ""},

		{"sticker", "Cash-link sticker", nil, OK, "sticker st-1 is an active cash link", ""},
		{"sticker unused", "Cash-link sticker", func(f *kioskFixture) { f.QRMode = 1 }, Skip, "not used: sbp.qr_mode = 1 (QR on the screen)", ""},
		{"sticker missing", "Cash-link sticker", func(f *kioskFixture) { f.pm.stickerErr = &Failed{Reason: ReasonNotFound} },
			Fail, "sticker st-1 does not exist at PayMaster (not_found)", "set paymaster.sticker_id to the id of this kiosk's cash-link sticker from the PayMaster cabinet (sbpd settings set paymaster.sticker_id …), or register"},
		{"static sticker", "Cash-link sticker", func(f *kioskFixture) { f.pm.sticker.Cashlink = false }, Fail, "is a static QR", "register a sticker with cashlink: true"},
		{"inactive sticker", "Cash-link sticker", func(f *kioskFixture) { f.pm.sticker = Sticker{Cashlink: true} }, Fail, "sticker st-1 is without a status, not Active", "PUT /api/v2/stickers/st-1"},
		{"sticker waits for the token", "Cash-link sticker", func(f *kioskFixture) { f.pm.ping = &Failed{Reason: ReasonNotAuthorized, HTTPStatus: 401} },
			Skip, "cannot check until PayMaster answers", ""},

		{"clock", "Clock", nil, OK, "within 1s of PayMaster's", ""},
		{"clock ahead", "Clock", func(f *kioskFixture) { f.pm.server = now.Add(-2 * time.Minute) }, Warn, "the local clock is 2m0s ahead of PayMaster's", "timedatectl set-ntp true"},
		// The Date header truncates to the second: half a second is added to it.
		{"clock behind", "Clock", func(f *kioskFixture) { f.pm.server = now.Add(10 * time.Minute) }, Fail, "the local clock is 10m1s behind PayMaster's", "timedatectl"},
		{"no Date", "Clock", func(f *kioskFixture) { f.pm.server = time.Time{} }, Warn, "no Date header", ""},
		{"no answer to compare", "Clock", func(f *kioskFixture) { f.pm.ping = &Failed{Reason: ReasonRefused} }, Skip, "no answer from PayMaster", ""},

		{"printer", "Printer", nil, OK, "the printer on /dev/ttyS0 answers: online", ""},
		{"printer via the daemon", "Printer", func(f *kioskFixture) {
			f.printer = plugin.PrinterHealth{Status: plugin.PrinterCoverOpen, Via: plugin.PrinterViaDaemon}
		},
			Fail, "has its cover open (asked the running sbpd, which holds the port)", "close the printer's cover"},
		{"printer port missing", "Printer", func(f *kioskFixture) {
			f.printer = plugin.PrinterHealth{Status: plugin.PrinterPortMissing, Error: "open /dev/ttyS0: no such file or directory"}
		}, Fail, "the serial port /dev/ttyS0 cannot be opened (no such file or directory)", "group dialout"},
		{"no printer", "Printer", func(f *kioskFixture) { f.PrinterPort = "" }, Skip, "not configured (printer.port is empty", ""},

		{"journal", "Journal", nil, OK, "passes the integrity check", ""},
		{"journal newer", "Journal", func(f *kioskFixture) {
			f.openErr = fmt.Errorf("open: %w: the file is at version 9", plugin.ErrJournalNewer)
		}, Fail, "was written by a newer sbpd than this one (sbpd 1.2.3)", "install the sbpd version"},
		{"journal dir read-only", "Journal", func(f *kioskFixture) { f.openErr = fmt.Errorf("open: %w", plugin.ErrJournalDirNotWritable) }, Fail, "is not writable", "chown -R sbpd:sbpd"},
		{"journal not a database", "Journal", func(f *kioskFixture) { f.openErr = errors.New("file is not a database") },
			Fail, "the journal cannot be opened: file is not a database", "keep the damaged file for support"},
		{"journal damaged", "Journal", func(f *kioskFixture) { f.journal.checkErr = errors.New("sqlite: check: row 3 missing") },
			Fail, "fails the integrity check: check: row 3 missing", "keep the damaged file"},
		{"journal modes", "Journal", func(f *kioskFixture) {
			f.ModeFixes = []ModeFix{{Path: "a", Old: 0o644, New: 0o600}}
			f.journal.fixes = []ModeFix{{Path: "a-wal", Old: 0o644, New: 0o600, Err: errors.New("not the owner")}}
		}, Warn, "open to other users:\na had mode 0644 (other users could read it); now 0600\na-wal had mode 0644 (other users could read it) and could not be changed to 0600: not the owner", "chmod 600 a-wal"},

		{"disk", "Disk space", nil, OK, "1.0 GB free in ", ""},
		{"disk low", "Disk space", func(f *kioskFixture) { f.DiskFree = func(string) (uint64, error) { return 50 << 20, nil } }, Warn, "50.0 MB free", "journalctl --vacuum-size"},
		{"disk full", "Disk space", func(f *kioskFixture) { f.DiskFree = func(string) (uint64, error) { return 5 << 20, nil } }, Fail, "cannot record payments safely", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := newFixture(t)
			if c.setup != nil {
				c.setup(f)
			}
			r := f.result(t, c.check)
			if r.Status != c.status || !strings.Contains(r.Message, c.message) || !strings.Contains(r.Fix, c.fix) {
				t.Errorf("%s %q — %q\nwant %s with %q — %q", r.Status, r.Message, r.Fix, c.status, c.message, c.fix)
			}
		})
	}
}

// TestJournal_NotCreated: a missing journal and an empty file are
// reported as no journal yet, without opening either (opening makes one).
func TestJournal_NotCreated(t *testing.T) {
	cases := []struct {
		name    string
		content []byte // nil: no file
		message string
	}{
		{"missing", nil, "no journal yet at "},
		{"empty file", []byte{}, ": the file is empty (0 bytes), created but never written"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := newFixture(t)
			path := JournalFile(f.DataDir)
			os.Remove(path)
			if c.content != nil {
				if err := os.WriteFile(path, c.content, 0o600); err != nil {
					t.Fatal(err)
				}
			}
			r := f.result(t, "Journal")
			if r.Status != Warn || !strings.Contains(r.Message, c.message) || !strings.HasPrefix(r.Message, "no journal yet at "+path) {
				t.Errorf("%+v", r)
			}
			if f.opened {
				t.Error("the journal was opened")
			}
			if fi, err := os.Stat(path); c.content == nil && err == nil || c.content != nil && (err != nil || fi.Size() != 0) {
				t.Errorf("the file changed: %v %v", fi, err)
			}
		})
	}
}

// TestChecks_SettingsDoNotLoad: every other check waits for the settings.
func TestChecks_SettingsDoNotLoad(t *testing.T) {
	k := &Kiosk{Settings: Settings{LoadErr: errors.New("template /x.yaml does not exist\nsecond line")}}
	checks, done := Checks(context.Background(), k)
	defer done()
	rep := Run(context.Background(), checks, Options{}, nil)
	if s := rep.Checks[0]; s.Status != Fail || s.Message != "the settings do not load: template /x.yaml does not exist; second line" ||
		s.Fix != "check that --config or SBPD_CONFIG names the template file (default /etc/sbpd/sbpd.yaml) and that it is valid YAML" {
		t.Errorf("%+v", s)
	}
	names := []string{"Settings", "PayMaster reachable", "PayMaster token", "Cash-link sticker", "Printer", "Journal", "Disk space", "Clock"}
	for i, r := range rep.Checks {
		if r.Name != names[i] || i > 0 && (r.Status != Skip || r.Message != "skipped: the settings do not load (see Settings)") {
			t.Errorf("%d: %+v", i, r)
		}
	}
}

// TestHowToSet: the advice names the layer that holds the value.
func TestHowToSet(t *testing.T) {
	cases := []struct {
		where Where
		want  string
	}{
		{Where{Layer: plugin.LayerDefault}, "sbpd settings set printer.port /dev/ttyS0"},
		{Where{Layer: plugin.LayerTill, Secret: true}, "sbpd settings set printer.port -, which reads it from standard input"},
		{Where{Layer: plugin.LayerTemplate, TemplateOnly: true}, "edit /etc/sbpd/sbpd.yaml (printer.port is read from the template only)"},
		{Where{Layer: plugin.LayerEnvFile, File: "/etc/sbpd/sbpd.env", Var: "SBPD_PRINTER_PORT"}, "edit /etc/sbpd/sbpd.env: SBPD_PRINTER_PORT=/dev/ttyS0 (that file outranks"},
		{Where{Layer: plugin.LayerEnv, Var: "SBPD_PRINTER_PORT"}, "change the environment variable SBPD_PRINTER_PORT"},
	}
	for _, c := range cases {
		s := Settings{Template: "/etc/sbpd/sbpd.yaml", Where: func(string) Where { return c.where }}
		if got := s.HowToSet("printer.port", "/dev/ttyS0"); !strings.HasPrefix(got, c.want) {
			t.Errorf("%+v: %q, want %q…", c.where, got, c.want)
		}
	}
}

func TestJournalState(t *testing.T) {
	dir := t.TempDir()
	if ok, err := JournalState(filepath.Join(dir, "none.db")); ok || err != nil {
		t.Errorf("missing: %v %v", ok, err)
	}
	empty := filepath.Join(dir, "empty.db")
	os.WriteFile(empty, nil, 0o600)
	if ok, err := JournalState(empty); ok || err != nil {
		t.Errorf("empty: %v %v", ok, err)
	}
	full := filepath.Join(dir, "full.db")
	os.WriteFile(full, []byte("x"), 0o600)
	if ok, err := JournalState(full); !ok || err != nil {
		t.Errorf("full: %v %v", ok, err)
	}
}

// TestChecks_PayMasterAll: the PayMaster calls of a run (the ping and the
// sticker) are bounded together by PayMasterAll, from when the checklist
// is made, and end when the run is done.
func TestChecks_PayMasterAll(t *testing.T) {
	for _, all := range []time.Duration{0, time.Minute} {
		f := newFixture(t)
		f.Limits.PayMasterAll = all
		f.Settings = Settings{Loaded: true, Where: func(string) Where { return Where{Layer: plugin.LayerTemplate} }}
		start := time.Now()
		checks, done := Checks(context.Background(), f.Kiosk)
		Run(context.Background(), checks, Options{}, nil)
		if len(f.pm.ctxs) != 2 {
			t.Fatalf("%d PayMaster calls, want the ping and the sticker", len(f.pm.ctxs))
		}
		for _, ctx := range f.pm.ctxs {
			dl, ok := ctx.Deadline()
			if ok != (all > 0) || (ok && (dl.Before(start.Add(all)) || dl.After(time.Now().Add(all)))) || ctx.Err() != nil {
				t.Errorf("PayMasterAll %s: a call's deadline %v (%v), err %v", all, dl, ok, ctx.Err())
			}
		}
		done()
		for _, ctx := range f.pm.ctxs {
			if ctx.Err() == nil {
				t.Errorf("PayMasterAll %s: a call's context lives on after the run", all)
			}
		}
	}
}

// TestDefaultLimits: sbpd doctor's bounds fit inside each other, so a
// black-holed PayMaster ends as a timeout of its own call, named in the
// advice, before the check's bound cuts it short: two tries fit in every
// call together, which ends before the check does.
func TestDefaultLimits(t *testing.T) {
	l := DefaultLimits
	if l.PayMasterTry <= 0 || 2*l.PayMasterTry > l.PayMasterAll || l.PayMasterAll >= l.Check || l.Local >= l.Check || l.Check > 15*time.Second {
		t.Errorf("DefaultLimits do not nest within 15 s: %+v", l)
	}
}

// TestPrinterCheck_lockRefused: a lock file sbpd refuses is named with what
// to do about it, not taken for a port that does not open.
func TestPrinterCheck_lockRefused(t *testing.T) {
	why := "serial port /dev/ttyS0 cannot be locked: sqlite: lock /run/lock/sbpd-dev_ttyS0.lock: a symbolic link, which sbpd does not follow: remove it (rm /run/lock/sbpd-dev_ttyS0.lock)"
	r := PrinterCheck(plugin.PrinterHealth{Status: plugin.PrinterLockRefused, Error: why}, "/dev/ttyS0", 115200)
	if r.Status != Fail || !strings.Contains(r.Message, "lock file") || !strings.Contains(r.Message, "symbolic link") || strings.Contains(r.Fix, "dialout") {
		t.Errorf("PrinterCheck(lock_refused) = %+v", r)
	}
}

// TestPrinterCheck_writeStalled: a printer that stopped taking bytes fails
// the check, saying so and what to do.
func TestPrinterCheck_writeStalled(t *testing.T) {
	r := PrinterCheck(plugin.PrinterHealth{Status: plugin.PrinterWriteStalled, Port: "/dev/ttyACM0", Via: plugin.PrinterViaDaemon}, "/dev/ttyACM0", 115200)
	if r.Status != Fail || !strings.Contains(r.Message, "stopped taking bytes") || !strings.Contains(r.Message, "asked the running sbpd") ||
		!strings.Contains(r.Fix, "paper") {
		t.Errorf("PrinterCheck(write_stalled) = %+v", r)
	}
}

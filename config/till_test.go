package config_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/sbpd/sbpd/config"
	"github.com/sbpd/sbpd/plugin"
)

// fakeRows is the till's database in memory: its rows, who wrote each,
// and the writes made to it.
type fakeRows struct {
	rows   map[string]string
	by     map[string]string
	writes int
	who    string
	// meanwhile, when set, runs before each write: another technician's
	// change landing between this change's check and its write.
	meanwhile func(*fakeRows)
	conflicts int
}

func (f *fakeRows) TillSettings(context.Context) (map[string]string, error) {
	return maps.Clone(f.rows), nil
}

func (f *fakeRows) TillHistory(context.Context) (func(string) (time.Time, string, bool), error) {
	return func(key string) (time.Time, string, bool) {
		by, ok := f.by[key]
		return time.Date(2025, 3, 14, 10, 0, 0, 0, time.UTC), by, ok
	}, nil
}

func (f *fakeRows) ApplyIf(_ context.Context, from, set map[string]string, unset []string, who string) error {
	if f.meanwhile != nil { // someone else writes between the check and this write
		f.meanwhile(f)
	}
	if !maps.Equal(f.rows, from) && (len(f.rows) > 0 || len(from) > 0) {
		f.conflicts++
		return &plugin.Error{Code: plugin.EConflict, Reason: plugin.RefusedSettingsChanged, Message: "changed"}
	}
	f.writes++
	f.who = who
	for _, k := range unset {
		delete(f.rows, k)
		delete(f.by, k)
	}
	maps.Copy(f.rows, set)
	for k := range set {
		f.by[k] = who
	}
	return nil
}

// tillKiosk is a kiosk for the service: a template file whose data_dir
// exists (or not), and a fake database (or none yet), which Create makes
// and counts.
type tillKiosk struct {
	svc      *config.TillSettings
	db       *fakeRows // the database, once there is one
	created  int       // how many times Create made the database
	template string
	dataDir  string
}

// newTillKiosk makes a kiosk whose template holds extra; rows nil means
// no database yet; noDir leaves data_dir missing.
func newTillKiosk(t *testing.T, extra string, rows map[string]string, noDir bool) *tillKiosk {
	t.Helper()
	dir := t.TempDir()
	k := &tillKiosk{template: filepath.Join(dir, "sbpd.yaml"), dataDir: filepath.Join(dir, "data")}
	body := "data_dir: " + k.dataDir + "\ntill:\n  id: K07\npaymaster:\n  merchant_id: 0b7c2f9e-3a51-4c1d-9e8a-5f2d6c7b8a90\n" + extra
	if err := os.WriteFile(k.template, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	if !noDir {
		if err := os.Mkdir(k.dataDir, 0o750); err != nil {
			t.Fatal(err)
		}
	}
	k.svc = &config.TillSettings{
		Layers:   config.Options{Path: k.template, MustExist: true},
		Database: filepath.Join(k.dataDir, "sbpd.db"),
		Create: func() (config.TillWriter, error) {
			if k.db == nil {
				k.created++
				k.db = &fakeRows{rows: map[string]string{}, by: map[string]string{}}
			}
			return k.db, nil
		},
	}
	if rows != nil {
		k.db = &fakeRows{rows: rows, by: map[string]string{}}
		for key := range rows {
			k.db.by[key] = "petrov via sbpd settings set"
		}
		k.svc.Store = k.db
	}
	return k
}

// unchanged fails unless the kiosk's database is as before: rows and no
// write, or still none.
func (k *tillKiosk) unchanged(t *testing.T, before map[string]string) {
	t.Helper()
	if before == nil {
		if k.db != nil || k.created != 0 {
			t.Fatalf("a refused change created the database: %+v", k.db)
		}
		return
	}
	if k.db.writes != 0 || !maps.Equal(k.db.rows, before) {
		t.Fatalf("a refused change wrote %v (%d writes)", k.db.rows, k.db.writes)
	}
}

const who = "ivanov via sbpd settings set"

// TestTillSettings_View: the settings with every layer, the till's rows
// with who wrote them; a kiosk without a database yet, and one whose
// data_dir does not exist yet: empty till settings, with a note saying so.
func TestTillSettings_View(t *testing.T) {
	ctx := context.Background()
	k := newTillKiosk(t, "", map[string]string{"sbp.poll_interval": "2s", "sbp.qr_mode": "7"}, false)
	v, err := k.svc.View(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if v.Missing || v.Database != k.svc.Database || v.Config.Value("sbp.poll_interval") != "2s" || v.Config.Source("sbp.poll_interval") != config.SourceTill {
		t.Fatalf("%+v", v)
	}
	if len(v.Problems) != 1 || v.Problems[0].Key != "sbp.qr_mode" {
		t.Fatalf("problems %+v", v.Problems)
	}
	if _, by, ok := v.History("sbp.poll_interval"); !ok || by != "petrov via sbpd settings set" {
		t.Fatalf("history %q %v", by, ok)
	}

	k = newTillKiosk(t, "", nil, false)
	if v, err := k.svc.View(ctx); err != nil || !v.Missing || v.Config.Value("till.id") != "K07" || !slices.Equal(v.Notes, []string{"no till database at " + k.svc.Database + " yet: the till settings are empty"}) {
		t.Fatalf("no database yet: %+v %v", v, err)
	} else if _, _, ok := v.History("till.id"); ok {
		t.Fatal("history of a database that is not there")
	}

	k = newTillKiosk(t, "", nil, true)
	v, err = k.svc.View(ctx)
	want := "data_dir " + k.dataDir + " (template " + k.template + ") does not exist yet: no till database, the till settings are empty " +
		"(sbpd serve creates it when it first starts; if it should be there, check data_dir or give --data-dir)"
	if err != nil || !v.Missing || v.Config.Value("till.id") != "K07" || !slices.Equal(v.Notes, []string{want}) {
		t.Fatalf("no data_dir yet: %+v %v\nwant the note %s", v, err, want)
	}
	if _, err := os.Stat(k.dataDir); err == nil {
		t.Fatal("View made data_dir")
	}

	// A --data-dir given on the command line that does not exist is a
	// typo until shown otherwise: refused, so a script sees it fail.
	k = newTillKiosk(t, "", nil, false)
	typo := filepath.Join(t.TempDir(), "dat")
	k.svc.Layers.Flags = keyFlags(t, []string{"data_dir"}, "--data_dir", typo)
	if _, err := k.svc.View(ctx); reasonOf(err) != config.RNoDataDir || !strings.Contains(err.Error(), "data_dir "+typo+" (flag --data_dir) does not exist") {
		t.Fatalf("View with --data-dir %s: %v", typo, err)
	}
}

// TestTillSettings_Set: every act writes only the difference, as who, and
// says what is in force; every refusal is typed, with the message users
// read, and leaves the database as it was (or not created).
func TestTillSettings_Set(t *testing.T) {
	cases := map[string]struct {
		rows       map[string]string // nil: no database yet
		env        map[string]string
		key, value string
		reason     string // the refusal's reason; config.ErrInvalid's for a broken rule
		message    string // the refusal's exact text, or a word of it
		stored     string
		now, from  string
		notes      []string
		still      int
	}{
		"first setting creates the database": {key: "sbp.poll_interval", value: "2s", stored: "2s", now: "2s", from: config.SourceTill},
		"normalized":                         {rows: map[string]string{}, key: "sbp.poll_interval", value: "60s", stored: "1m", now: "1m", from: config.SourceTill},
		"secret masked": {rows: map[string]string{}, key: "paymaster.token", value: "pm-7f3Kq9ZxW2", stored: "*** (set)", now: "*** (set)", from: config.SourceTill,
			notes: []string{"a running daemon applies this when it restarts"}},
		"overridden by the environment": {rows: map[string]string{}, env: map[string]string{"SBPD_SBP_POLL_INTERVAL": "4s"}, key: "sbp.poll_interval", value: "2s",
			stored: "2s", now: "4s", from: "env SBPD_SBP_POLL_INTERVAL", notes: []string{"env SBPD_SBP_POLL_INTERVAL overrides the till settings here: the value in use is 4s"}},
		"warned": {rows: map[string]string{}, key: "paymaster.merchant_id", value: "not-a-uuid", stored: "not-a-uuid", now: "not-a-uuid", from: config.SourceTill,
			notes: []string{"a running daemon applies this when it restarts", "paymaster.merchant_id = not-a-uuid (till settings): not a GUID such as 0b7c2f9e-3a51-4c1d-9e8a-5f2d6c7b8a90, as PayMaster's merchant ids are: copy it again from the PayMaster cabinet (sbpd doctor asks PayMaster)"}},
		"needs a restart":   {rows: map[string]string{}, key: "printer.baud", value: "9600", stored: "9600", now: "9600", from: config.SourceTill, notes: []string{"a running daemon applies this when it restarts"}},
		"old problem stays": {rows: map[string]string{"sbp.qr_mode": "2"}, key: "sbp.poll_interval", value: "2s", stored: "2s", now: "2s", from: config.SourceTill, still: 1},
		"unknown key": {key: "sbp.qr_mod", value: "2", reason: config.RUnknownKey,
			message: "unknown setting \"sbp.qr_mod\": did you mean sbp.qr_mode? (`sbpd settings list` shows them all)"},
		"template only": {rows: map[string]string{}, key: "data_dir", value: "/tmp", reason: config.RTemplateOnly,
			message: "data_dir belongs in the cash-desk template, not in the per-till settings: it says where the till's database is, so it cannot be stored in that database; set it in the template, SBPD_DATA_DIR or --data_dir"},
		"bad value": {rows: map[string]string{}, key: "sbp.qr_mode", value: "3", reason: "invalid settings",
			message: "sbp.qr_mode = 3 (till settings): must be 0 (print on receipt), 1 (screen) or 2 (sticker/NFC)"},
		"new problem, no database yet": {key: "sbp.qr_mode", value: "2", reason: "invalid settings",
			message: "sbp.qr_mode = 2 (till settings): needs paymaster.sticker_id (the id of the kiosk's cash-link sticker), which is not set (default)"},
		"new problem": {rows: map[string]string{"till.id": "K08"}, key: "sbp.qr_mode", value: "0", reason: "invalid settings",
			message: "sbp.qr_mode = 0 (till settings): needs printer.port (the receipt printer's serial port, e.g. /dev/ttyS0), which is not set (default)"},
		"masked url": {rows: map[string]string{}, key: "notify.url", value: "https://***@acc.example/hook", reason: config.RMaskedURL,
			message: "notify.url: the user and password or the query in https://***@acc.example/hook are masked, as sbpd shows and exports them: give the real URL on standard input (sbpd settings set notify.url -)"},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			for k, v := range c.env {
				t.Setenv(k, v)
			}
			k := newTillKiosk(t, "", maps.Clone(c.rows), false)
			got, err := k.svc.Set(context.Background(), c.key, c.value, who)
			if c.reason != "" {
				if err == nil || err.Error() != c.message || reasonOf(err) != c.reason {
					t.Fatalf("got %v (%s)\nwant %s (%s)", err, reasonOf(err), c.message, c.reason)
				}
				k.unchanged(t, c.rows)
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got.Key != c.key || got.Stored != c.stored || got.Now != c.now || got.Source != c.from || !got.Done || !got.Known ||
				!slices.Equal(got.Notes, c.notes) || len(got.Still) != c.still || got.Config == nil {
				t.Fatalf("%+v", got)
			}
			want := maps.Clone(c.rows)
			if want == nil {
				want = map[string]string{}
			}
			norm, _ := config.Normalize(c.key, c.value)
			want[c.key] = norm
			if k.db.writes != 1 || k.db.who != who || !maps.Equal(k.db.rows, want) || k.created > 1 || (c.rows == nil) != (k.created == 1) {
				t.Fatalf("wrote %v as %q (%d writes, created %d)", k.db.rows, k.db.who, k.db.writes, k.created)
			}
		})
	}
}

// reasonOf is the reason of a typed refusal: a plugin.Error's, or
// "invalid settings" for a broken rule (a *config.ValidationError).
func reasonOf(err error) string {
	if config.Problems(err) != nil {
		return config.ErrInvalid.Error()
	}
	var pe *plugin.Error
	if errors.As(err, &pe) {
		return pe.Reason
	}
	return "untyped"
}

// TestTillSettings_Unset: a key back to the layer below; a key sbpd does
// not know, put there by hand, removed; nothing to do for a key not set;
// refused when the settings would break, or for a key nobody knows.
func TestTillSettings_Unset(t *testing.T) {
	cases := map[string]struct {
		template string
		rows     map[string]string
		noDir    bool
		key      string
		reason   string
		message  string
		known    bool
		done     bool
		now      string
		from     string
	}{
		"back to the default":   {rows: map[string]string{"sbp.poll_interval": "2s"}, key: "sbp.poll_interval", known: true, done: true, now: "3s", from: config.SourceDefault},
		"back to the template":  {template: "sbp:\n  poll_interval: 4s\n", rows: map[string]string{"sbp.poll_interval": "2s"}, key: "sbp.poll_interval", known: true, done: true, now: "4s", from: "template"},
		"unknown key by hand":   {rows: map[string]string{"printer.bud": "9600"}, key: "printer.bud", done: true},
		"template only by hand": {rows: map[string]string{"sbp.mixed_payment": "true"}, key: "sbp.mixed_payment", known: true, done: true, now: "false", from: config.SourceDefault},
		"not set":               {rows: map[string]string{"till.id": "K08"}, key: "sbp.poll_interval", known: true},
		"no database yet":       {key: "sbp.poll_interval", known: true},
		"unknown key": {rows: map[string]string{}, key: "printer.bud", reason: config.RUnknownKey,
			message: "unknown setting \"printer.bud\": did you mean printer.baud? (`sbpd settings list` shows them all)"},
		"would break mode 0": {template: "sbp:\n  qr_mode: 0\n", rows: map[string]string{"printer.port": "/dev/ttyS0"}, key: "printer.port", reason: "invalid settings",
			message: "needs printer.port (the receipt printer's serial port, e.g. /dev/ttyS0), which is not set (default)"},
		"no data_dir": {noDir: true, key: "till.id", reason: config.RNoDataDir, message: "does not exist: check data_dir or give --data-dir"},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			k := newTillKiosk(t, c.template, maps.Clone(c.rows), c.noDir)
			got, err := k.svc.Unset(context.Background(), c.key, "ivanov via sbpd settings unset")
			if c.reason != "" {
				if err == nil || !strings.Contains(err.Error(), c.message) || reasonOf(err) != c.reason {
					t.Fatalf("got %v (%s)\nwant %s (%s)", err, reasonOf(err), c.message, c.reason)
				}
				k.unchanged(t, c.rows)
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got.Key != c.key || got.Known != c.known || got.Done != c.done || got.Now != c.now || !strings.HasPrefix(got.Source, c.from) {
				t.Fatalf("%+v", got)
			}
			if !c.done {
				k.unchanged(t, c.rows)
				return
			}
			want := maps.Clone(c.rows)
			delete(want, c.key)
			if k.db.writes != 1 || k.db.who != "ivanov via sbpd settings unset" || !maps.Equal(k.db.rows, want) {
				t.Fatalf("wrote %v as %q (%d writes)", k.db.rows, k.db.who, k.db.writes)
			}
		})
	}
}

// TestTillSettings_Import: all or none; secrets skipped keep their value;
// with replace, keys the file does not mention go.
func TestTillSettings_Import(t *testing.T) {
	cases := map[string]struct {
		rows          map[string]string
		file          string
		replace       bool
		message       string // a refusal's beginning
		want          map[string]string
		read          int
		changed, gone int
		notes         int
	}{
		"into a new kiosk": {file: "sbp:\n  poll_interval: 60s\n", want: map[string]string{"sbp.poll_interval": "1m"}, read: 1, changed: 1},
		"merge, secret skipped": {rows: map[string]string{"paymaster.token": "pm-old-token-1", "till.id": "K08"},
			file: "paymaster:\n  token: \"" + config.SecretMarker + "\"\nsbp:\n  poll_interval: 2s\n",
			want: map[string]string{"paymaster.token": "pm-old-token-1", "till.id": "K08", "sbp.poll_interval": "2s"}, read: 1, changed: 1, notes: 1},
		"replace": {rows: map[string]string{"paymaster.token": "pm-old-token-1", "till.id": "K08", "printer.baud": "9600"}, replace: true,
			file: "paymaster:\n  token: \"" + config.SecretMarker + "\"\nsbp:\n  poll_interval: 2s\n",
			want: map[string]string{"paymaster.token": "pm-old-token-1", "sbp.poll_interval": "2s"}, read: 1, changed: 1, gone: 2, notes: 1},
		"refused, no database yet": {file: "sbp:\n  qr_mode: 2\n",
			message: "nothing was imported from k07.yaml:\nsbp.qr_mode = 2 (till settings): needs paymaster.sticker_id"},
		"refused": {rows: map[string]string{"till.id": "K08"}, file: "sbp:\n  qr_mode: 2\n",
			message: "nothing was imported from k07.yaml:\nsbp.qr_mode = 2 (till settings): needs paymaster.sticker_id"},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			k := newTillKiosk(t, "", maps.Clone(c.rows), false)
			im, err := config.ReadImportFile("-", strings.NewReader(c.file))
			if err != nil {
				t.Fatal(err)
			}
			got, err := k.svc.Import(context.Background(), im, "k07.yaml", c.replace, "ivanov via sbpd settings import")
			if c.message != "" {
				if err == nil || !strings.HasPrefix(err.Error(), c.message) || reasonOf(err) != "invalid settings" {
					t.Fatalf("got %v\nwant %s", err, c.message)
				}
				k.unchanged(t, c.rows)
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got.Name != "k07.yaml" || got.Database != k.svc.Database || got.Read != c.read || len(got.Set) != c.changed || len(got.Unset) != c.gone || len(got.Notes) != c.notes {
				t.Fatalf("%+v", got)
			}
			if !maps.Equal(k.db.rows, c.want) || k.db.who != "ivanov via sbpd settings import" {
				t.Fatalf("rows %v as %q", k.db.rows, k.db.who)
			}
		})
	}
}

// TestReadImportFile: a file or standard input (-); nothing to import when
// any key or value is refused, or when the file is not a settings file.
func TestReadImportFile(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "k07.yaml")
	if err := os.WriteFile(good, []byte("sbp:\n  qr_mode: 1\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cases := map[string]struct {
		name, stdin string
		want        map[string]string
		message     string
		reason      string
	}{
		"file":           {name: good, want: map[string]string{"sbp.qr_mode": "1"}},
		"standard input": {name: "-", stdin: "sbp:\n  poll_interval: 2s\n", want: map[string]string{"sbp.poll_interval": "2s"}},
		"missing file":   {name: filepath.Join(dir, "nope.yaml"), message: "open " + filepath.Join(dir, "nope.yaml") + ": no such file or directory", reason: config.RImportRefused},
		// A token file given by mistake: refused, and not one character of it shown.
		"not a settings file": {name: "-", stdin: "pm-7f3Kq9ZxW2-SECRET\n", reason: config.RImportRefused,
			message: "-: settings file: not YAML with one key: value per line, as sbpd settings export writes (line 1)"},
		"broken yaml": {name: "-", stdin: "sbp:\n  qr_mode: 1\n till: [\n", reason: config.RImportRefused,
			message: "-: settings file: not YAML with one key: value per line, as sbpd settings export writes (line 2)"}, // where the YAML library finds it
		"a key twice": {name: "-", stdin: "sbp:\n  qr_mode: 1\n  qr_mode: 2\n", reason: config.RImportRefused,
			message: "-: settings file: a key is given twice (line 3; first at line 2): keep one"},
		"a section twice": {name: "-", stdin: "sbp:\n  qr_mode: 1\nsbp:\n  poll_interval: 2s\n", reason: config.RImportRefused,
			message: "-: settings file: a key is given twice (line 3; first at line 1): keep one"},
		"refused keys": {name: "-", stdin: "sbp:\n  qr_mode: 7\n  enabled: false\n", reason: config.RImportRefused,
			message: "nothing was imported from -:\nsbp.enabled belongs in the cash-desk template, not in the per-till settings: the integrator turns the SBP payment type on or off for all kiosks of the template; change it in the template file\nsbp.qr_mode = 7 (till settings): must be 0 (print on receipt), 1 (screen) or 2 (sticker/NFC)"},
		"too large": {name: "-", stdin: "# " + strings.Repeat("x", config.MaxImportFile) + "\n", reason: config.RImportRefused,
			message: "-: larger than 64 KB: it is not a settings file made by sbpd settings export"},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			im, err := config.ReadImportFile(c.name, strings.NewReader(c.stdin))
			if c.message != "" {
				if err == nil || err.Error() != c.message || reasonOf(err) != c.reason {
					t.Fatalf("got %v (%s)\nwant %s (%s)", err, reasonOf(err), c.message, c.reason)
				}
				return
			}
			if err != nil || !maps.Equal(im.Values, c.want) {
				t.Fatalf("%v %v", im.Values, err)
			}
		})
	}
}

// TestTillSettings_Export: the till's own settings, secrets as the marker,
// till.id only when kept; a kiosk without a database exports nothing and
// says so; the file is the owner's only.
func TestTillSettings_Export(t *testing.T) {
	at := time.Date(2025, 3, 14, 10, 0, 0, 0, time.UTC)
	k := newTillKiosk(t, "", map[string]string{"till.id": "K08", "paymaster.token": "pm-7f3Kq9ZxW2", "sbp.poll_interval": "2s", "data_dir": "/x"}, false)
	e, err := k.svc.Export(context.Background(), false, at)
	if err != nil {
		t.Fatal(err)
	}
	if e.Missing || !maps.Equal(e.Values, map[string]string{"paymaster.token": config.SecretMarker, "sbp.poll_interval": "2s"}) || len(e.Notes) != 1 {
		t.Fatalf("%+v", e)
	}
	text := string(e.Data)
	if !strings.HasPrefix(text, "# sbpd till settings from "+k.svc.Database+", 2025-03-14T10:00:00Z\n") || strings.Contains(text, "pm-7f3Kq9ZxW2") {
		t.Fatalf("%s", text)
	}
	if e, err := k.svc.Export(context.Background(), true, at); err != nil || e.Values["till.id"] != "K08" {
		t.Fatalf("keep till.id: %v %v", e.Values, err)
	}

	// A new file is its owner's only; one that was there keeps its mode.
	dir := t.TempDir()
	old := filepath.Join(dir, "old.yaml")
	if err := os.WriteFile(old, []byte(strings.Repeat("old settings\n", 100)), 0o644); err != nil {
		t.Fatal(err)
	}
	var stdout bytes.Buffer
	for out, mode := range map[string]os.FileMode{filepath.Join(dir, "k07.yaml"): 0o600, old: 0o644} {
		if err := e.Save(out, &stdout); err != nil || stdout.Len() != 0 {
			t.Fatalf("%v %q", err, stdout.String())
		}
		if fi, err := os.Stat(out); err != nil || fi.Mode().Perm() != mode {
			t.Fatalf("the exported file %s: %v %v", out, fi.Mode(), err)
		}
		if b, _ := os.ReadFile(out); !bytes.Equal(b, e.Data) {
			t.Fatalf("%s", b)
		}
	}
	if err := e.Save("", &stdout); err != nil || stdout.String() != text {
		t.Fatalf("to standard output: %v %q", err, stdout.String())
	}

	k = newTillKiosk(t, "", nil, false)
	if e, err := k.svc.Export(context.Background(), false, at); err != nil || !e.Missing || len(e.Values) != 0 {
		t.Fatalf("no database: %+v %v", e, err)
	}
	k = newTillKiosk(t, "", nil, true)
	if _, err := k.svc.Export(context.Background(), false, at); reasonOf(err) != config.RNoDataDir {
		t.Fatalf("no data_dir: %v", err)
	}
}

// TestTillSettings_ChangedMeanwhile: two technicians at once. A change is
// checked against the rows it read; when another change lands before it
// is written, it is read and checked again with that one in place, so
// that together they never leave settings neither was checked with.
func TestTillSettings_ChangedMeanwhile(t *testing.T) {
	sticker := map[string]string{"paymaster.sticker_id": "a1b2c3d4e5f6"}
	t.Run("the other change makes this one wrong: refused", func(t *testing.T) {
		k := newTillKiosk(t, "", maps.Clone(sticker), false)
		k.db.meanwhile = func(f *fakeRows) { delete(f.rows, "paymaster.sticker_id"); f.meanwhile = nil }
		_, err := k.svc.Set(context.Background(), "sbp.qr_mode", "2", who)
		if !errors.Is(err, config.ErrInvalid) || !strings.Contains(err.Error(), "needs paymaster.sticker_id") {
			t.Fatalf("Set = %v, want the rule the other change broke", err)
		}
		if len(k.db.rows) != 0 || k.db.writes != 0 || k.db.conflicts != 1 {
			t.Fatalf("rows %v, %d writes, %d conflicts: want the other change alone", k.db.rows, k.db.writes, k.db.conflicts)
		}
	})
	t.Run("both fine together: written after a second check", func(t *testing.T) {
		k := newTillKiosk(t, "", maps.Clone(sticker), false)
		k.db.meanwhile = func(f *fakeRows) { f.rows["sbp.poll_interval"] = "2s"; f.meanwhile = nil }
		if _, err := k.svc.Set(context.Background(), "sbp.qr_mode", "2", who); err != nil {
			t.Fatal(err)
		}
		want := map[string]string{"paymaster.sticker_id": "a1b2c3d4e5f6", "sbp.poll_interval": "2s", "sbp.qr_mode": "2"}
		if !maps.Equal(k.db.rows, want) || k.db.conflicts != 1 {
			t.Fatalf("rows %v (%d conflicts), want %v", k.db.rows, k.db.conflicts, want)
		}
	})
	t.Run("changing all the time: refused after three checks", func(t *testing.T) {
		k := newTillKiosk(t, "", maps.Clone(sticker), false)
		n := 0
		k.db.meanwhile = func(f *fakeRows) { n++; f.rows["sbp.poll_interval"] = fmt.Sprintf("%ds", n) }
		_, err := k.svc.Unset(context.Background(), "paymaster.sticker_id", who)
		if plugin.ErrorReason(err) != plugin.RefusedSettingsChanged || k.db.conflicts != 3 || k.db.writes != 0 {
			t.Fatalf("Unset = %v after %d conflicts, %d writes", err, k.db.conflicts, k.db.writes)
		}
	})
}

// TestTillSettings_CreatedDatabaseIsRead: the database the first change
// creates is the one the next act on the same service reads.
func TestTillSettings_CreatedDatabaseIsRead(t *testing.T) {
	k := newTillKiosk(t, "", nil, false)
	ctx := context.Background()
	if _, err := k.svc.Set(ctx, "paymaster.sticker_id", "a1b2c3d4e5f6", who); err != nil {
		t.Fatal(err)
	}
	if v, err := k.svc.View(ctx); err != nil || v.Missing || v.Config.PayMaster.StickerID != "a1b2c3d4e5f6" {
		t.Fatalf("View after the first Set: missing %v, sticker %q, %v", v.Missing, v.Config.PayMaster.StickerID, err)
	}
	if _, err := k.svc.Set(ctx, "sbp.qr_mode", "2", who); err != nil {
		t.Fatalf("sbp.qr_mode 2 with the sticker just set: %v", err)
	}
	if c, err := k.svc.Unset(ctx, "paymaster.sticker_id", who); err == nil || c.Done {
		t.Fatalf("Unset of the sticker mode 2 needs = %+v, %v: want refused", c, err)
	}
}

// TestTillSettings_NoSecretInResults: what an act hands back may be
// printed or sent as JSON by any front end: a secret it wrote is masked.
func TestTillSettings_NoSecretInResults(t *testing.T) {
	const token, pass = "pm-7f3Kq9ZxW2-SECRET", "hunter2pass"
	k := newTillKiosk(t, "", map[string]string{}, false)
	ctx := context.Background()
	for key, value := range map[string]string{"paymaster.token": token, "notify.url": "https://acc:" + pass + "@acc.example/hook"} {
		c, err := k.svc.Set(ctx, key, value, who)
		if err != nil {
			t.Fatal(err)
		}
		b, err := json.Marshal(c)
		if err != nil {
			t.Fatal(err)
		}
		for _, out := range []string{string(b), fmt.Sprintf("%+v", c), fmt.Sprintf("%#v", c.Set)} {
			if strings.Contains(out, token) || strings.Contains(out, pass) {
				t.Errorf("%s: the result shows the secret: %s", key, out)
			}
		}
	}
	im, err := config.ReadImport(strings.NewReader("notify:\n  max_attempts: 7\n"), "k07.yaml")
	if err != nil {
		t.Fatal(err)
	}
	r, err := k.svc.Import(ctx, im, "k07.yaml", false, who)
	if b, _ := json.Marshal(r); err != nil || strings.Contains(string(b), token) || strings.Contains(string(b), pass) {
		t.Errorf("Import's result %s, %v", b, err)
	}
}

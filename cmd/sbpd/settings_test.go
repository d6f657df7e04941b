package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/sbpd/sbpd/config"
	"github.com/sbpd/sbpd/drivers/sqlite"
)

// settingsSecret is a secret the settings commands must never print.
const settingsSecret = "pm-7f3Kq9ZxW2"

// settingsKiosk is a kiosk for the settings commands: a template with
// data_dir in a temp dir. The data dir does not exist until a command or
// the test makes it.
type settingsKiosk struct {
	t        *testing.T
	template string
	dataDir  string
	outputs  []string // everything the commands printed, to grep for secrets
}

func newSettingsKiosk(t *testing.T, extra string) *settingsKiosk {
	t.Helper()
	dir := t.TempDir()
	k := &settingsKiosk{t: t, template: filepath.Join(dir, "sbpd.yaml"), dataDir: filepath.Join(dir, "data")}
	body := fmt.Sprintf("data_dir: %s\ntill:\n  id: K07\npaymaster:\n  merchant_id: 0b7c2f9e-3a51-4c1d-9e8a-5f2d6c7b8a90\n%s", k.dataDir, extra)
	if err := os.WriteFile(k.template, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if all := strings.Join(k.outputs, "\n"); strings.Contains(all, settingsSecret) {
			t.Errorf("a secret was printed:\n%s", all)
		}
	})
	return k
}

// run runs `sbpd settings ARGS --config TEMPLATE` with stdin.
func (k *settingsKiosk) run(stdin string, args ...string) (stdout, stderr string, err error) {
	k.t.Helper()
	var out, errb bytes.Buffer
	root := newRoot(&out, &errb)
	root.SetIn(strings.NewReader(stdin))
	root.SetArgs(append(append([]string{"settings"}, args...), "--config", k.template))
	err = root.ExecuteContext(context.Background())
	k.outputs = append(k.outputs, out.String(), errb.String())
	if err != nil {
		k.outputs = append(k.outputs, err.Error())
	}
	return out.String(), errb.String(), err
}

// setSecret sets a secret as a technician must: on standard input.
func (k *settingsKiosk) setSecret(key, value string) string {
	k.t.Helper()
	out, errOut, err := k.run(value+"\n", "set", key, "-")
	if err != nil {
		k.t.Fatalf("settings set %s -: %v\n%s", key, err, errOut)
	}
	return out
}

func (k *settingsKiosk) mustRun(args ...string) string {
	k.t.Helper()
	out, errOut, err := k.run("", args...)
	if err != nil {
		k.t.Fatalf("settings %v: %v\n%s", args, err, errOut)
	}
	return out
}

// open opens the till's database as the daemon would, alongside the
// commands.
func (k *settingsKiosk) open() *sqlite.DB {
	k.t.Helper()
	if err := os.MkdirAll(k.dataDir, 0o750); err != nil {
		k.t.Fatal(err)
	}
	db, err := sqlite.Open(filepath.Join(k.dataDir, "sbpd.db"))
	if err != nil {
		k.t.Fatal(err)
	}
	k.t.Cleanup(func() { db.Close() })
	return db
}

func (k *settingsKiosk) state(db *sqlite.DB) (map[string]string, int64) {
	k.t.Helper()
	m, err := db.Settings().TillSettings(context.Background())
	if err != nil {
		k.t.Fatal(err)
	}
	v, err := db.Settings().Version(context.Background())
	if err != nil {
		k.t.Fatal(err)
	}
	return m, v
}

type listedSetting struct {
	Key, Value, Source, UpdatedBy string `json:",omitempty"`
}

func (k *settingsKiosk) list() (map[string]listedSetting, []string) {
	k.t.Helper()
	var out struct {
		Settings []struct {
			Key       string `json:"key"`
			Value     string `json:"value"`
			Source    string `json:"source"`
			UpdatedBy string `json:"updated_by"`
		} `json:"settings"`
		Problems []string `json:"problems"`
	}
	if err := json.Unmarshal([]byte(k.mustRun("list", "--json")), &out); err != nil {
		k.t.Fatal(err)
	}
	m := map[string]listedSetting{}
	for _, s := range out.Settings {
		m[s.Key] = listedSetting{s.Key, s.Value, s.Source, s.UpdatedBy}
	}
	return m, out.Problems
}

func TestSettings_ListShowsValueAndSource(t *testing.T) {
	k := newSettingsKiosk(t, "  token: "+settingsSecret+"\nsbp:\n  poll_interval: 2s\n")
	t.Setenv("SBPD_LOG_LEVEL", "debug")
	k.mustRun("set", "sbp.poll_interval", "2500ms")
	k.mustRun("set", "printer.qr", "raster")

	text := k.mustRun("list")
	for _, want := range []string{
		"KEY", "SOURCE",
		"till.id ", "K07", "template " + k.template,
		"log.level", "env SBPD_LOG_LEVEL",
		"sbp.poll_interval", "2.5s", "till settings",
		"notify.max_attempts", "50", "default",
		"paymaster.token", "*** (set)",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("list lacks %q:\n%s", want, text)
		}
	}
	got, problems := k.list()
	want := map[string]listedSetting{
		"till.id":             {Value: "K07", Source: "template " + k.template},
		"log.level":           {Value: "debug", Source: "env SBPD_LOG_LEVEL"},
		"sbp.poll_interval":   {Value: "2.5s", Source: "till settings"},
		"printer.qr":          {Value: "raster", Source: "till settings"},
		"notify.max_attempts": {Value: "50", Source: "default"},
		"paymaster.token":     {Value: "*** (set)", Source: "template " + k.template},
		"api.token":           {Value: "(not set)", Source: "default"},
	}
	for key, w := range want {
		if g := got[key]; g.Value != w.Value || g.Source != w.Source {
			t.Errorf("%s = %q (%s), want %q (%s)", key, g.Value, g.Source, w.Value, w.Source)
		}
	}
	if !strings.Contains(got["printer.qr"].UpdatedBy, "via sbpd settings set") {
		t.Errorf("updated_by %q", got["printer.qr"].UpdatedBy)
	}
	if len(problems) != 0 || len(got) != len(config.Keys) {
		t.Errorf("%d keys, problems %v", len(got), problems)
	}

	// --data_dir wins over the template's data_dir; one that does not
	// exist is refused (a typo on the command line), exit 1 for a script.
	other := t.TempDir()
	_, _, err := k.run("", "list", "--data_dir", filepath.Join(other, "none"))
	if err == nil || !strings.Contains(err.Error(), "data_dir "+filepath.Join(other, "none")+" (flag --data-dir) does not exist") {
		t.Fatalf("list --data_dir <missing>: %v", err)
	}
}

// TestSettings_DataDirMissing: before sbpd serve first ran, data_dir may
// not exist: list and get show the settings of the other layers (template,
// environment) and say on stderr that there is no till database, so that
// empty till settings are not taken for settings lost; export and unset,
// which act on the till settings alone, are refused.
func TestSettings_DataDirMissing(t *testing.T) {
	k := newSettingsKiosk(t, "")
	t.Setenv("SBPD_SBP_POLL_INTERVAL", "4s")
	note := "note: data_dir " + k.dataDir + " (template " + k.template + ") does not exist yet: no till database, the till settings are empty"
	out, stderr, err := k.run("", "list")
	if err != nil || !strings.Contains(out, "till.id") || !strings.Contains(out, "K07") || !strings.Contains(out, "env SBPD_SBP_POLL_INTERVAL") || !strings.HasPrefix(stderr, note) {
		t.Errorf("list: %v\nstdout:\n%s\nstderr:\n%s", err, out, stderr)
	}
	out, stderr, err = k.run("", "get", "till.id")
	if err != nil || out != "K07\n" || !strings.HasPrefix(stderr, note) {
		t.Errorf("get till.id: %q %q %v", out, stderr, err)
	}
	if _, stderr, err := k.run("", "list", "--json"); err != nil || !strings.HasPrefix(stderr, note) {
		t.Errorf("list --json: %q %v", stderr, err)
	}
	for _, args := range [][]string{{"export"}, {"unset", "till.id"}} {
		_, _, err := k.run("", args...)
		if err == nil || err.Error() != "data_dir "+k.dataDir+" (template "+k.template+") does not exist: check data_dir or give --data-dir (sbpd serve creates it when it first starts)" {
			t.Errorf("%v: %v", args, err)
		}
	}
	// A refused set leaves no trace; a good one creates the directory and the database.
	if _, _, err := k.run("", "set", "sbp.qr_mode", "2"); err == nil {
		t.Fatal("mode 2 without a sticker accepted")
	}
	if _, err := os.Stat(k.dataDir); !os.IsNotExist(err) {
		t.Fatalf("a refused set made %s: %v", k.dataDir, err)
	}
	k.mustRun("set", "till.id", "K08")
	if _, err := os.Stat(filepath.Join(k.dataDir, "sbpd.db")); err != nil {
		t.Fatal(err)
	}
	// The directory without a database: empty till settings, said on stderr.
	k2 := newSettingsKiosk(t, "")
	os.MkdirAll(k2.dataDir, 0o750)
	_, stderr, err = k2.run("", "list")
	if err != nil || !strings.Contains(stderr, "no till database at "+filepath.Join(k2.dataDir, "sbpd.db")+" yet") {
		t.Fatalf("%v %q", err, stderr)
	}
	if _, err := os.Stat(filepath.Join(k2.dataDir, "sbpd.db")); !os.IsNotExist(err) {
		t.Fatal("list created the database")
	}
}

// TestSettings_SetRefused: every refusal is the exact message, and the
// database is untouched (same rows, same Version).
func TestSettings_SetRefused(t *testing.T) {
	k := newSettingsKiosk(t, "")
	db := k.open()
	k.mustRun("set", "printer.baud", "9600")
	before, v := k.state(db)
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"sbp.qr_mode", "3"}, "sbp.qr_mode = 3 (till settings): must be 0 (print on receipt), 1 (screen) or 2 (sticker/NFC)"},
		{[]string{"sbp.qr_mode", "2"}, "sbp.qr_mode = 2 (till settings): needs paymaster.sticker_id (the id of the kiosk's cash-link sticker), which is not set (default)"},
		{[]string{"sbp.qr_mode", "0"}, "sbp.qr_mode = 0 (till settings): needs printer.port (the receipt printer's serial port, e.g. /dev/ttyS0), which is not set (default)"},
		{[]string{"sbp.status_timeout", "3s"}, "sbp.status_timeout = 3s (till settings): must be longer than sbp.poll_interval = 3s (default)"},
		{[]string{"sbp.poll_interval", "2m"}, "sbp.poll_interval = 2m (till settings): must be between 500ms and 1m (3s is the processor's own pace)"},
		{[]string{"listen", "0.0.0.0:8765"}, "listen = 0.0.0.0:8765 (till settings): needs api.token (the Bearer token the till must send, as the address is not loopback), which is not set (default)"},
		{[]string{"printer.width", "400"}, "printer.width = 400 (till settings): must be 384 (58 mm paper), 512 (Epson TM-T88) or 576 (80 mm paper)"},
		{[]string{"sbp.mixed_payment", "true"}, "sbp.mixed_payment belongs in the cash-desk template, not in the per-till settings: only the integrator knows whether the template's kiosks have the SetSCO 4:3 layout that mixed payment needs; change it in the template file"},
		{[]string{"sbp.enabled", "false"}, "sbp.enabled belongs in the cash-desk template, not in the per-till settings: the integrator turns the SBP payment type on or off for all kiosks of the template; change it in the template file"},
		{[]string{"data_dir", "/tmp"}, "data_dir belongs in the cash-desk template, not in the per-till settings: it says where the till's database is, so it cannot be stored in that database; set it in the template, SBPD_DATA_DIR or --data_dir"},
		{[]string{"sbp.qr_mod", "2"}, "unknown setting \"sbp.qr_mod\": did you mean sbp.qr_mode? (`sbpd settings list` shows them all)"},
		{[]string{"paymaster.tokn", settingsSecret}, "unknown setting \"paymaster.tokn\": did you mean paymaster.token? (`sbpd settings list` shows them all)"},
	}
	for _, c := range cases {
		_, _, err := k.run("", append([]string{"set"}, c.args...)...)
		if err == nil || err.Error() != c.want {
			t.Errorf("set %v:\n got %v\nwant %s", c.args, err, c.want)
		}
		if after, nv := k.state(db); !maps.Equal(after, before) || nv != v {
			t.Fatalf("set %v wrote: %v (version %d -> %d)", c.args, after, v, nv)
		}
	}
	// A secret is checked the same way, given on standard input.
	_, _, err := k.run(settingsSecret+" x\n", "set", "paymaster.token", "-")
	if want := "paymaster.token = *** (set) (till settings): must not contain spaces or line breaks (check what was pasted)"; err == nil || err.Error() != want {
		t.Errorf("set paymaster.token - (with a space):\n got %v\nwant %s", err, want)
	}
	if after, nv := k.state(db); !maps.Equal(after, before) || nv != v {
		t.Fatalf("a refused secret was written: %v (version %d -> %d)", after, v, nv)
	}
	// In order, the same change works.
	k.mustRun("set", "paymaster.sticker_id", "a1b2c3")
	if out := k.mustRun("set", "sbp.qr_mode", "2"); out != "sbp.qr_mode = 2 (till settings)\n" {
		t.Fatalf("%q", out)
	}
}

// TestSettings_SetOnBrokenSettings: when the settings are already broken,
// a change that does not make them worse is written, with a warning, so
// that a technician can fix one thing at a time.
func TestSettings_SetOnBrokenSettings(t *testing.T) {
	k := newSettingsKiosk(t, "sbp:\n  qr_mode: 0\n")
	_, stderr, err := k.run("", "set", "printer.baud", "9600")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(stderr, "warning: the settings are still not valid:\n  sbp.qr_mode = 0 (template "+k.template+"): needs printer.port") {
		t.Fatalf("%q", stderr)
	}
	if _, _, err := k.run("", "set", "printer.baud", "9601"); err == nil {
		t.Fatal("a new problem accepted")
	}
	_, stderr, err = k.run("", "set", "printer.port", "/dev/ttyS0")
	if err != nil || stderr != "note: a running daemon applies this when it restarts\n" {
		t.Fatalf("%v %q", err, stderr)
	}
	// Unsetting the port would break mode 0 again: refused.
	_, _, err = k.run("", "unset", "printer.port")
	if err == nil || err.Error() != "sbp.qr_mode = 0 (template "+k.template+"): needs printer.port (the receipt printer's serial port, e.g. /dev/ttyS0), which is not set (default)" {
		t.Fatalf("%v", err)
	}
}

func TestSettings_GetUnset(t *testing.T) {
	k := newSettingsKiosk(t, "sbp:\n  poll_interval: 2s\n")
	k.mustRun("set", "sbp.poll_interval", "4s")
	if out := k.mustRun("get", "sbp.poll_interval"); out != "4s\n" {
		t.Fatalf("%q", out)
	}
	v := k.mustRun("get", "sbp.poll_interval", "-v")
	for _, want := range []string{
		"sbp.poll_interval = 4s (till settings)", "type:     duration", "default:  3s",
		"allowed:  must be between 500ms and 1m", "layers:   default: 3s",
		"template " + k.template + ": 2s", "till settings: 4s  (", "via sbpd settings set",
	} {
		if !strings.Contains(v, want) {
			t.Errorf("get -v lacks %q:\n%s", want, v)
		}
	}
	if out := k.mustRun("unset", "sbp.poll_interval"); out != "sbp.poll_interval unset: now 2s (template "+k.template+")\n" {
		t.Fatalf("%q", out)
	}
	if out := k.mustRun("unset", "sbp.poll_interval"); out != "sbp.poll_interval is not set in the till settings: nothing to do\n" {
		t.Fatalf("%q", out)
	}
	if _, _, err := k.run("", "get", "sbp.pol_interval"); err == nil || !strings.Contains(err.Error(), "did you mean sbp.poll_interval?") {
		t.Fatalf("%v", err)
	}
	if _, _, err := k.run("", "unset", "no.such"); err == nil || !strings.Contains(err.Error(), `unknown setting "no.such"`) {
		t.Fatalf("%v", err)
	}

	// Keys put in the database by hand: listed as problems or warnings,
	// and unset removes them.
	db := k.open()
	if err := db.Settings().Apply(context.Background(), map[string]string{"sbp.mixed_payment": "true", "old.key": "1"}, nil, "sqlite3"); err != nil {
		t.Fatal(err)
	}
	_, stderr, err := k.run("", "list")
	if err != nil || !strings.Contains(stderr, "sbp.mixed_payment = true (till settings): belongs in the cash-desk template") ||
		!strings.Contains(stderr, `warning: till settings: unknown setting "old.key"`) {
		t.Fatalf("%v %q", err, stderr)
	}
	k.mustRun("unset", "sbp.mixed_payment")
	if out := k.mustRun("unset", "old.key"); out != "old.key unset\n" {
		t.Fatalf("%q", out)
	}
	if m, _ := k.state(db); len(m) != 0 {
		t.Fatalf("%v", m)
	}
}

// TestSettings_SecretsNeverShown sets every secret through each way in and
// runs every command that prints; the kiosk's cleanup greps all output.
func TestSettings_SecretsNeverShown(t *testing.T) {
	k := newSettingsKiosk(t, "api:\n  token: "+settingsSecret+"-api\n")
	if out, _, err := k.run(settingsSecret+"\n", "set", "paymaster.token", "-"); err != nil || out != "paymaster.token = *** (set) (till settings)\n" {
		t.Fatalf("%v %q", err, out)
	}
	k.setSecret("notify.secret", settingsSecret+"-notify")
	db := k.open()
	if m, _ := k.state(db); m["paymaster.token"] != settingsSecret {
		t.Fatalf("stdin value stored as %q", m["paymaster.token"])
	}
	k.mustRun("list")
	k.mustRun("list", "--json")
	for _, key := range []string{"paymaster.token", "notify.secret", "api.token"} {
		if out := k.mustRun("get", key); out != "*** (set)\n" {
			t.Errorf("get %s = %q", key, out)
		}
		k.mustRun("get", key, "-v")
	}
	exported := k.mustRun("export", "--keep-till-id")
	if !strings.Contains(exported, `token: "<secret: set it with sbpd settings set>"`) || !strings.Contains(exported, "paymaster.token is a secret and is not exported") {
		t.Fatalf("export:\n%s", exported)
	}
	file := filepath.Join(t.TempDir(), "out.yaml")
	k.mustRun("export", "-o", file)
	b, _ := os.ReadFile(file)
	k.outputs = append(k.outputs, string(b))
	// Errors about secrets.
	k.run(settingsSecret+" \t\n", "set", "notify.secret", "-")
	k.run("", "set", "notify.secret", settingsSecret)
	bad := filepath.Join(t.TempDir(), "bad.yaml")
	os.WriteFile(bad, []byte("paymaster:\n  token: \""+settingsSecret+" \"\n"), 0o600)
	if _, _, err := k.run("", "import", bad); err == nil || !strings.Contains(err.Error(), "paymaster.token = *** (set) (till settings)") {
		t.Fatalf("%v", err)
	}
	t.Setenv("SBPD_LISTEN", "0.0.0.0:8765")
	t.Setenv("SBPD_API_TOKEN", settingsSecret+" env")
	_, stderr, _ := k.run("", "list")
	if !strings.Contains(stderr, "api.token = *** (set) (env SBPD_API_TOKEN)") {
		t.Fatalf("%q", stderr)
	}
}

// TestSettings_ExportImportClone sets up kiosk A, exports it and imports
// the file on a new kiosk B with the same template: B has A's settings but
// its own till.id and no secret.
func TestSettings_ExportImportClone(t *testing.T) {
	a := newSettingsKiosk(t, "")
	a.mustRun("set", "till.id", "K07")
	a.mustRun("set", "printer.port", "/dev/ttyUSB0")
	a.mustRun("set", "sbp.qr_mode", "0")
	a.mustRun("set", "printer.width", "384")
	a.mustRun("set", "paymaster.sticker_id", "a1b2")
	a.mustRun("set", "sbp.invoice_ttl", "10m")
	a.mustRun("set", "paymaster.test_mode", "yes")
	a.setSecret("paymaster.token", settingsSecret)
	file := filepath.Join(t.TempDir(), "k07.yaml")
	_, stderr, err := a.run("", "export", "-o", file)
	if err != nil || !strings.Contains(stderr, "exported 7 settings to "+file) {
		t.Fatalf("%v %q", err, stderr)
	}

	b := newSettingsKiosk(t, "")
	out, stderr, err := b.run("", "import", file)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out, "imported "+file) || !strings.Contains(stderr, "note: paymaster.token was skipped: secrets are not exported; set it with `sbpd settings set paymaster.token -`") {
		t.Fatalf("%q %q", out, stderr)
	}
	la, _ := a.list()
	lb, _ := b.list()
	for key, sa := range la {
		sb := lb[key]
		switch key {
		case "till.id":
			if sb.Source != "template "+b.template {
				t.Errorf("till.id was cloned: %+v", sb)
			}
		case "paymaster.token":
			if sb.Value != "(not set)" {
				t.Errorf("the token was cloned: %+v", sb)
			}
		case "data_dir":
		default:
			if sa.Value != sb.Value || (sa.Source == "till settings") != (sb.Source == "till settings") {
				t.Errorf("%s: A %+v, B %+v", key, sa, sb)
			}
		}
	}
	// A backup keeps till.id; importing it twice changes nothing.
	backup := filepath.Join(t.TempDir(), "backup.yaml")
	a.mustRun("export", "--keep-till-id", "-o", backup)
	c := newSettingsKiosk(t, "")
	c.mustRun("import", backup)
	if out := c.mustRun("import", backup); !strings.Contains(out, ": 7 settings, 0 changed, 0 removed") {
		t.Fatalf("%q", out)
	}
	if lc, _ := c.list(); lc["till.id"].Value != "K07" || lc["till.id"].Source != "till settings" {
		t.Fatalf("%+v", lc["till.id"])
	}

	// --replace removes what the file does not mention, but keeps the secret it skipped.
	c.mustRun("set", "notify.max_attempts", "7")
	c.setSecret("paymaster.token", settingsSecret)
	c.mustRun("import", "--replace", file)
	m, _ := c.state(c.open())
	_, attempts := m["notify.max_attempts"]
	_, id := m["till.id"]
	if attempts || id || m["paymaster.token"] != settingsSecret || m["printer.port"] != "/dev/ttyUSB0" {
		t.Fatalf("after --replace: keys %v", slices.Sorted(maps.Keys(m)))
	}
}

// TestSettings_ImportAllOrNothing: a file with any bad entry, or whose
// settings together would not work, writes nothing.
func TestSettings_ImportAllOrNothing(t *testing.T) {
	k := newSettingsKiosk(t, "")
	db := k.open()
	k.mustRun("set", "till.id", "K09")
	before, v := k.state(db)
	cases := []struct {
		file string
		want []string
	}{
		{"till: {id: K10}\nsbp: {qr_mode: 5, mixed_payment: true}\nprinter: {bud: 9600}\n", []string{
			"nothing was imported from ",
			`unknown setting "printer.bud": did you mean printer.baud?`,
			"sbp.mixed_payment belongs in the cash-desk template",
			"sbp.qr_mode = 5 (till settings): must be 0 (print on receipt), 1 (screen) or 2 (sticker/NFC)",
		}},
		{"till: {id: K10}\nsbp: {qr_mode: 2}\n", []string{
			"nothing was imported from ",
			"sbp.qr_mode = 2 (till settings): needs paymaster.sticker_id",
		}},
		{"till: [K10\n", []string{"settings file"}},
	}
	for _, c := range cases {
		path := filepath.Join(t.TempDir(), "in.yaml")
		os.WriteFile(path, []byte(c.file), 0o600)
		_, _, err := k.run("", "import", path)
		if err == nil {
			t.Fatalf("imported %q", c.file)
		}
		for _, w := range c.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("error %q lacks %q", err, w)
			}
		}
		if after, nv := k.state(db); !maps.Equal(after, before) || nv != v {
			t.Fatalf("import of %q wrote: %v (version %d -> %d)", c.file, after, v, nv)
		}
	}
	// Standard input, and then the same settings work.
	if _, _, err := k.run("till: {id: K10}\nsbp: {qr_mode: 2}\npaymaster: {sticker_id: st1}\n", "import", "-"); err != nil {
		t.Fatal(err)
	}
	if m, _ := k.state(db); m["till.id"] != "K10" || m["sbp.qr_mode"] != "2" || m["paymaster.sticker_id"] != "st1" {
		t.Fatalf("%v", m)
	}
}

// TestSettings_WhileDaemonHoldsDB runs the commands while another handle,
// as the daemon's, has the database open and writes its journal; that
// handle sees every change and Version moves on every write.
func TestSettings_WhileDaemonHoldsDB(t *testing.T) {
	k := newSettingsKiosk(t, "")
	daemon := k.open()
	ctx := context.Background()
	_, v0 := k.state(daemon)

	stop := make(chan struct{})
	done := make(chan error, 1)
	go func() { // the daemon's own writes and reads
		for {
			select {
			case <-stop:
				done <- nil
				return
			default:
			}
			if _, err := daemon.Settings().TillSettings(ctx); err != nil {
				done <- err
				return
			}
			if err := daemon.Check(ctx); err != nil {
				done <- err
				return
			}
		}
	}()
	k.mustRun("set", "sbp.poll_interval", "2s")
	_, v1 := k.state(daemon)
	k.mustRun("set", "till.id", "K11")
	_, v2 := k.state(daemon)
	k.mustRun("unset", "sbp.poll_interval")
	_, v3 := k.state(daemon)
	path := filepath.Join(t.TempDir(), "in.yaml")
	os.WriteFile(path, []byte("printer: {qr_module: 8}\n"), 0o600)
	k.mustRun("import", path)
	m, v4 := k.state(daemon)
	k.mustRun("list")
	close(stop)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if !(v0 < v1 && v1 < v2 && v2 < v3 && v3 < v4) {
		t.Fatalf("versions %d %d %d %d %d", v0, v1, v2, v3, v4)
	}
	if !maps.Equal(m, map[string]string{"till.id": "K11", "printer.qr_module": "8"}) {
		t.Fatalf("the daemon sees %v", m)
	}
}

func TestSettings_HelpHasExamples(t *testing.T) {
	for _, sub := range []string{"", "list", "get", "set", "unset", "export", "import"} {
		var out bytes.Buffer
		root := newRoot(&out, &out)
		args := []string{"settings"}
		if sub != "" {
			args = append(args, sub)
		}
		root.SetArgs(append(args, "--help"))
		if err := root.Execute(); err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(out.String(), "Examples:") || !strings.Contains(out.String(), "--config") {
			t.Errorf("settings %s --help:\n%s", sub, out.String())
		}
	}
}

// TestSettings_Watch is what serve's reload loop sees: nothing while
// nothing changes, the changes (secrets masked) after `settings set` or an
// edit of the template, and a rejection, reported once, for a change that
// does not validate.
func TestSettings_Watch(t *testing.T) {
	ctx := context.Background()
	k := newSettingsKiosk(t, "  token: "+settingsSecret+"\n")
	db := k.open()
	w := config.NewWatcher(config.Options{Path: k.template, MustExist: true}, db.Settings())
	cur, err := w.Load(ctx)
	if err != nil {
		t.Fatal(err)
	}
	poll := func() ([]string, error) {
		t.Helper()
		next, diff, err := w.Poll(ctx, cur)
		if next != nil {
			cur = next
		}
		if err != nil {
			k.outputs = append(k.outputs, err.Error())
		}
		k.outputs = append(k.outputs, diff...)
		return diff, err
	}
	if d, err := poll(); d != nil || err != nil {
		t.Fatalf("nothing changed: %v %v", d, err)
	}
	k.mustRun("set", "sbp.poll_interval", "2s")
	k.setSecret("paymaster.token", settingsSecret+"-new")
	if d, err := poll(); err != nil || strings.Join(d, "\n") != "sbp.poll_interval: 3s → 2s\npaymaster.token: *** (set) → *** (set, changed)" {
		t.Fatalf("%q %v", d, err)
	}
	if cur.SBP.PollInterval != 2*time.Second || cur.PayMaster.Token != settingsSecret+"-new" {
		t.Fatalf("%+v", cur.SBP)
	}

	// Written behind sbpd's back: rejected once, the running settings stay.
	if err := db.Settings().Set(ctx, "sbp.qr_mode", "2", "sqlite3"); err != nil {
		t.Fatal(err)
	}
	d, err := poll()
	if d != nil || err == nil || !strings.Contains(err.Error(), "the changed settings are rejected, the running ones stay:\nsbp.qr_mode = 2 (till settings): needs paymaster.sticker_id") {
		t.Fatalf("%v %v", d, err)
	}
	if d, err := poll(); d != nil || err != nil {
		t.Fatalf("rejected again: %v %v", d, err)
	}
	if cur.SBP.QRMode != 1 {
		t.Fatal("the rejected mode is in use")
	}

	// The template edited: the fix arrives through it.
	b, _ := os.ReadFile(k.template)
	os.WriteFile(k.template, append(b, "  sticker_id: st1\n"...), 0o600)
	if d, err := poll(); err != nil || strings.Join(d, "\n") != "sbp.qr_mode: 1 → 2\npaymaster.sticker_id: \"\" → st1" {
		t.Fatalf("%q %v", d, err)
	}
	// A setting written with the value it has is no change.
	k.mustRun("set", "sbp.poll_interval", "2000ms")
	if d, err := poll(); d != nil || err != nil {
		t.Fatalf("%v %v", d, err)
	}
}

// The package's secrets file beside the template is read by the commands
// too: `settings list` shows the token as set (masked) and where from, and
// never prints it.
func TestSettings_EnvFileBesideTemplate(t *testing.T) {
	k := newSettingsKiosk(t, "")
	env := filepath.Join(filepath.Dir(k.template), "sbpd.env")
	if err := os.WriteFile(env, []byte("# secrets\nSBPD_PAYMASTER_TOKEN="+settingsSecret+"\nSBPD_SBP_QR_MODE=2\nSBPD_PAYMASTER_STICKER_ID=a1b2c3d4e5f6\n"), 0o640); err != nil {
		t.Fatal(err)
	}
	os.MkdirAll(k.dataDir, 0o750)
	out := k.mustRun("list")
	for _, want := range []string{"env file " + env + " (SBPD_PAYMASTER_TOKEN)", "env file " + env + " (SBPD_SBP_QR_MODE)"} {
		if !strings.Contains(out, want) {
			t.Errorf("settings list lacks %q:\n%s", want, out)
		}
	}
	if got := k.mustRun("get", "sbp.qr_mode"); strings.TrimSpace(got) != "2" {
		t.Errorf("settings get sbp.qr_mode = %q, want 2 from the env file", got)
	}
}

// TestSettings_SecretNotOnCommandLine: `sbpd settings set paymaster.token
// VALUE` used to store the token, leaving it in the shell history and the
// process list. A secret given as an argument is refused, with how to give
// it; standard input and --from-file work; other keys work as before.
func TestSettings_SecretNotOnCommandLine(t *testing.T) {
	k := newSettingsKiosk(t, "")
	db := k.open()
	before, v := k.state(db)
	for _, key := range []string{"paymaster.token", "api.token", "notify.secret"} {
		_, _, err := k.run("", "set", key, settingsSecret+"-long-enough")
		want := key + " is a secret: it is not taken on the command line, where it would stay in the shell history and show in the process list; " +
			"give it on standard input (sbpd settings set " + key + " -) or from a file (sbpd settings set " + key + " --from-file FILE)"
		if err == nil || err.Error() != want {
			t.Errorf("set %s VALUE:\n got %v\nwant %s", key, err, want)
		}
	}
	// The user and password inside notify.url are a secret too.
	_, _, err := k.run("", "set", "notify.url", "https://acct:"+settingsSecret+"@accounting.example/hook")
	if err == nil || !strings.HasPrefix(err.Error(), "notify.url holds a user and password or a query, which are secret: it is not taken on the command line") ||
		!strings.Contains(err.Error(), "sbpd settings set notify.url -") {
		t.Errorf("set notify.url with credentials: %v", err)
	}
	if after, nv := k.state(db); !maps.Equal(after, before) || nv != v {
		t.Fatalf("a refused secret was written: %v (version %d -> %d)", after, v, nv)
	}

	// Standard input: one line, the line break trimmed.
	if out, _, err := k.run(settingsSecret+"\r\nsecond line\n", "set", "paymaster.token", "-"); err != nil || out != "paymaster.token = *** (set) (till settings)\n" {
		t.Fatalf("%v %q", err, out)
	}
	if m, _ := k.state(db); m["paymaster.token"] != settingsSecret {
		t.Fatalf("stored %q", m["paymaster.token"])
	}
	// A file: its one line, the line break trimmed.
	dir := t.TempDir()
	file := filepath.Join(dir, "api-token")
	os.WriteFile(file, []byte(settingsSecret+"-api-token\n"), 0o600)
	if out, _, err := k.run("", "set", "api.token", "--from-file", file); err != nil || out != "api.token = *** (set) (till settings)\n" {
		t.Fatalf("--from-file: %v %q", err, out)
	}
	if m, _ := k.state(db); m["api.token"] != settingsSecret+"-api-token" {
		t.Fatalf("stored %q", m["api.token"])
	}
	// More than one line in the file is refused (a key file, a note), and
	// the value is not shown.
	os.WriteFile(file, []byte(settingsSecret+"-api-token\n"+settingsSecret+"\n"), 0o600)
	if _, _, err := k.run("", "set", "api.token", "--from-file", file); err == nil || !strings.Contains(err.Error(), "api.token = *** (set) (till settings): must be at least 16 characters") {
		t.Fatalf("two lines: %v", err)
	}
	if _, _, err := k.run("", "set", "api.token", "--from-file", filepath.Join(dir, "none")); err == nil || !strings.Contains(err.Error(), "no such file") {
		t.Fatalf("missing file: %v", err)
	}
	for _, args := range [][]string{{"api.token", "x", "--from-file", file}, {"api.token"}} {
		if _, _, err := k.run("", append([]string{"set"}, args...)...); err == nil || !strings.Contains(err.Error(), "VALUE, - or --from-file FILE") {
			t.Errorf("set %v: %v", args, err)
		}
	}
	// Other keys as before, from a file too.
	if out := k.mustRun("set", "printer.qr", "raster"); out != "printer.qr = raster (till settings)\n" {
		t.Fatalf("%q", out)
	}
	os.WriteFile(file, []byte("K12\n"), 0o600)
	if out := k.mustRun("set", "till.id", "--from-file", file); out != "till.id = K12 (till settings)\n" {
		t.Fatalf("%q", out)
	}
	if out := k.mustRun("set", "notify.url", "https://accounting.example/hook"); out != "notify.url = https://accounting.example/hook (till settings)\n" {
		t.Fatalf("%q", out)
	}
	// The help says how.
	var help bytes.Buffer
	root := newRoot(&help, &help)
	root.SetArgs([]string{"settings", "set", "--help"})
	root.Execute()
	for _, want := range []string{"--from-file", "sbpd settings set paymaster.token -", "never on the command line"} {
		if !strings.Contains(help.String(), want) {
			t.Errorf("set --help lacks %q:\n%s", want, help.String())
		}
	}
}

// TestSettings_WeakAPIToken: a valid but short api.token is stored, with a
// warning that says how to make one nobody can guess; a strong one has none.
func TestSettings_WeakAPIToken(t *testing.T) {
	k := newSettingsKiosk(t, "")
	out, stderr, err := k.run("weak-token-0123456\n", "set", "api.token", "-")
	if err != nil || !strings.Contains(out+stderr, "api.token = *** (set) (till settings): shorter than 32 characters (18)") ||
		!strings.Contains(out+stderr, "openssl rand -hex 16") || strings.Contains(out+stderr, "weak-token") {
		t.Fatalf("%v\n%s%s", err, out, stderr)
	}
	out, stderr, err = k.run("3f9c1a7be2d04586a1c9e7f3b2d8a640\n", "set", "api.token", "-")
	if err != nil || strings.Contains(out+stderr, "openssl") {
		t.Fatalf("a strong token: %v\n%s%s", err, out, stderr)
	}
}

// TestSettings_NotifyURLQuery: a token in notify.url's query (found by the
// red team: ?token=… was taken on the command line and shown by get, list
// and export) is a secret as a user and password are.
func TestSettings_NotifyURLQuery(t *testing.T) {
	const (
		real   = "http://127.0.0.1:1/hook?token=" + settingsSecret
		masked = "http://127.0.0.1:1/hook?token=***"
	)
	k := newSettingsKiosk(t, "")
	if _, _, err := k.run("", "set", "notify.url", real); err == nil || !strings.Contains(err.Error(), "sbpd settings set notify.url -") {
		t.Fatalf("set notify.url with a query on the command line: %v", err)
	}
	if out, _, err := k.run(real+"\n", "set", "notify.url", "-"); err != nil || out != "notify.url = "+masked+" (till settings)\n" {
		t.Fatalf("%v %q", err, out)
	}
	if m, _ := k.state(k.open()); m["notify.url"] != real {
		t.Fatalf("stored %q", m["notify.url"])
	}
	exported := k.mustRun("export")
	for what, out := range map[string]string{"list": k.mustRun("list"), "get": k.mustRun("get", "notify.url", "-v"), "export": exported} {
		if strings.Contains(out, settingsSecret) || !strings.Contains(out, masked) {
			t.Errorf("%s:\n%s", what, out)
		}
	}
	file := filepath.Join(t.TempDir(), "k07.yaml")
	os.WriteFile(file, []byte(exported), 0o600)
	if _, stderr, err := k.run("", "import", file); err != nil || !strings.Contains(stderr, "note: notify.url was skipped") {
		t.Fatalf("%v %q", err, stderr)
	}
	if m, _ := k.state(k.open()); m["notify.url"] != real {
		t.Fatalf("the import replaced the real URL: %q", m["notify.url"])
	}
	if _, _, err := k.run(masked+"\n", "set", "notify.url", "-"); err == nil || !strings.Contains(err.Error(), "are masked") {
		t.Fatalf("the masked URL given by hand: %v", err)
	}
}

// TestSettings_NotifyURLCredentials: a user and password inside notify.url
// used to be shown by list, get and export. They are masked everywhere, the
// real URL stays in use, and importing the masked URL never replaces it.
func TestSettings_NotifyURLCredentials(t *testing.T) {
	const (
		real   = "https://acct:" + settingsSecret + "@accounting.example/hooks/sbpd"
		masked = "https://***@accounting.example/hooks/sbpd"
	)
	k := newSettingsKiosk(t, "")
	if out, _, err := k.run(real+"\n", "set", "notify.url", "-"); err != nil || out != "notify.url = "+masked+" (till settings)\n" {
		t.Fatalf("%v %q", err, out)
	}
	db := k.open()
	if m, _ := k.state(db); m["notify.url"] != real {
		t.Fatalf("stored %q", m["notify.url"])
	}
	if out := k.mustRun("list"); !strings.Contains(out, masked) {
		t.Errorf("list:\n%s", out)
	}
	if got, _ := k.list(); got["notify.url"].Value != masked {
		t.Errorf("list --json: %+v", got["notify.url"])
	}
	if out := k.mustRun("get", "notify.url"); out != masked+"\n" {
		t.Errorf("get %q", out)
	}
	if out := k.mustRun("get", "notify.url", "-v"); !strings.Contains(out, "till settings: "+masked) {
		t.Errorf("get -v:\n%s", out)
	}
	exported := k.mustRun("export")
	if !strings.Contains(exported, `url: "`+masked+`"`) || !strings.Contains(exported, "notify.url holds a user and password or a query") {
		t.Fatalf("export:\n%s", exported)
	}
	file := filepath.Join(t.TempDir(), "k07.yaml")
	os.WriteFile(file, []byte(exported), 0o600)

	// Imported where the real URL is set: it stays.
	_, stderr, err := k.run("", "import", file)
	if err != nil || !strings.Contains(stderr, "note: notify.url was skipped: its user and password or its query are not exported; set it with `sbpd settings set notify.url -`") {
		t.Fatalf("%v %q", err, stderr)
	}
	if m, _ := k.state(db); m["notify.url"] != real {
		t.Fatalf("the import replaced the real URL: %q", m["notify.url"])
	}
	// Imported on a new kiosk: not set, not "***".
	b := newSettingsKiosk(t, "")
	b.mustRun("import", file)
	if m, _ := b.state(b.open()); m["notify.url"] != "" {
		t.Fatalf("the masked URL was imported: %q", m["notify.url"])
	}
	// Given by hand, the masked URL is refused: it would send "***".
	_, _, err = b.run(masked+"\n", "set", "notify.url", "-")
	if err == nil || !strings.Contains(err.Error(), "the user and password or the query in "+masked+" are masked") {
		t.Fatalf("%v", err)
	}
	// The errors about it do not show the password either.
	if _, _, err := k.run("acct:"+settingsSecret+"@accounting.example\n", "set", "notify.url", "-"); err == nil ||
		err.Error() != "notify.url = ***@accounting.example (till settings): must be empty or an absolute http(s) URL" {
		t.Errorf("%v", err)
	}
	// A reload logs the change masked.
	k.setSecret("paymaster.token", settingsSecret)
	w := config.NewWatcher(config.Options{Path: k.template, MustExist: true}, db.Settings())
	cur, err := w.Load(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	k.setSecret("notify.url", strings.Replace(real, settingsSecret, settingsSecret+"-2", 1))
	_, diff, err := w.Poll(context.Background(), cur)
	k.outputs = append(k.outputs, diff...)
	if err != nil || strings.Join(diff, "\n") != "notify.url: "+masked+" → "+masked+" (credentials changed)" {
		t.Fatalf("%q %v", diff, err)
	}
}

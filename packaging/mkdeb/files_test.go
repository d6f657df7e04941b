package main

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/sbpd/sbpd/config"
)

// clearSbpdEnv makes every SBPD_ variable empty (which config treats as
// unset), so that the machine's environment cannot change what loads.
func clearSbpdEnv(t *testing.T) {
	t.Helper()
	for _, kv := range os.Environ() {
		if name, _, _ := strings.Cut(kv, "="); strings.HasPrefix(name, "SBPD_") {
			t.Setenv(name, "")
		}
	}
}

// The packaged template loads without a problem or a warning, and what
// serve additionally requires is only the PayMaster credentials, which the
// operator fills in.
func TestTemplateLoads(t *testing.T) {
	clearSbpdEnv(t)
	path := filepath.Join("..", "sbpd.yaml")
	cfg, err := config.Open(context.Background(), config.Options{Path: path, MustExist: true})
	if err != nil {
		t.Fatalf("the packaged template does not load:\n%v", err)
	}
	if w := cfg.Warnings(); len(w) > 0 {
		t.Errorf("the packaged template gives warnings:\n%s", strings.Join(w, "\n"))
	}
	if cfg.DataDir != "/var/lib/sbpd" {
		t.Errorf("data_dir = %q, want /var/lib/sbpd (the directory the package creates)", cfg.DataDir)
	}
	if cfg.Listen != "127.0.0.1:8765" {
		t.Errorf("listen = %q, want loopback 127.0.0.1:8765 (no api.token needed)", cfg.Listen)
	}
	if src := cfg.Source("data_dir"); src != config.SourceTemplate+" "+path {
		t.Errorf("data_dir comes from %q, want the template", src)
	}
	var missing []string
	for _, p := range config.Problems(cfg.RequireRemote()) {
		missing = append(missing, p.Key)
	}
	if want := []string{"paymaster.merchant_id", "paymaster.token"}; !slices.Equal(missing, want) {
		t.Errorf("serve would complain about %v, want only %v", missing, want)
	}

	// Filled in as the template and the env file say, it is complete.
	text, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	filled := strings.Replace(string(text), `merchant_id: ""`, `merchant_id: 0b7c2f9e-1c1d-4b39-9a55-3f1e2d3c4b5a`, 1)
	t.Setenv(config.EnvName("paymaster.token"), "pm-token-123")
	cfg, err = config.Open(context.Background(), config.Options{Path: path, Template: strings.NewReader(filled)})
	if err != nil {
		t.Fatalf("the filled-in template does not load:\n%v", err)
	}
	if err := cfg.RequireRemote(); err != nil {
		t.Errorf("with merchant_id in the template and SBPD_PAYMASTER_TOKEN set, serve still complains:\n%v", err)
	}
}

// commentedKey is a commented-out setting in the template: "#till:",
// "#  id: K01", `  #token: ""`.
var commentedKey = regexp.MustCompile(`(?m)^(\s*)#(\s*[a-z_]+:(?:\s|$))`)

// Every key sbpd knows is in the template, set or commented out with a
// valid value, so that an operator finds each one there.
func TestTemplateHasEveryKey(t *testing.T) {
	clearSbpdEnv(t)
	text, err := os.ReadFile(filepath.Join("..", "sbpd.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	uncommented := commentedKey.ReplaceAllString(string(text), "$1$2")
	cfg, err := config.Open(context.Background(), config.Options{Path: "sbpd.yaml", Template: strings.NewReader(uncommented)})
	if err != nil {
		t.Fatalf("the template with its commented-out keys turned on does not load:\n%v\n--- template:\n%s", err, uncommented)
	}
	if w := cfg.Warnings(); len(w) > 0 {
		t.Errorf("the template with its commented-out keys turned on gives warnings:\n%s", strings.Join(w, "\n"))
	}
	for _, k := range config.Keys {
		if src := cfg.Source(k.Name); !strings.HasPrefix(src, config.SourceTemplate) {
			t.Errorf("%s is not in the packaged template (set or commented out); its value comes from %s", k.Name, src)
		}
	}
}

// The env file sets only the variables of sbpd's secret keys, in systemd's
// EnvironmentFile syntax, and names the PayMaster token.
func TestEnvFile(t *testing.T) {
	text, err := os.ReadFile(filepath.Join("..", "sbpd.env"))
	if err != nil {
		t.Fatal(err)
	}
	secrets := map[string]bool{}
	for _, k := range config.Keys {
		if k.Secret {
			secrets[config.EnvName(k.Name)] = true
		}
	}
	assign := regexp.MustCompile(`^#?([A-Z][A-Z0-9_]*)=(\S*)$`)
	set := map[string]bool{}
	for i, line := range strings.Split(string(text), "\n") {
		m := assign.FindStringSubmatch(line)
		switch {
		case m != nil:
			if !secrets[m[1]] {
				t.Errorf("sbpd.env:%d: %s is not the variable of a secret key of sbpd (%v)", i+1, m[1], secrets)
			}
			if !strings.HasPrefix(line, "#") {
				set[m[1]] = true
				if m[2] != "" {
					t.Errorf("sbpd.env:%d: the packaged file must not hold a secret value", i+1)
				}
			}
		case line == "" || strings.HasPrefix(line, "#"):
		default:
			t.Errorf("sbpd.env:%d: %q is neither a comment nor VAR=value", i+1, line)
		}
	}
	if !set[config.EnvName("paymaster.token")] {
		t.Errorf("sbpd.env does not have a %s= line to fill in", config.EnvName("paymaster.token"))
	}
}

// unitSettings reads a unit file's Key=Value lines, section by section:
// "Service.Type" -> ["notify"].
func unitSettings(t *testing.T, path string) map[string][]string {
	t.Helper()
	text, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][]string{}
	section := ""
	for _, line := range strings.Split(string(text), "\n") {
		line = strings.TrimSpace(line)
		switch {
		case line == "" || strings.HasPrefix(line, "#") || strings.HasPrefix(line, ";"):
		case strings.HasPrefix(line, "["):
			section = strings.Trim(line, "[]")
		default:
			k, v, ok := strings.Cut(line, "=")
			if !ok {
				t.Errorf("%s: %q is not Key=Value", path, line)
				continue
			}
			out[section+"."+k] = append(out[section+"."+k], v)
		}
	}
	return out
}

// The unit runs sbpd as the package expects it and keeps what sbpd needs
// through the hardening; systemd-analyze accepts it.
func TestUnit(t *testing.T) {
	unit := filepath.Join("..", "sbpd.service")
	got := unitSettings(t, unit)
	for key, want := range map[string]string{
		"Service.Type":                  "notify",
		"Service.NotifyAccess":          "main",
		"Service.WatchdogSec":           "30",
		"Service.ExecStart":             "/usr/bin/sbpd serve --config /etc/sbpd/sbpd.yaml",
		"Service.EnvironmentFile":       "-/etc/sbpd/sbpd.env",
		"Service.User":                  "sbpd",
		"Service.Group":                 "sbpd",
		"Service.SupplementaryGroups":   "dialout",
		"Service.StateDirectory":        "sbpd",
		"Service.StateDirectoryMode":    "0750",
		"Service.ReadWritePaths":        "-/run/lock",
		"Service.ProtectSystem":         "strict",
		"Service.DevicePolicy":          "closed",
		"Service.CapabilityBoundingSet": "",
		"Service.NoNewPrivileges":       "yes",
		"Service.UMask":                 "0027",
		"Install.WantedBy":              "multi-user.target",
	} {
		if vs := got[key]; !slices.Contains(vs, want) {
			t.Errorf("%s: %s = %q, want %q", unit, key, vs, want)
		}
	}
	for _, dev := range []string{"char-ttyS rw", "char-ttyUSB rw", "char-ttyACM rw"} {
		if !slices.Contains(got["Service.DeviceAllow"], dev) {
			t.Errorf("%s: DeviceAllow lacks %q: the receipt printer's port could not be opened", unit, dev)
		}
	}
	if slices.Contains(got["Service.PrivateDevices"], "yes") {
		t.Errorf("%s: PrivateDevices=yes hides the serial ports", unit)
	}
	if fams := strings.Fields(strings.Join(got["Service.RestrictAddressFamilies"], " ")); !slices.Contains(fams, "AF_INET") || !slices.Contains(fams, "AF_UNIX") {
		t.Errorf("%s: RestrictAddressFamilies = %v: sbpd needs AF_INET (PayMaster, the till API) and AF_UNIX (sd_notify)", unit, fams)
	}

	analyze, err := exec.LookPath("systemd-analyze")
	if err != nil {
		t.Skip("systemd-analyze is not installed: the unit was not verified by systemd")
	}
	// An offline root with the unit, an executable at ExecStart and the
	// host's targets (sysinit.target and the ones the unit names).
	var targets []string
	for _, dir := range []string{"/usr/lib/systemd/system", "/lib/systemd/system"} {
		if targets, _ = filepath.Glob(filepath.Join(dir, "*.target")); len(targets) > 0 {
			break
		}
	}
	if len(targets) == 0 {
		t.Skip("this machine has no systemd target units: the unit was not verified by systemd")
	}
	root := t.TempDir()
	units := filepath.Join(root, "usr/lib/systemd/system")
	mustMkdir(t, units)
	for _, tgt := range targets {
		copyFile(t, tgt, filepath.Join(units, filepath.Base(tgt)), 0o644)
	}
	copyFile(t, unit, filepath.Join(units, "sbpd.service"), 0o644)
	// systemd-analyze checks that every command exists in the root.
	for _, key := range []string{"Service.ExecStartPre", "Service.ExecStart"} {
		for _, line := range got[key] {
			exe := strings.Fields(strings.TrimLeft(line, "+-@:!"))[0]
			mustMkdir(t, filepath.Join(root, filepath.Dir(exe)))
			writeFile(t, filepath.Join(root, exe), "#!/bin/sh\n", 0o755)
		}
	}
	cmd := exec.Command(analyze, "verify", "--root="+root, "/usr/lib/systemd/system/sbpd.service")
	cmd.Env = append(os.Environ(), "SYSTEMD_LOG_TARGET=console", "SYSTEMD_LOG_LEVEL=notice")
	out, err := cmd.CombinedOutput()
	if err != nil || len(strings.TrimSpace(string(out))) > 0 {
		t.Errorf("systemd-analyze verify sbpd.service: %v\n%s", err, out)
	}
}

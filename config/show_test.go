package config_test

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/sbpd/sbpd/config"
)

// resolved is the settings with till as the till layer, as resolved.
func resolved(t *testing.T, till map[string]string) (*config.Config, []config.Problem) {
	t.Helper()
	cfg, ps, err := config.Resolve(context.Background(), config.Options{Till: config.MapStore(till)})
	if err != nil {
		t.Fatal(err)
	}
	return cfg, ps
}

var changedAt = time.Date(2025, 3, 14, 10, 0, 0, 0, time.UTC)

// history says every till setting was changed by ivan at changedAt.
func history(till map[string]string) config.History {
	return func(key string) (time.Time, string, bool) {
		_, ok := till[key]
		return changedAt, "ivan via sbpd settings set", ok
	}
}

func TestShow_List(t *testing.T) {
	till := map[string]string{"sbp.qr_mode": "2", "paymaster.token": "tok-secret-value-1234"}
	cfg, ps := resolved(t, till)
	var text bytes.Buffer
	if err := config.WriteList(&text, cfg); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`KEY +VALUE +SOURCE`, `\nsbp\.qr_mode +2 +till settings\n`, `\npaymaster\.sticker_id +"" +default\n`} {
		if !regexp.MustCompile(want).MatchString(text.String()) {
			t.Errorf("list lacks %q:\n%s", want, text.String())
		}
	}
	var js bytes.Buffer
	if err := config.List(cfg, ps, "/var/lib/sbpd/sbpd.db", history(till)).WriteJSON(&js); err != nil {
		t.Fatal(err)
	}
	for _, out := range []string{text.String(), js.String()} {
		if strings.Contains(out, "tok-secret-value-1234") {
			t.Fatalf("a secret shown:\n%s", out)
		}
	}
	var l config.Listing
	if err := json.Unmarshal(js.Bytes(), &l); err != nil {
		t.Fatal(err)
	}
	if l.Database != "/var/lib/sbpd/sbpd.db" || len(l.Settings) != len(config.Keys) || len(l.Problems) == 0 || l.Warnings == nil {
		t.Fatalf("listing: %+v", l)
	}
	for _, s := range l.Settings {
		if _, inTill := till[s.Key]; inTill != (s.UpdatedBy != "") {
			t.Errorf("%s: updated_by %q", s.Key, s.UpdatedBy)
		}
	}
}

func TestShow_EmptyListingHasArrays(t *testing.T) {
	cfg, ps := resolved(t, nil)
	var js bytes.Buffer
	if err := config.List(cfg, ps, "db", nil).WriteJSON(&js); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(js.String(), `"problems": []`) || !strings.Contains(js.String(), `"warnings": []`) {
		t.Fatalf("want empty arrays, not null:\n%s", js.String())
	}
}

func TestShow_Verbose(t *testing.T) {
	cases := map[string]struct {
		key  string
		till map[string]string
		want []string
	}{
		"till setting with who": {"sbp.poll_interval", map[string]string{"sbp.poll_interval": "2s"},
			[]string{"sbp.poll_interval = 2s (till settings)", "  type:     duration", "till settings: 2s  (ivan via sbpd settings set, 2025-03-14T10:00:00Z)"}},
		"template only": {"sbp.enabled", nil, []string{"  per-till: no, "}},
		"needs restart": {"listen", nil, []string{"a running daemon applies a change when it restarts"}},
		"empty shown":   {"paymaster.sticker_id", nil, []string{`paymaster.sticker_id = "" (default)`}},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			cfg, _ := resolved(t, c.till)
			k, ok := config.Lookup(c.key)
			if !ok {
				t.Fatalf("no key %s", c.key)
			}
			var b bytes.Buffer
			config.WriteVerbose(&b, cfg, k, history(c.till))
			for _, w := range c.want {
				if !strings.Contains(b.String(), w) {
					t.Errorf("lacks %q:\n%s", w, b.String())
				}
			}
		})
	}
}

func TestShow_Problems(t *testing.T) {
	cases := map[string]struct {
		ps       []config.Problem
		warnings []string
		want     string
	}{
		"none":     {want: ""},
		"problems": {ps: []config.Problem{{Key: "a", Message: "a is bad"}, {Key: "b", Message: "b is bad"}}, want: "head:\n  a is bad\n  b is bad\n"},
		"warnings": {warnings: []string{"w1"}, want: "warning: w1\n"},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			var b bytes.Buffer
			config.WriteProblems(&b, "head:", c.ps, c.warnings)
			if b.String() != c.want {
				t.Fatalf("got %q, want %q", b.String(), c.want)
			}
		})
	}
}

func TestInput_ValueFile(t *testing.T) {
	dir := t.TempDir()
	cases := map[string]struct {
		body    string
		want    string
		refused string
	}{
		"line break trimmed": {body: "abc\n", want: "abc"},
		"CRLF trimmed":       {body: "abc\r\n", want: "abc"},
		"no line break":      {body: "abc", want: "abc"},
		"second line kept":   {body: "abc\ndef\n", want: "abc\ndef"},
		"too large":          {body: strings.Repeat("x", config.MaxValueFile+1), refused: "larger than 64 KB"},
		"missing file":       {refused: "read the value of api.token"},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join(dir, strings.ReplaceAll(name, " ", "_"))
			if name != "missing file" {
				if err := os.WriteFile(path, []byte(c.body), 0o600); err != nil {
					t.Fatal(err)
				}
			}
			v, err := config.ReadValueFile("api.token", path)
			if c.refused != "" {
				if err == nil || !strings.Contains(err.Error(), c.refused) {
					t.Fatalf("want %q, got %q, %v", c.refused, v, err)
				}
				return
			}
			if err != nil || v != c.want {
				t.Fatalf("got %q, %v; want %q", v, err, c.want)
			}
		})
	}
}

func TestInput_ValueLine(t *testing.T) {
	for in, want := range map[string]string{"tok\n": "tok", "tok\r\nmore\n": "tok", "tok": "tok", "": ""} {
		if got, err := config.ReadValueLine(strings.NewReader(in), "api.token"); err != nil || got != want {
			t.Errorf("%q: got %q, %v; want %q", in, got, err, want)
		}
	}
}

func TestInput_ArgAndValue(t *testing.T) {
	cases := map[string]struct {
		key, arg string
		stdin    bool // given on standard input, not as an argument
		want     string
		refused  string
	}{
		"plain":             {key: "sbp.qr_mode", arg: "2", want: "2"},
		"duration normal":   {key: "sbp.poll_interval", arg: "2000ms", want: "2s"},
		"secret refused":    {key: "paymaster.token", arg: "tok-secret-value-1234", refused: "paymaster.token is a secret"},
		"url with password": {key: "notify.url", arg: "https://u:p@acc.example/hook", refused: "holds a user and password"},
		"url without":       {key: "notify.url", arg: "https://acc.example/hook", want: "https://acc.example/hook"},
		"masked url":        {key: "notify.url", arg: "https://***@acc.example/hook", stdin: true, refused: "are masked"},
		"bad value":         {key: "sbp.qr_mode", arg: "3", refused: "sbp.qr_mode"},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			k, _ := config.Lookup(c.key)
			v, err := config.ArgValue(k, c.arg)
			if c.stdin {
				v, err = c.arg, nil
			}
			if err == nil {
				v, err = config.InputValue(k, v)
			}
			if c.refused != "" {
				if err == nil || !strings.Contains(err.Error(), c.refused) {
					t.Fatalf("want %q, got %q, %v", c.refused, v, err)
				}
				if strings.Contains(err.Error(), c.arg) && c.key == "paymaster.token" {
					t.Fatalf("the secret is in the error: %v", err)
				}
				return
			}
			if err != nil || v != c.want {
				t.Fatalf("got %q, %v; want %q", v, err, c.want)
			}
		})
	}
}

func TestInput_ReadImport(t *testing.T) {
	im, err := config.ReadImport(strings.NewReader("sbp:\n  qr_mode: 2\n"), "k07.yaml")
	if err != nil || im.Values["sbp.qr_mode"] != "2" {
		t.Fatalf("%+v %v", im, err)
	}
	_, err = config.ReadImport(strings.NewReader("sbp:\n  qr_mode: 9\n"), "k07.yaml")
	if err == nil || !strings.HasPrefix(err.Error(), "nothing was imported from k07.yaml:") {
		t.Fatalf("bad value: %v", err)
	}
	_, err = config.ReadImport(strings.NewReader("sbp: [\n"), "k07.yaml")
	if err == nil || !strings.HasPrefix(err.Error(), "k07.yaml: ") {
		t.Fatalf("bad file: %v", err)
	}
}

func TestShow_SetNotes(t *testing.T) {
	cases := map[string]struct {
		key  string
		env  string
		want []string
	}{
		"plain":      {key: "sbp.poll_interval"},
		"restart":    {key: "listen", want: []string{"a running daemon applies this when it restarts"}},
		"overridden": {key: "sbp.qr_mode", env: "1", want: []string{"env SBPD_SBP_QR_MODE overrides the till settings here: the value in use is 1"}},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			t.Setenv(config.EnvName(c.key), c.env)
			k, _ := config.Lookup(c.key)
			value := map[string]string{"sbp.poll_interval": "2s", "listen": "127.0.0.1:9000", "sbp.qr_mode": "0"}[c.key]
			cfg, _ := resolved(t, map[string]string{c.key: value})
			got := config.SetNotes(cfg, k)
			if strings.Join(got, "|") != strings.Join(c.want, "|") {
				t.Fatalf("got %q, want %q", got, c.want)
			}
		})
	}
}

// TestShow_Completions: key names with their descriptions first, then an
// enum's values with their meanings or a bool's, and nothing after a
// key's value or for a key nobody knows.
func TestShow_Completions(t *testing.T) {
	keys := config.Completions(nil, true)
	if len(keys) != len(config.Keys) || !slices.Contains(keys, "sbp.qr_mode\t"+mustKey(t, "sbp.qr_mode").Description) {
		t.Errorf("keys: %q", keys)
	}
	for _, tc := range []struct {
		args   []string
		values bool
		want   []string
	}{
		{[]string{"sbp.qr_mode"}, true, []string{"0\tprint on receipt", "1\tscreen", "2\tsticker/NFC"}},
		{[]string{"sbp.mixed_payment"}, true, []string{"true", "false"}},
		{[]string{"sbp.qr_mode"}, false, nil},
		{[]string{"sbp.qr_mod"}, true, nil},
		{[]string{"sbp.qr_mode", "2"}, true, nil},
	} {
		if got := config.Completions(tc.args, tc.values); !slices.Equal(got, tc.want) {
			t.Errorf("%v values %v: %q, want %q", tc.args, tc.values, got, tc.want)
		}
	}
}

func mustKey(t *testing.T, name string) config.Key {
	t.Helper()
	k, ok := config.Lookup(name)
	if !ok {
		t.Fatalf("no key %s", name)
	}
	return k
}

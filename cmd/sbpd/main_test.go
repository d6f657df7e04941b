package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/spf13/cobra"
)

// TestMain gives the printer's lock files a temporary directory, so that
// the tests leave none in /run/lock.
func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "sbpd-locks-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	serialLockDir = dir
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// runRoot runs sbpd with args and returns its output and error.
func runRoot(t *testing.T, stdin string, args ...string) (string, string, error) {
	t.Helper()
	var out, errb bytes.Buffer
	root := newRoot(&out, &errb)
	root.SetIn(strings.NewReader(stdin))
	root.SetArgs(args)
	err := root.ExecuteContext(context.Background())
	return out.String(), errb.String(), err
}

// TestCLI_ServeRefusedCreatesNoJournal: serve refused for a missing
// paymaster.merchant_id leaves no data_dir and no sbpd.db behind.
func TestCLI_ServeRefusedCreatesNoJournal(t *testing.T) {
	dir := t.TempDir()
	data := filepath.Join(dir, "data")
	tmpl := filepath.Join(dir, "sbpd.yaml")
	os.WriteFile(tmpl, []byte("data_dir: "+data+"\nlisten: 127.0.0.1:0\n"), 0o600)
	_, _, err := runRoot(t, "", "serve", "--config", tmpl)
	if err == nil || !strings.Contains(err.Error(), "paymaster.merchant_id") {
		t.Fatalf("serve without a merchant id: %v", err)
	}
	if _, err := os.Stat(filepath.Join(data, "sbpd.db")); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("a refused serve left a journal behind: %v", err)
	}
}

// TestCLI_FlagSpellings: --data-dir everywhere, --data_dir still taken,
// and sbpd --version.
func TestCLI_FlagSpellings(t *testing.T) {
	k := newSettingsKiosk(t, "")
	other := filepath.Join(t.TempDir(), "none")
	for _, flag := range []string{"--data-dir", "--data_dir"} {
		for _, args := range [][]string{{"settings", "list"}, {"journal", "list"}, {"serve"}} {
			_, _, err := runRoot(t, "", append(args, "--config", k.template, flag, other)...)
			if err != nil && strings.Contains(err.Error(), "unknown flag") {
				t.Errorf("%v %s: %v", args, flag, err)
			}
		}
	}
	// Every command that reads this kiosk's settings or journal takes
	// --data-dir: its till settings live in data_dir/sbpd.db.
	noKiosk := []string{"sbpd version", "sbpd sandbox", "sbpd help", "sbpd completion"}
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		for _, sub := range c.Commands() {
			walk(sub)
		}
		path := c.CommandPath()
		// A group (sbpd journal) runs only to show its help or refuse a word.
		if !c.Runnable() || c.HasSubCommands() || slices.ContainsFunc(noKiosk, func(p string) bool { return strings.HasPrefix(path, p) }) {
			return
		}
		c.InheritedFlags() // merges the persistent flags of its parents
		if c.Flags().Lookup("data-dir") == nil {
			t.Errorf("%s has no --data-dir", path)
		}
	}
	walk(newRoot(io.Discard, io.Discard))
	out, _, err := runRoot(t, "", "settings", "list", "--help")
	if err != nil || !strings.Contains(out, "--data-dir") || strings.Contains(out, "--data_dir") {
		t.Errorf("help shows the flag as:\n%s", out)
	}
	out, _, err = runRoot(t, "", "--version")
	if err != nil || !strings.HasPrefix(out, "sbpd ") {
		t.Errorf("sbpd --version: %q %v", out, err)
	}
}

// TestCLI_SetNegativeValue: a value that starts with - is the value, and
// gets the key's validation message.
func TestCLI_SetNegativeValue(t *testing.T) {
	k := newSettingsKiosk(t, "")
	_, _, err := k.run("", "set", "sbp.status_timeout", "-5s")
	if err == nil || !strings.Contains(err.Error(), "sbp.status_timeout = -5s") {
		t.Fatalf("set sbp.status_timeout -5s: %v", err)
	}
	if out := k.mustRun("set", "sbp.status_timeout", "3m", "--data-dir", k.dataDir); !strings.Contains(out, "sbp.status_timeout = 3m") {
		t.Fatalf("set with a flag after the value: %s", out)
	}
}

// TestKiosk_EmptyJournalNotOpened: an empty sbpd.db is no journal, and a
// command that only reads does not make it one.
func TestKiosk_EmptyJournalNotOpened(t *testing.T) {
	k := newSettingsKiosk(t, "")
	os.MkdirAll(k.dataDir, 0o750)
	db := filepath.Join(k.dataDir, "sbpd.db")
	os.WriteFile(db, nil, 0o600)
	if _, stderr, err := k.run("", "list"); err != nil || !strings.Contains(stderr, "no till database at") {
		t.Fatalf("list: %v %q", err, stderr)
	}
	if st, err := os.Stat(db); err != nil || st.Size() != 0 {
		t.Fatalf("settings list made the empty file a journal: %v", err)
	}
}

// TestCLI_SetCompletion: set completes keys and values with flags anywhere.
func TestCLI_SetCompletion(t *testing.T) {
	for _, args := range [][]string{
		{"__complete", "settings", "set", "sbp.qr_mode", ""},
		{"__complete", "settings", "set", "--config", "/x", "sbp.qr_mode", ""},
	} {
		out, _, err := runRoot(t, "", args...)
		if err != nil || !strings.Contains(out, "2\tsticker/NFC") {
			t.Errorf("%v: %v\n%s", args, err, out)
		}
	}
}

// TestCLI_UnknownSubcommand: a misspelled subcommand of a group (sbpd
// printer stauts) fails with cobra's suggestions and exit 1, as one of the
// root does, instead of printing the group's help and exiting 0, so that a
// fleet script does not read a typo as "printer OK". The group alone still
// shows its help. Every group of the tree is walked, completion included.
func TestCLI_UnknownSubcommand(t *testing.T) {
	k := newSettingsKiosk(t, "")
	for _, tc := range []struct {
		args             []string
		word, group, did string
	}{
		{[]string{"printer", "stauts"}, "stauts", "sbpd printer", "status"},
		{[]string{"settings", "sett", "sbp.qr_mode", "2"}, "sett", "sbpd settings", "set"},
		{[]string{"journal", "lsit"}, "lsit", "sbpd journal", "list"},
		{[]string{"paymaster", "prob"}, "prob", "sbpd paymaster", "probe"},
		{[]string{"completion", "bsh"}, "bsh", "sbpd completion", "bash"},
		{[]string{"nosuch"}, "nosuch", "sbpd", ""}, // the root: cobra's own check
	} {
		out, stderr, err := runRoot(t, "", append(tc.args, "--config", k.template)...)
		want := fmt.Sprintf("unknown command %q for %q", tc.word, tc.group)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%v: error %v, want %q\nstdout: %s", tc.args, err, want, out)
			continue
		}
		if tc.did != "" && (!strings.Contains(err.Error(), "Did you mean this?\n\t") || !strings.Contains(err.Error(), "\t"+tc.did)) {
			t.Errorf("%v: no suggestion of %q: %v", tc.args, tc.did, err)
		}
		if out != "" || stderr != "" {
			t.Errorf("%v printed help as well as refusing:\n%s%s", tc.args, out, stderr)
		}
	}
	if _, err := os.Stat(k.dataDir); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("settings sett … made a journal: %v", err)
	}
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		for _, sub := range c.Commands() {
			walk(sub)
		}
		if !c.HasParent() || !c.HasSubCommands() {
			return
		}
		path := strings.Fields(c.CommandPath())[1:]
		if _, _, err := runRoot(t, "", append(path, "nosuch")...); err == nil || !strings.Contains(err.Error(), `unknown command "nosuch" for "`+c.CommandPath()+`"`) {
			t.Errorf("%s nosuch: %v", c.CommandPath(), err)
		}
		if out, _, err := runRoot(t, "", path...); err != nil || !strings.Contains(out, "Available Commands:") {
			t.Errorf("%s alone: %v, want its help\n%s", c.CommandPath(), err, out)
		}
	}
	walk(newRoot(io.Discard, io.Discard))
}

package main

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/sbpd/sbpd/drivers/sqlite"
	"github.com/sbpd/sbpd/plugin"
	"github.com/sbpd/sbpd/plugin/plugintest"
)

// One daemon per journal: a second sbpd serve, or a demo, on the journal
// of a running daemon would reconcile and drive the same unfinished
// payments (a tester saw two cancels of one payment at PayMaster and two
// payments active on one kiosk). The second one refuses to start.

// wantJournalInUse checks a refusal: it names the journal, the pid of the
// daemon holding it and how to stop that one, on one line.
func wantJournalInUse(t *testing.T, err error, journal string) {
	t.Helper()
	if err == nil {
		t.Fatal("a second daemon started on the journal of a running one")
	}
	msg := err.Error()
	for _, want := range []string{journal, fmt.Sprintf("pid %d", os.Getpid()), "systemctl stop sbpd", sqlite.LockFile} {
		if !strings.Contains(msg, want) {
			t.Errorf("refusal %q does not say %q", msg, want)
		}
	}
	if strings.Contains(msg, "\n") {
		t.Errorf("refusal %q is more than one line", msg)
	}
}

// TestDaemon_OnePerJournal: a second Daemon on the data_dir of a running
// one is refused before it opens the journal, listens or calls PayMaster,
// and changes nothing in data_dir; the first takes its payment to the end
// and a new one after it; once the first has stopped, a daemon starts.
func TestDaemon_OnePerJournal(t *testing.T) {
	h := newE2E(t)
	p := h.start("1", 100, false) // unfinished: the second would reconcile it
	before, calls := plugintest.DirState(t, h.dataDir, false, "-shm"), len(h.sb.Requests())

	second := &Daemon{Config: h.cfg, Clock: h.clock}
	err := second.Open(context.Background())
	defer second.Close()
	if !errors.Is(err, plugin.ErrJournalInUse) {
		t.Errorf("error %v, want plugin.ErrJournalInUse", err)
	}
	wantJournalInUse(t, err, h.dbPath())
	if second.DB != nil || second.Addr() != "" {
		t.Errorf("the refused daemon opened the journal (%v) or listens (%q)", second.DB != nil, second.Addr())
	}
	if n := len(h.sb.Requests()); n != calls {
		t.Errorf("the refused daemon called PayMaster: %d requests, were %d", n, calls)
	}
	if after := plugintest.DirState(t, h.dataDir, false, "-shm"); !slices.Equal(before, after) {
		t.Errorf("the refused daemon changed data_dir:\n%v\n%v", before, after)
	}

	h.sb.Pay(p.PayMasterID)
	h.until(p.ID, plugin.StatePaid, poll, 1)
	if kinds := h.events(p.ID); fmt.Sprint(kinds) != fmt.Sprint([]string{plugin.EvCreated, plugin.EvRemoteCreated, plugin.EvFinal}) {
		t.Errorf("events %v", kinds)
	}
	h.start("2", 100, false)
	h.restart() // Close lets go of the journal
	if got := h.get(p.ID); got.State != plugin.StatePaid {
		t.Errorf("after the restart: %s", got.State)
	}
}

// TestCLI_SecondServeRefused: `sbpd serve` on the template of a running
// sbpd serve refuses to start with the journal, the holder's pid and the
// way to stop it; the commands a technician runs beside the daemon
// (journal, settings) still work, and the first daemon keeps serving.
func TestCLI_SecondServeRefused(t *testing.T) {
	sb := newSandbox(t)
	path := writeConfig(t, sb, "")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	addr, _, done := serveCLI(t, ctx, path)
	journal := filepath.Join(filepath.Dir(path), "data", plugin.JournalFile)
	lock, _ := os.ReadFile(filepath.Join(filepath.Dir(journal), sqlite.LockFile))

	_, stderr, second := runCLI(context.Background(), "serve", "--config", path, "--listen", "127.0.0.1:0")
	select {
	case err := <-second:
		wantJournalInUse(t, err, journal)
	case <-time.After(10 * time.Second):
		t.Fatal("the second serve neither started nor refused")
	}
	if strings.Contains(stderr.String(), "sbpd ready") {
		t.Error("the second serve said it was ready")
	}
	if now, _ := os.ReadFile(filepath.Join(filepath.Dir(journal), sqlite.LockFile)); string(now) != string(lock) {
		t.Errorf("the lock file changed: %q, was %q", now, lock)
	}
	for _, args := range [][]string{{"journal", "list"}, {"settings", "list"}, {"journal", "stuck"}} {
		if _, errOut, err := runRoot(t, "", append(args, "--config", path)...); err != nil {
			t.Errorf("sbpd %s beside the daemon: %v %s", strings.Join(args, " "), err, errOut)
		}
	}
	resp, err := http.Post("http://"+addr+"/api/v1/payments", "application/json", strings.NewReader(`{"check_id":"000153","amount":25990}`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("the first daemon after the refusal: %d", resp.StatusCode)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("the first serve: %v", err)
	}
}

// TestCLI_DemoOnDaemonsJournalRefused: `sbpd demo --data-dir` of a
// running daemon's data_dir is refused the same way, and leaves no file
// of its own there (mode 0's virtual printer tape included).
func TestCLI_DemoOnDaemonsJournalRefused(t *testing.T) {
	h := newE2E(t)
	h.start("1", 100, false)
	before := plugintest.DirState(t, h.dataDir, false, "-shm")
	for _, mode := range []string{"1", "0"} {
		_, _, done := runCLI(context.Background(), "demo", "--listen", "127.0.0.1:0", "--data-dir", h.dataDir, "--mode", mode)
		select {
		case err := <-done:
			wantJournalInUse(t, err, h.dbPath())
		case <-time.After(10 * time.Second):
			t.Fatalf("demo --mode %s on a running daemon's journal neither started nor refused", mode)
		}
		if after := plugintest.DirState(t, h.dataDir, false, "-shm"); !slices.Equal(before, after) {
			t.Errorf("demo --mode %s changed data_dir:\n%v\n%v", mode, before, after)
		}
	}
}

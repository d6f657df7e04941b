package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/debug"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/sbpd/sbpd/drivers/paymaster/sandbox"
	"github.com/sbpd/sbpd/drivers/sqlite"
	"github.com/sbpd/sbpd/plugin"
)

// The crash tests run the real sbpd binary as a child process and kill it
// with SIGKILL.
//
// sbpdBinary builds ./ (this package) into the test's temp dir (removed
// with it), with -race when the test binary has it so that the build
// reuses the test's build cache. The result is remembered per test.
func sbpdBinary(t *testing.T) string {
	t.Helper()
	if p, ok := crashBins.Load(t.Name()); ok {
		return p.(string)
	}
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skipf("crash tests need the sbpd binary and there is no go toolchain to build it: %v", err)
	}
	path := filepath.Join(t.TempDir(), "sbpd")
	args := []string{"build", "-o", path}
	if info, ok := debug.ReadBuildInfo(); ok {
		for _, s := range info.Settings {
			if s.Key == "-race" && s.Value == "true" {
				args = append(args, "-race")
			}
		}
	}
	out, err := exec.Command(goTool, append(args, ".")...).CombinedOutput()
	if err != nil {
		t.Skipf("crash tests need the sbpd binary and it could not be built (go build .): %v\n%s", err, out)
	}
	crashBins.Store(t.Name(), path)
	t.Cleanup(func() { crashBins.Delete(t.Name()) }) // the temp dir goes with the test
	return path
}

var crashBins sync.Map // top-level test name → binary

// sbpdProc is one running `sbpd serve`.
type sbpdProc struct {
	cmd    *exec.Cmd
	stderr *syncBuffer
	addr   string
	done   chan struct{}
}

// kill sends SIGKILL and waits for the process to be gone.
func (p *sbpdProc) kill() {
	if p == nil {
		return
	}
	select {
	case <-p.done:
		return
	default:
	}
	p.cmd.Process.Kill()
	<-p.done
}

func (p *sbpdProc) url(path string) string { return "http://" + p.addr + path }

// crashRig is one kiosk: a sandbox, a config and a data dir that outlive
// any number of sbpd processes.
type crashRig struct {
	t       *testing.T
	bin     string
	sb      *sandbox.Server
	cfg     string
	dataDir string
	proc    *sbpdProc
	starts  int
	kills   int
	checks  []string
	// seen is the journal as read after the last kill: every row and
	// every event must still be there, in order, at the next look.
	seen map[string]journalSnap
	// env is added to the environment of every sbpd started (e.g. a
	// NOTIFY_SOCKET); systemd's own variables are never inherited.
	env []string
}

type journalSnap struct {
	p      plugin.Payment
	events []string
}

func newCrashRig(t *testing.T, extra string) *crashRig {
	t.Helper()
	top := t.Name()
	if i := strings.IndexByte(top, '/'); i >= 0 {
		top = top[:i]
	}
	bin, ok := crashBins.Load(top)
	if !ok {
		t.Fatalf("call sbpdBinary in %s first", top)
	}
	sb := newSandbox(t)
	dir := t.TempDir()
	r := &crashRig{t: t, bin: bin.(string), sb: sb, dataDir: filepath.Join(dir, "data"), cfg: filepath.Join(dir, "sbpd.yaml"), seen: map[string]journalSnap{}}
	cfg := fmt.Sprintf(`listen: 127.0.0.1:0
data_dir: %s
log_level: info
till:
  id: K07
sbp:
  poll_interval: 500ms
  status_timeout: 5s
  invoice_ttl: 5m
paymaster:
  base_url: %s
  merchant_id: %s
  token: %s
%s`, r.dataDir, sb.URL(), sb.MerchantID(), sb.Token(), extra)
	if err := os.WriteFile(r.cfg, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.proc.kill() })
	return r
}

// start runs `sbpd serve` and waits for "sbpd ready".
func (r *crashRig) start() {
	r.t.Helper()
	if r.proc != nil {
		r.proc.kill()
	}
	cmd := exec.Command(r.bin, "serve", "--config", r.cfg)
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "SBPD_") && !strings.HasPrefix(kv, "NOTIFY_SOCKET=") && !strings.HasPrefix(kv, "WATCHDOG_") {
			env = append(env, kv)
		}
	}
	cmd.Env = append(env, r.env...)
	p := &sbpdProc{cmd: cmd, stderr: &syncBuffer{}, done: make(chan struct{})}
	cmd.Stdout, cmd.Stderr = io.Discard, p.stderr
	if err := cmd.Start(); err != nil {
		r.t.Fatalf("start sbpd: %v", err)
	}
	go func() { cmd.Wait(); close(p.done) }()
	r.proc = p
	r.starts++
	deadline := time.Now().Add(20 * time.Second)
	for {
		if m := listenRe.FindStringSubmatch(p.stderr.String()); m != nil {
			p.addr = m[1]
			return
		}
		select {
		case <-p.done:
			r.t.Fatalf("sbpd exited before it was ready:\n%s", p.stderr.String())
		case <-time.After(5 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			r.t.Fatalf("sbpd not ready after 20s:\n%s", p.stderr.String())
		}
	}
}

// crash kills sbpd with SIGKILL.
func (r *crashRig) crash() {
	r.t.Helper()
	r.proc.kill()
	r.kills++
	if strings.Contains(r.proc.stderr.String(), "DATA RACE") {
		r.t.Logf("the race detector reported in the killed sbpd:\n%s", r.proc.stderr.String())
	}
}

var crashClient = &http.Client{Timeout: 10 * time.Second}

// startPayment posts a payment without waiting for the answer; the answer
// (or the error when sbpd is killed first) arrives on the channel.
func (r *crashRig) startPayment(check string, amount int64) <-chan plugin.Payment {
	r.checks = append(r.checks, check)
	url := r.proc.url("/api/v1/payments")
	ch := make(chan plugin.Payment, 1)
	go func() {
		var p plugin.Payment
		resp, err := crashClient.Post(url, "application/json", strings.NewReader(fmt.Sprintf(`{"check_id":%q,"amount":%d}`, check, amount)))
		if err == nil {
			json.NewDecoder(resp.Body).Decode(&p)
			resp.Body.Close()
		}
		ch <- p
	}()
	return ch
}

// get reads a payment through the till API.
func (r *crashRig) get(id string) (plugin.Payment, error) {
	resp, err := crashClient.Get(r.proc.url("/api/v1/payments/" + id))
	if err != nil {
		return plugin.Payment{}, err
	}
	defer resp.Body.Close()
	var p plugin.Payment
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(resp.Body)
		return p, fmt.Errorf("GET payment %s: HTTP %d %s", id, resp.StatusCode, b)
	}
	return p, json.NewDecoder(resp.Body).Decode(&p)
}

func (r *crashRig) cancel(id string) (int, error) {
	resp, err := crashClient.Post(r.proc.url("/api/v1/payments/"+id+"/cancel"), "application/json", nil)
	if err != nil {
		return 0, err
	}
	resp.Body.Close()
	return resp.StatusCode, nil
}

// poll waits up to 15s for f, checking every 5ms.
func (r *crashRig) poll(what string, f func() bool) {
	r.t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for !f() {
		if time.Now().After(deadline) {
			r.t.Fatalf("timed out waiting for %s\nsbpd log:\n%s", what, r.proc.stderr.String())
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// waitFinal waits, through the till API, for a final state (or
// needs_attention) and returns the payment.
func (r *crashRig) waitFinal(id string) plugin.Payment {
	r.t.Helper()
	var p plugin.Payment
	r.poll("payment "+id+" to reach a final state", func() bool {
		var err error
		p, err = r.get(id)
		return err == nil && (p.State.Final() || p.State == plugin.StateNeedsAttention)
	})
	return p
}

// withJournal opens the journal file while no sbpd runs.
func (r *crashRig) withJournal(f func(db *sqlite.DB)) {
	r.t.Helper()
	select {
	case <-r.proc.done:
	default:
		r.t.Fatal("withJournal while sbpd runs")
	}
	db, err := sqlite.Open(filepath.Join(r.dataDir, "sbpd.db"))
	if err != nil {
		r.t.Fatalf("open the journal after the kill: %v", err)
	}
	defer db.Close()
	f(db)
}

// journal reads every row of the rig's checks with its events.
func (r *crashRig) journal() map[string]journalSnap {
	r.t.Helper()
	out := map[string]journalSnap{}
	r.withJournal(func(db *sqlite.DB) {
		ctx := context.Background()
		for _, c := range r.checks {
			rows, err := db.Journal().ByCheck(ctx, c)
			if err != nil {
				r.t.Fatal(err)
			}
			for _, p := range rows {
				evs, err := db.Journal().Events(ctx, p.ID)
				if err != nil {
					r.t.Fatal(err)
				}
				s := journalSnap{p: *p}
				for _, ev := range evs {
					s.events = append(s.events, fmt.Sprintf("%d %s %s %s", ev.Seq, ev.Kind, ev.State, ev.Detail))
				}
				out[p.ID] = s
			}
		}
	})
	return out
}

// rowFor returns the journal row of a check, if sbpd wrote one.
func (r *crashRig) rowFor(check string) (plugin.Payment, bool) {
	r.t.Helper()
	var p plugin.Payment
	var ok bool
	r.withJournal(func(db *sqlite.DB) {
		rows, err := db.Journal().ByCheck(context.Background(), check)
		if err != nil {
			r.t.Fatal(err)
		}
		if len(rows) > 1 {
			r.t.Fatalf("check %s has %d journal rows", check, len(rows))
		}
		if len(rows) == 1 {
			p, ok = *rows[0], true
		}
	})
	return p, ok
}

// invariants checks, with sbpd stopped, the promises that must hold at any
// kill: exactly one PayMaster payment per order number, every one of them
// backed by a journal row, no journal row or event lost since the last
// look. With final set, every payment is also over and PayMaster's verdict
// is the journal's. It returns the violations.
func (r *crashRig) invariants(final bool) []string {
	r.t.Helper()
	var bad []string
	now := r.journal()
	byOrder := map[string][]sandbox.Payment{}
	for _, pm := range r.sb.Payments() {
		byOrder[pm.OrderNo] = append(byOrder[pm.OrderNo], pm)
	}
	rowsByOrder := map[string]plugin.Payment{}
	for _, s := range now {
		rowsByOrder[s.p.OrderNo] = s.p
	}
	for order, pms := range byOrder {
		if len(pms) != 1 {
			bad = append(bad, fmt.Sprintf("order %s has %d PayMaster payments", order, len(pms)))
		}
		if _, ok := rowsByOrder[order]; !ok {
			bad = append(bad, fmt.Sprintf("PayMaster payment %s (order %s) has no journal row", pms[0].ID, order))
		}
	}
	for id, old := range r.seen {
		cur, ok := now[id]
		if !ok {
			bad = append(bad, fmt.Sprintf("journal row %s lost", id))
			continue
		}
		if len(cur.events) < len(old.events) || fmt.Sprint(cur.events[:len(old.events)]) != fmt.Sprint(old.events) {
			bad = append(bad, fmt.Sprintf("payment %s: events %q are not a continuation of %q", id, cur.events, old.events))
		}
		if old.p.State.Final() && cur.p.State != old.p.State {
			bad = append(bad, fmt.Sprintf("payment %s was %s and is now %s", id, old.p.State, cur.p.State))
		}
	}
	for id, s := range now {
		p := s.p
		if len(s.events) == 0 || !strings.Contains(s.events[0], plugin.EvCreated) {
			bad = append(bad, fmt.Sprintf("payment %s: first event is not %q: %q", id, plugin.EvCreated, s.events))
		}
		pms := byOrder[p.OrderNo]
		if p.PayMasterID != "" && (len(pms) == 0 || pms[0].ID != p.PayMasterID) {
			bad = append(bad, fmt.Sprintf("payment %s: PayMaster id %s is not the payment of order %s", id, p.PayMasterID, p.OrderNo))
		}
		if !final {
			continue
		}
		settled := len(pms) > 0 && pms[0].Status == sandbox.StatusSettled
		switch {
		case !p.State.Final():
			bad = append(bad, fmt.Sprintf("payment %s is %s, not final", id, p.State))
		case settled && p.State != plugin.StatePaid:
			bad = append(bad, fmt.Sprintf("payment %s: Settled at PayMaster but %s in the journal", id, p.State))
		case !settled && p.State == plugin.StatePaid:
			bad = append(bad, fmt.Sprintf("payment %s: paid in the journal but %v at PayMaster", id, pms))
		}
	}
	r.seen = now
	return bad
}

// mustHold fails the test on any violation.
func (r *crashRig) mustHold(final bool) {
	r.t.Helper()
	for _, v := range r.invariants(final) {
		r.t.Error(v)
	}
}

// term stops sbpd as systemd would (SIGTERM) and waits up to 10s for it
// to exit, then kills it.
func (r *crashRig) term() {
	r.t.Helper()
	r.proc.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-r.proc.done:
	case <-time.After(10 * time.Second):
		r.proc.kill()
		r.t.Errorf("sbpd did not stop within 10s of SIGTERM")
	}
}

// stop kills the running sbpd (not counted as a crash point) so the
// journal can be read.
func (r *crashRig) stop() {
	r.proc.kill()
}

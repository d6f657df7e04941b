package main

// Security (issue 7, item 5): the till API on loopback unless configured
// otherwise and then only with a token; request bodies size-limited;
// search input cannot inject SQL; secrets never printed, logged, journaled
// or exported; TLS to PayMaster verified; a template readable by others
// warned about.
//
// Already tested elsewhere and not repeated here:
//   - a non-loopback listen without api.token is refused:
//     TestCLI_ServeRefuses/"non-loopback no token" (cli_test.go),
//     TestListen_RefusesWithoutToken (drivers/tillapi);
//   - doctor never prints a secret: every doctorKiosk.doctor run checks it
//     (doctor_test.go);
//   - the token is not logged by the till API: TestServer_TokenNotLogged.

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sbpd/sbpd/config"
	"github.com/sbpd/sbpd/drivers/paymaster"
	"github.com/sbpd/sbpd/drivers/paymaster/sandbox"
	"github.com/sbpd/sbpd/drivers/tillapi"
	"github.com/sbpd/sbpd/plugin"
)

const (
	secPMToken   = "pm-SECRET-sec-4c1f88e2"
	secAPIToken  = "api-SECRET-sec-0d93b7"
	secNotifySec = "notify-SECRET-sec-a51e"
)

var secSecrets = []string{secPMToken, secAPIToken, secNotifySec}

// TestSecurity_LoopbackByDefault: with no listen setting the till API is
// on 127.0.0.1 only.
func TestSecurity_LoopbackByDefault(t *testing.T) {
	cfg, err := config.Load("", false, nil)
	if err != nil {
		t.Fatal(err)
	}
	host, _, err := net.SplitHostPort(cfg.Listen)
	if err != nil || !net.ParseIP(host).IsLoopback() {
		t.Fatalf("default listen %q is not loopback", cfg.Listen)
	}
	h := newE2E(t)
	if ip := h.d.api.Addr().(*net.TCPAddr).IP; !ip.IsLoopback() {
		t.Fatalf("the daemon listens on %s", ip)
	}
	// Beyond loopback only with a token (the refusal without one is
	// TestCLI_ServeRefuses): with a token, 0.0.0.0 is allowed.
	ln, err := tillapi.Listen("0.0.0.0:0", secAPIToken)
	if err != nil {
		t.Fatalf("non-loopback with a token: %v", err)
	}
	ln.Close()
	if _, err := tillapi.Listen("0.0.0.0:0", ""); err == nil || !strings.Contains(err.Error(), "api.token") {
		t.Fatalf("non-loopback without a token: %v", err)
	}
}

// TestSecurity_TokenOnEveryRoute: with api.token set, every till API route
// and /healthz answers 401 without the token or with a wrong one.
func TestSecurity_TokenOnEveryRoute(t *testing.T) {
	h := newE2E(t, func(c *config.Config) { c.APIToken = secAPIToken })
	call := func(method, path, token, body string) (int, []byte) {
		req, _ := http.NewRequest(method, h.d.URL()+path, strings.NewReader(body))
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		if body != "" {
			req.Header.Set("Content-Type", "application/json")
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, b
	}
	st, b := call("POST", "/api/v1/payments", secAPIToken, `{"check_id":"T-1","amount":100}`)
	p := h.payment(st, b, http.StatusCreated)
	routes := [][2]string{
		{"POST", "/api/v1/payments"},
		{"GET", "/api/v1/payments"},
		{"GET", "/api/v1/payments?q=T-1"},
		{"GET", "/api/v1/payments/" + p.ID},
		{"GET", "/api/v1/payments/" + p.ID + "/events"},
		{"POST", "/api/v1/payments/" + p.ID + "/retry"},
		{"POST", "/api/v1/payments/" + p.ID + "/cancel"},
		{"GET", "/healthz"},
	}
	// With the token the read routes work.
	for _, r := range routes {
		if r[0] != "GET" || strings.Contains(r[1], "/events") {
			continue
		}
		if st, b := call(r[0], r[1], secAPIToken, ""); st != http.StatusOK {
			t.Errorf("%s %s with the token: %d %s", r[0], r[1], st, b)
		}
	}
	// Without it, or with a wrong one, nothing: 401; past the limit of
	// wrong tokens from loopback, 429 to every wrong token; the right one
	// still passes (guesses never lock the till out).
	wrong := 0
	for _, r := range routes {
		for _, tok := range []string{"", "wrong-token", secAPIToken + "x", strings.ToUpper(secAPIToken)} {
			st, b := call(r[0], r[1], tok, `{"check_id":"T-2","amount":100}`)
			want := http.StatusUnauthorized
			if tok != "" && wrong >= tillapi.MaxWrongTokens {
				want = http.StatusTooManyRequests
			}
			if tok != "" {
				wrong++
			}
			if st != want {
				t.Errorf("%s %s with token %q (wrong ones before: %d): %d %s", r[0], r[1], tok, wrong-1, st, b)
			}
			if bytes.Contains(b, []byte(secAPIToken)) {
				t.Errorf("%s %s: the answer shows the token", r[0], r[1])
			}
		}
	}
	if st, b := call("GET", "/healthz", secAPIToken, ""); st != http.StatusOK {
		t.Errorf("the right token after %d wrong ones: %d %s", wrong, st, b)
	}
	if got := len(h.sb.Payments()); got != 1 {
		t.Fatalf("%d PayMaster payments, want 1: an unauthorized request acted", got)
	}
	// Read from the journal.
	if got, err := h.d.DB.Journal().Get(context.Background(), p.ID); err != nil || got.CancelRequested {
		t.Fatalf("an unauthorized cancel acted (%v)", err)
	}
}

// TestSecurity_BodyLimit: a request body over the limit is refused with
// 413, whether it declares its length or streams it chunked, and nothing
// reaches PayMaster.
func TestSecurity_BodyLimit(t *testing.T) {
	h := newE2E(t)
	big := `{"check_id":"BIG-1","amount":100,"pad":"` + strings.Repeat("x", int(tillapi.DefaultMaxBodyBytes)) + `"}`
	st, b := h.do("POST", "/api/v1/payments", big)
	if st != http.StatusRequestEntityTooLarge || !strings.Contains(string(b), "body_too_large") {
		t.Fatalf("declared length: %d %.200s", st, b)
	}
	// Chunked: no Content-Length, the limit applies while reading.
	req, _ := http.NewRequest("POST", h.d.URL()+"/api/v1/payments", io.MultiReader(strings.NewReader(big)))
	req.ContentLength = -1
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusRequestEntityTooLarge {
		t.Fatalf("chunked: %d %.200s", resp.StatusCode, b)
	}
	if n := len(h.sb.Payments()); n != 0 {
		t.Fatalf("an oversized request reached PayMaster")
	}
	h.start("BIG-2", 100, false) // the daemon is fine
}

var sqlInjections = []string{
	`' OR 1=1 --`,
	`" OR ""="`,
	`'; DROP TABLE payments; --`,
	`1); DELETE FROM events; --`,
	`x' UNION SELECT name, sql FROM sqlite_master --`,
	`%' OR '%'='`,
	`\'; UPDATE payments SET state='paid'; --`,
	`A-1' --`,
}

// TestSecurity_SQLInjection: injection attempts through the till API
// search (q and check_id) and `sbpd journal list -q` find nothing and
// leave the journal as it was.
func TestSecurity_SQLInjection(t *testing.T) {
	h := newE2E(t)
	a := h.start("A-1", 25990, false)
	h.sb.Pay(a.PayMasterID)
	h.until(a.ID, plugin.StatePaid, poll, 1)
	b := h.start("B-2", 100, false)
	h.sb.Decline(b.PayMasterID, "InsufficientFunds")
	h.until(b.ID, plugin.StateNotPaid, poll, 1)
	eventsA, eventsB := len(h.events(a.ID)), len(h.events(b.ID))
	tmpl := filepath.Join(t.TempDir(), "sbpd.yaml")
	if err := os.WriteFile(tmpl, []byte("till:\n  id: K07\n"), 0o600); err != nil {
		t.Fatal(err)
	}

	for _, inj := range sqlInjections {
		for _, param := range []string{"q", "check_id"} {
			st, body := h.do("GET", "/api/v1/payments?"+param+"="+url.QueryEscape(inj), "")
			if st != http.StatusOK && st != http.StatusUnprocessableEntity {
				t.Errorf("%s=%q: %d %s", param, inj, st, body)
				continue
			}
			var res struct{ Payments []plugin.Payment }
			json.Unmarshal(body, &res)
			if len(res.Payments) != 0 {
				t.Errorf("%s=%q found %d payments", param, inj, len(res.Payments))
			}
		}
		out, _, done := runCLI(context.Background(), "journal", "list", "--config", tmpl, "--data_dir", h.dataDir, "-q", inj, "--json")
		if err := <-done; err != nil {
			t.Errorf("journal list -q %q: %v", inj, err)
			continue
		}
		var ps []plugin.Payment
		if err := json.Unmarshal([]byte(out.String()), &ps); err != nil {
			t.Errorf("journal list -q %q: %v: %s", inj, err, out)
		} else if len(ps) != 0 {
			t.Errorf("journal list -q %q found %d payments", inj, len(ps))
		}
	}
	// The journal is intact.
	if got := h.get(a.ID); got.State != plugin.StatePaid || got.Amount != 25990 {
		t.Fatalf("payment A is now %s %d", got.State, got.Amount)
	}
	if got := h.get(b.ID); got.State != plugin.StateNotPaid {
		t.Fatalf("payment B is now %s", got.State)
	}
	if len(h.events(a.ID)) != eventsA || len(h.events(b.ID)) != eventsB {
		t.Fatal("events changed")
	}
	st, body := h.do("GET", "/api/v1/payments", "")
	var res struct{ Payments []plugin.Payment }
	json.Unmarshal(body, &res)
	if st != 200 || len(res.Payments) != 2 {
		t.Fatalf("search all: %d, %d payments", st, len(res.Payments))
	}
	if err := h.d.DB.Check(context.Background()); err != nil {
		t.Fatal(err)
	}
	// A legitimate search still works.
	if st, body := h.do("GET", "/api/v1/payments?q="+url.QueryEscape(a.OrderNo), ""); st != 200 || !strings.Contains(string(body), a.ID) {
		t.Fatalf("search by order: %d %s", st, body)
	}
}

// noSecret fails when any secret is in what.
func noSecret(t *testing.T, where string, what []byte) {
	t.Helper()
	for _, s := range secSecrets {
		if bytes.Contains(what, []byte(s)) {
			t.Errorf("the secret %q appears in %s", s, where)
		}
	}
}

// TestSecurity_SecretsNeverShown runs `sbpd serve` with all three secrets
// in the template, takes a payment to paid with its notification
// delivered, provokes errors, then greps the log, the journal file (and
// its WAL), the events, the exports, the settings commands, doctor and the
// error messages for the secrets.
func TestSecurity_SecretsNeverShown(t *testing.T) {
	sb := sandbox.New(sandbox.Options{Token: secPMToken, MerchantID: "0b7c2f9e-3a51-4c1d-9e8a-5f2d6c7b8a90"})
	if _, err := sb.Start("127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sb.Close() })
	delivered := make(chan struct{}, 8)
	acct := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		noSecret(t, "a notification", body)
		for k, v := range r.Header {
			noSecret(t, "notification header "+k, []byte(strings.Join(v, " ")))
		}
		w.WriteHeader(http.StatusOK)
		select {
		case delivered <- struct{}{}:
		default:
		}
	}))
	defer acct.Close()
	path := writeConfig(t, sb, fmt.Sprintf("api:\n  token: %s\nnotify:\n  url: %s\n  secret: %s\n", secAPIToken, acct.URL, secNotifySec))
	dataDir := filepath.Join(filepath.Dir(path), "data")
	t.Setenv("SBPD_LOG_LEVEL", "debug") // the most the log ever says

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	addr, stderr, done := serveCLI(t, ctx, path)
	call := func(method, p, token, body string) (int, []byte) {
		req, _ := http.NewRequest(method, "http://"+addr+p, strings.NewReader(body))
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		if body != "" {
			req.Header.Set("Content-Type", "application/json")
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, b
	}
	var answers bytes.Buffer
	st, b := call("POST", "/api/v1/payments", secAPIToken, `{"check_id":"S-1","amount":25990}`)
	answers.Write(b)
	var p plugin.Payment
	if err := json.Unmarshal(b, &p); err != nil || st != 201 {
		t.Fatalf("%d %s", st, b)
	}
	sb.Pay(p.PayMasterID)
	waitFor(t, "paid", func() bool {
		_, b := call("GET", "/api/v1/payments/"+p.ID, secAPIToken, "")
		return strings.Contains(string(b), `"state":"paid"`)
	})
	select {
	case <-delivered:
	case <-time.After(10 * time.Second):
		t.Fatal("the notification was not delivered")
	}
	// Errors: wrong token, a token that is almost right, bad input, not found.
	for _, c := range [][3]string{
		{"GET", "/api/v1/payments", secAPIToken + "0"},
		{"GET", "/healthz", secPMToken},
		{"POST", "/api/v1/payments", secAPIToken},
		{"GET", "/api/v1/payments/nope", secAPIToken},
		{"GET", "/api/v1/payments?q=" + secPMToken, secAPIToken},
		{"GET", "/healthz", secAPIToken},
		{"GET", "/api/v1/payments/" + p.ID + "/events", secAPIToken},
	} {
		_, b := call(c[0], c[1], c[2], `{"check_id":"`+secNotifySec+`","amount":-1}`)
		if c[1] != "/api/v1/payments/"+p.ID+"/events" {
			answers.Write(b)
		}
	}
	noSecret(t, "the till API's answers", answers.Bytes())
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("serve: %v", err)
	}
	noSecret(t, "the log", []byte(stderr.String()))

	// The journal file, its WAL and the events.
	for _, f := range []string{"sbpd.db", "sbpd.db-wal"} {
		if b, err := os.ReadFile(filepath.Join(dataDir, f)); err == nil {
			noSecret(t, f, b)
		}
	}
	cli := func(args ...string) string {
		t.Helper()
		out, errOut, done := runCLI(context.Background(), append(args, "--config", path)...)
		err := <-done
		s := out.String() + errOut.String()
		if err != nil {
			s += err.Error()
		}
		noSecret(t, "sbpd "+strings.Join(args, " "), []byte(s))
		t.Logf("sbpd %s: err=%v\n%.200s", strings.Join(args, " "), err, s)
		return s
	}
	if show := cli("journal", "show", p.ID, "--json"); !strings.Contains(show, p.ID) {
		t.Fatalf("journal show: %s", show)
	}
	cli("journal", "list", "--json")
	if csv := cli("journal", "export", "--format", "csv"); !strings.Contains(csv, "S-1") {
		t.Fatalf("csv export: %.300s", csv)
	}
	xlsx := filepath.Join(t.TempDir(), "j.xlsx")
	cli("journal", "export", "--format", "xlsx", "-o", xlsx)
	zr, err := zip.OpenReader(xlsx)
	if err != nil {
		t.Fatalf("xlsx: %v", err)
	}
	for _, f := range zr.File {
		rc, _ := f.Open()
		b, _ := io.ReadAll(rc)
		rc.Close()
		noSecret(t, "xlsx part "+f.Name, b)
	}
	zr.Close()
	cli("settings", "list")
	cli("settings", "list", "--json")
	cli("settings", "get", "paymaster.token")
	cli("settings", "get", "api.token", "-v")
	cli("settings", "get", "notify.secret", "-v")
	cli("settings", "export")
	cli("doctor")
	cli("doctor", "--json")
	cli("journal", "stuck")
	cli("journal", "resync", p.ID)
	// A secret set as a till setting: never echoed, never exported.
	secretFile := filepath.Join(t.TempDir(), "notify.secret")
	if err := os.WriteFile(secretFile, []byte(secNotifySec+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cli("settings", "set", "notify.secret", "--from-file", secretFile)
	if exp := cli("settings", "export"); !strings.Contains(exp, config.SecretMarker) {
		t.Errorf("settings export does not stand the secret in with the marker:\n%s", exp)
	}
	cli("settings", "list")
	// An invalid value next to the secrets: the refusal lists problems.
	t.Setenv("SBPD_SBP_QR_MODE", "7")
	cli("serve")
	cli("settings", "list")
}

// TestSecurity_PayMasterTLSVerified: a PayMaster that presents a
// certificate nobody signed is refused with a TLS error, by the client and
// by doctor; the token is never sent to it.
func TestSecurity_PayMasterTLSVerified(t *testing.T) {
	var reached atomic.Int32
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		reached.Add(1)
		w.Write([]byte(`{}`))
	}))
	defer srv.Close()
	gw, err := paymaster.New(paymaster.Config{BaseURL: srv.URL, MerchantID: "0b7c2f9e-3a51-4c1d-9e8a-5f2d6c7b8a90",
		Token: secPMToken, Timeout: 2 * time.Second, RetryWaitMin: time.Millisecond, RetryWaitMax: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	_, err = gw.GetPayment(context.Background(), "12345")
	if err == nil || !strings.Contains(err.Error(), "certificate") {
		t.Fatalf("GetPayment over untrusted TLS: %v, want a certificate error", err)
	}
	noSecret(t, "the TLS error", []byte(err.Error()))
	if n := reached.Load(); n != 0 {
		t.Fatalf("the request reached the untrusted server %d times", n)
	}

	k := newDoctorKiosk(t, nil)
	k.baseURL = srv.URL
	k.makeJournal(t)
	out, r := k.doctorJSON(t)
	c := out.check(t, "PayMaster reachable")
	if c.Status != statusFail || !strings.Contains(c.Message+c.Fix, "certificate") {
		t.Fatalf("doctor: %s %q — %q\n%s", c.Status, c.Message, c.Fix, r.stdout)
	}
}

// TestSecurity_TemplateReadableByOthers: a template that holds a secret and
// is readable by others (0644) is warned about, naming the file and the
// fix, in config's warnings, in `sbpd serve`'s log and in `sbpd doctor`.
func TestSecurity_TemplateReadableByOthers(t *testing.T) {
	dir := t.TempDir()
	secret := filepath.Join(dir, "secret.yaml")
	os.WriteFile(secret, []byte("paymaster:\n  token: "+secPMToken+"\n"), 0o600)
	plain := filepath.Join(dir, "plain.yaml")
	os.WriteFile(plain, []byte("till:\n  id: K07\n"), 0o644)
	warned := func(path string) bool {
		cfg, _ := config.Load(path, true, nil)
		if cfg == nil {
			t.Fatalf("%s does not load", path)
		}
		for _, w := range cfg.Warnings() {
			noSecret(t, "a warning", []byte(w))
			if strings.Contains(w, path) && strings.Contains(w, "chmod 640 "+path) {
				return true
			}
		}
		return false
	}
	if warned(secret) {
		t.Error("0600 with a secret: warned")
	}
	if warned(plain) {
		t.Error("0644 without a secret: warned")
	}
	for _, mode := range []os.FileMode{0o644, 0o604, 0o602, 0o666} {
		os.Chmod(secret, mode)
		if !warned(secret) {
			t.Errorf("%04o with a secret: no warning", mode)
		}
	}
	os.Chmod(secret, 0o640)
	if warned(secret) {
		t.Error("0640: warned")
	}

	// sbpd serve logs it at start.
	sb := newSandbox(t)
	path := writeConfig(t, sb, "")
	os.Chmod(path, 0o644)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	_, stderr, done := runCLI(ctx, "serve", "--config", path)
	waitFor(t, "sbpd ready", func() bool { return listenRe.MatchString(stderr.String()) })
	cancel()
	<-done
	if log := stderr.String(); !strings.Contains(log, `"level":"WARN"`) || !strings.Contains(log, path) ||
		!strings.Contains(log, "chmod 640 "+path) {
		t.Fatalf("serve log has no warning about %s:\n%s", path, log)
	}

	// sbpd doctor says it under Settings, as a warning that does not fail.
	k := newDoctorKiosk(t, nil)
	k.healthy(t)
	kpath := k.write(t)
	os.Chmod(kpath, 0o644)
	out, r := k.doctorJSON(t)
	out.wantCheck(t, "Settings", statusWarn, kpath, "")
	if c := out.check(t, "Settings"); !strings.Contains(c.Message, "chmod 640 "+kpath) {
		t.Fatalf("doctor Settings: %q", c.Message)
	}
	if r.err != nil {
		t.Fatalf("a warning failed doctor: %v", r.err)
	}
}

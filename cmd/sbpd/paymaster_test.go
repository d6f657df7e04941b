package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sbpd/sbpd/drivers/paymaster/probe"
	"github.com/sbpd/sbpd/drivers/paymaster/sandbox"
	"github.com/sbpd/sbpd/plugin/plugintest"
)

// useProbeClock makes the probe's bounded 15-second waits take no real
// time (plugintest.AutoClock).
func useProbeClock(t *testing.T) *plugintest.AutoClock {
	t.Helper()
	c := plugintest.NewAutoClock()
	old := probeClock
	probeClock = c
	t.Cleanup(func() { probeClock = old })
	return c
}

type probeRunOut struct {
	stdout string
	err    error
}

// probe runs `sbpd paymaster probe --config PATH args…` on k and checks
// that no secret is in anything it printed.
func (k *doctorKiosk) probe(t *testing.T, args ...string) probeRunOut {
	t.Helper()
	path := k.write(t)
	stdout, stderr, done := runCLI(context.Background(), append([]string{"paymaster", "probe", "--config", path}, args...)...)
	var r probeRunOut
	select {
	case r.err = <-done:
	case <-time.After(60 * time.Second):
		t.Fatal("the probe did not finish in 60s")
	}
	r.stdout = stdout.String()
	all := r.stdout + stderr.String()
	if r.err != nil {
		all += r.err.Error()
	}
	for _, s := range append(doctorSecrets, k.token) {
		if s != "" && strings.Contains(all, s) {
			t.Errorf("the secret %q is in the output:\n%s", s, all)
		}
	}
	t.Logf("sbpd paymaster probe:\n%s%v", r.stdout, r.err)
	return r
}

// probeResults are the OK/DIFFERS/UNCHECKED lines of the output.
func probeResults(stdout string) []string {
	var out []string
	for _, l := range strings.Split(stdout, "\n") {
		if strings.HasPrefix(l, "OK  ") || strings.HasPrefix(l, "DIFFERS  ") || strings.HasPrefix(l, "UNCHECKED  ") {
			out = append(out, l)
		}
	}
	return out
}

// TestPayMasterProbe_ThenReconcile: reconciling the day of a probe, as the
// README asks on every new merchant account, finds no difference: the
// probe's cancelled test payment, which the journal never has, is counted
// as skipped, in the text and the JSON, and the exit status is 0.
func TestPayMasterProbe_ThenReconcile(t *testing.T) {
	useProbeClock(t)
	k := newDoctorKiosk(t, nil)
	k.makeJournal(t)
	if r := k.probe(t); r.err != nil {
		t.Fatalf("probe: %v", r.err)
	}
	if ps := k.sb.Payments(); len(ps) != 1 || !strings.HasPrefix(ps[0].OrderNo, "K07-PROBE-") {
		t.Fatalf("the sandbox has %+v, want the probe's one payment", ps)
	}
	from, to := time.Now().Add(-time.Hour).Format(time.RFC3339), time.Now().Add(time.Hour).Format(time.RFC3339)
	for flag, want := range map[string]string{"": "1 probe payment skipped (sbpd paymaster probe)\nno differences\n", "--json": `"probes_skipped": 1,`} {
		args := []string{"journal", "reconcile", "--from", from, "--to", to, "--config", k.write(t)}
		if flag != "" {
			args = append(args, flag)
		}
		out, err := runAct(t, doctorToken, args...)
		if err != nil || !strings.Contains(out, want) || strings.Contains(out, "missing_here") {
			t.Errorf("reconcile %s: %v, want exit 0 and %q:\n%s", flag, err, want, out)
		}
	}
}

// TestPayMasterProbe_Sandbox: `sbpd paymaster probe --out F` against the
// sandbox over real HTTP exits 0 with an OK line per assumption; F holds
// the create, the reads, the list and the cancel and no secret; exactly one
// test payment was made and it ends Cancelled, though the kiosk's
// paymaster.test_mode is off.
func TestPayMasterProbe_Sandbox(t *testing.T) {
	clock := useProbeClock(t)
	t.Setenv("SBPD_PAYMASTER_TEST_MODE", "false")
	k := newDoctorKiosk(t, nil)
	out := filepath.Join(t.TempDir(), "probe.jsonl")

	r := k.probe(t, "--out", out)
	if r.err != nil {
		t.Fatalf("exit error %v", r.err)
	}
	results := probeResults(r.stdout)
	if len(results) < len(probe.Assumptions())-1 {
		t.Errorf("%d result lines, want one per assumption (%d in the table)", len(results), len(probe.Assumptions()))
	}
	for _, l := range results {
		if !strings.HasPrefix(l, "OK  ") {
			t.Errorf("not OK: %s", l)
		}
	}
	for _, want := range []string{
		"paymaster.test_mode is off for the kiosk's payments; the probe's payment is a test payment all the same.",
		"OK  create (POST /api/v2/payments",
		"OK  the QR link (confirmation.paymentUrl, any absolute URL) appears within 15 s",
		"OK  list rows carry invoice.orderNo",
		"OK  cancel of an unpaid payment (PUT /api/v2/payments/{id}/cancel, no body) answers 200",
		"OK  after the cancel the payment ends Cancelled within 15 s",
		" (cancelled).\n",
		"exchanges written to " + out,
		"assumptions hold.\n",
	} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("the output lacks %q", want)
		}
	}
	if clock.Waited() != 0 {
		t.Errorf("waited %s on the sandbox", clock.Waited())
	}

	ps := k.sb.Payments()
	if len(ps) != 1 {
		t.Fatalf("%d payments at the sandbox, want 1", len(ps))
	}
	if p := ps[0]; !p.TestMode || p.Status != sandbox.StatusCancelled || p.Amount != 100 || !strings.HasPrefix(p.OrderNo, "K07-PROBE-") {
		t.Errorf("payment %+v", p)
	}

	fi, err := os.Stat(out)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("--out file mode %v", fi.Mode().Perm())
	}
	raw, _ := os.ReadFile(out)
	for _, s := range append(doctorSecrets, "Authorization", "Bearer", "Cookie") {
		if strings.Contains(string(raw), s) {
			t.Errorf("the --out file holds %q", s)
		}
	}
	f, _ := os.Open(out)
	defer f.Close()
	exs, err := probe.ReadTranscript(f)
	if err != nil {
		t.Fatal(err)
	}
	steps := map[string]int{}
	for _, e := range exs {
		steps[e.Step]++
	}
	if len(exs) < 4 || steps["create"] != 1 || steps["get"] < 1 || steps["list"] < 1 || steps["cancel"] != 1 {
		t.Errorf("%d exchanges: %v", len(exs), steps)
	}
	if !strings.Contains(string(raw), `"merchantId":"`+doctorMerchant+`"`) || !strings.Contains(string(raw), `"testMode":true`) {
		t.Errorf("the --out file lacks the merchant id or testMode:\n%s", raw)
	}
}

// TestPayMasterProbe_Differs: a PayMaster that answers otherwise gets
// DIFFERS for that assumption and exit status 1.
func TestPayMasterProbe_Differs(t *testing.T) {
	for _, c := range []struct {
		name   string
		setup  func(t *testing.T, k *doctorKiosk)
		want   string
		status string // the payment's status at the end; "" for no payment
	}{
		{"cancel refused", func(t *testing.T, k *doctorKiosk) { k.sb.SetCancelMode(sandbox.CancelReject) },
			"DIFFERS  cancel of an unpaid payment (PUT /api/v2/payments/{id}/cancel, no body) answers 200: HTTP 400 invalid_operation", sandbox.StatusConfirmation},
		{"list rows without orderNo", func(t *testing.T, k *doctorKiosk) { k.sb.SetDialect(sandbox.Dialect{ListRowsWithoutOrderNo: true}) },
			"DIFFERS  list rows carry invoice.orderNo (how the driver finds a create whose answer was lost): the row has no invoice.orderNo", sandbox.StatusCancelled},
		{"list rows without the invoice", func(t *testing.T, k *doctorKiosk) { k.sb.SetDialect(sandbox.Dialect{ListRowsWithoutInvoice: true}) },
			"DIFFERS  list rows carry invoice.orderNo", sandbox.StatusCancelled},
		{"unknown merchant", func(t *testing.T, k *doctorKiosk) {
			// A PayMaster that knows another merchant id.
			sb := sandbox.New(sandbox.Options{Token: doctorToken, MerchantID: "11111111-1111-1111-1111-111111111111"})
			if _, err := sb.Start("127.0.0.1:0"); err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { sb.Close() })
			k.sb, k.baseURL = sb, sb.URL()
		}, "DIFFERS  the token is accepted as \"Authorization: Bearer <token>\" with merchantId (the list answers 200 with items): HTTP 400 validation_error", ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			useProbeClock(t)
			k := newDoctorKiosk(t, nil)
			c.setup(t, k)
			r := k.probe(t)
			if r.err == nil || !strings.Contains(r.err.Error(), "not OK") {
				t.Errorf("exit error %v, want the probe to fail", r.err)
			}
			if !strings.Contains(r.stdout, c.want) {
				t.Errorf("the output lacks %q", c.want)
			}
			ps := k.sb.Payments()
			switch {
			case c.status == "" && len(ps) != 0:
				t.Errorf("payments %+v", ps)
			case c.status != "" && (len(ps) != 1 || ps[0].Status != c.status || !ps[0].TestMode):
				t.Errorf("payments %+v, want one test payment %s", ps, c.status)
			}
			if c.status == sandbox.StatusConfirmation && !strings.Contains(r.stdout, "NOT cancelled") {
				t.Error("the output does not say the payment is not cancelled")
			}
		})
	}
}

// TestPayMasterProbe_Settings: without a token, or with an --out file it
// cannot write, the probe sends nothing.
func TestPayMasterProbe_Settings(t *testing.T) {
	k := newDoctorKiosk(t, nil)
	k.token = ""
	r := k.probe(t)
	if r.err == nil || !strings.Contains(r.err.Error(), "paymaster.token") || !strings.Contains(r.err.Error(), "nothing was sent") {
		t.Errorf("exit error %v", r.err)
	}
	k.token = doctorToken
	r = k.probe(t, "--out", filepath.Join(t.TempDir(), "no", "such", "dir", "f.jsonl"))
	if r.err == nil || !strings.Contains(r.err.Error(), "--out") {
		t.Errorf("exit error %v", r.err)
	}
	if n := len(k.sb.Requests()); n != 0 {
		t.Errorf("%d requests reached PayMaster", n)
	}
}

package paymaster_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/sbpd/sbpd/drivers/paymaster"
	"github.com/sbpd/sbpd/drivers/paymaster/sandbox"
)

// TestGateway_TokenNeverLeaks drives the gateway through every failure the
// sandbox can produce and checks that the token appears in no returned
// error and no log line, of the driver or of the sandbox.
func TestGateway_TokenNeverLeaks(t *testing.T) {
	e := newEnv(t, sandbox.Options{Stickers: []string{"st"}}, nil)
	// Timeouts are tried with a gateway that gives up after 30ms.
	impatient := mustGateway(t, func() paymaster.Config { c := e.cfg; c.Timeout, c.RetryMax = 30*time.Millisecond, 1; return c }())
	wrongToken := "wrong-SECRET-0a1b2c3d"
	wrong := mustGateway(t, func() paymaster.Config { c := e.cfg; c.Token = wrongToken; return c }())

	var errs []string
	keep := func(err error) {
		if err != nil {
			errs = append(errs, err.Error())
		}
	}
	r, err := e.gw.CreatePayment(ctx, request("Z-1"))
	if err != nil {
		t.Fatal(err)
	}
	faults := []sandbox.Fault{
		{Status: 500}, {Status: 503, RetryAfter: "1"}, {Status: 429}, {Drop: true}, {Malformed: true},
		{Latency: 100 * time.Millisecond}, {AfterHandling: true, Drop: true}, {AfterHandling: true, Malformed: true},
		{AfterHandling: true, Status: 502},
	}
	for i, f := range faults {
		e.sb.ClearFaults()
		e.sb.AddFault(f)
		gw := e.gw
		if f.Latency > 0 {
			gw = impatient
		}
		req := request("Z-f" + string(rune('a'+i)))
		_, err := gw.CreatePayment(ctx, req)
		keep(err)
		_, err = gw.GetPayment(ctx, r.ID)
		keep(err)
		keep(gw.CancelPayment(ctx, r.ID))
		_, _, err = gw.FindPayment(ctx, "Z-1", time.Now())
		keep(err)
	}
	e.sb.ClearFaults()

	bad := request("Z-2")
	bad.StickerID = "nope"
	_, err = e.gw.CreatePayment(ctx, bad)
	keep(err)
	_, err = e.gw.CreatePayment(ctx, request("Z-1")) // key reused
	keep(err)
	reused := request("Z-3")
	reused.IdempotencyKey = "key-Z-1"
	_, err = e.gw.CreatePayment(ctx, reused)
	keep(err)
	_, err = e.gw.GetPayment(ctx, "404404")
	keep(err)
	keep(e.gw.CancelPayment(ctx, r.ID))
	keep(e.gw.CancelPayment(ctx, r.ID))
	e.sb.SetStatus(r.ID, "Weird")
	_, err = e.gw.GetPayment(ctx, r.ID)
	keep(err)

	_, err = wrong.CreatePayment(ctx, request("Z-4"))
	keep(err)
	_, err = wrong.GetPayment(ctx, r.ID)
	keep(err)
	keep(wrong.CancelPayment(ctx, r.ID))
	_, err = wrong.List(ctx, time.Now().Add(-time.Hour), time.Now())
	keep(err)

	cctx, cancel := context.WithCancel(ctx)
	cancel()
	_, err = e.gw.CreatePayment(cctx, request("Z-5"))
	keep(err)

	e.sb.Close()
	_, err = e.gw.CreatePayment(ctx, request("Z-6"))
	keep(err)
	_, err = e.gw.GetPayment(ctx, r.ID)
	keep(err)

	if len(errs) < 30 {
		t.Fatalf("only %d errors collected; the scenarios did not fail as planned", len(errs))
	}
	logs := e.logs.String() + e.sbLogs.String()
	if !strings.Contains(logs, "retrying") || !strings.Contains(logs, "not_authorized") && !strings.Contains(logs, "status=401") {
		t.Errorf("the logs do not cover the failures:\n%s", logs)
	}
	if testing.Verbose() {
		t.Logf("errors:\n%s\nlogs:\n%s", strings.Join(errs, "\n"), logs)
	}
	for _, secret := range []string{testToken, wrongToken} {
		for _, msg := range errs {
			if strings.Contains(msg, secret) {
				t.Errorf("token in error: %s", msg)
			}
		}
		if strings.Contains(logs, secret) {
			t.Errorf("token in the logs:\n%s", logs)
		}
	}
}

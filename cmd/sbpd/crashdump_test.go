package main

import (
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/sbpd/sbpd/plugin"
)

// TestSecurity_CrashDumpHasNoSecrets: what the Go runtime prints when sbpd
// crashes (every goroutine's stack, as after an unrecovered panic; here
// forced with SIGQUIT and GOTRACEBACK=all while a payment is in progress
// and a notification is being retried) holds no secret: stack traces show
// a string argument as a pointer and a length, never its bytes.
func TestSecurity_CrashDumpHasNoSecrets(t *testing.T) {
	sbpdBinary(t)
	const notifySecret = "whsec-crash-" + "8c1f5e0a2b7d4c93"
	r := newCrashRig(t, "notify:\n  url: http://127.0.0.1:1/hook\n  secret: "+notifySecret+"\n")
	r.env = append(r.env, "GOTRACEBACK=all", "SBPD_LOG_LEVEL=debug")
	r.start()
	p := <-r.startPayment("DUMP-1", 25990)
	if p.ID == "" {
		t.Fatalf("payment not started:\n%s", r.proc.stderr.String())
	}
	r.sb.Decline(p.PayMasterID, "InsufficientFunds") // final: a delivery to a dead receiver is retried
	r.waitFinal(p.ID)
	second := <-r.startPayment("DUMP-2", 100) // in progress at the crash
	if second.State != plugin.StateAwaitingPayment {
		t.Fatalf("second payment %s", second.State)
	}
	r.poll("a failed delivery", func() bool { return strings.Contains(r.proc.stderr.String(), "notify: delivery failed") })

	r.proc.cmd.Process.Signal(syscall.SIGQUIT)
	select {
	case <-r.proc.done:
	case <-time.After(20 * time.Second):
		t.Fatal("sbpd did not exit on SIGQUIT")
	}
	out := r.proc.stderr.String()
	if !strings.Contains(out, "SIGQUIT") || strings.Count(out, "goroutine ") < 5 {
		t.Fatalf("no goroutine dump in the crash output:\n%s", out)
	}
	for name, secret := range map[string]string{"the PayMaster token": r.sb.Token(), "notify.secret": notifySecret} {
		if strings.Contains(out, secret) {
			t.Errorf("%s is in the crash output", name)
		}
	}
}

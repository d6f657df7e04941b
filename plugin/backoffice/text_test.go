package backoffice_test

import (
	"strings"
	"testing"
	"time"

	"github.com/sbpd/sbpd/plugin"
	"github.com/sbpd/sbpd/plugin/backoffice"
)

// TestTextViews: the list and show views print what came from outside
// escaped, the till from the order number, and what became of the
// notification.
func TestTextViews(t *testing.T) {
	at := time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)
	p := &plugin.Payment{ID: "P1", CheckID: "A-1", OrderNo: "K07-A-1-1", Amount: 25990, Mode: plugin.ModeScreen,
		State: plugin.StatePaid, StateCode: 5, ResultCode: "\x1b]0;pwned\x07", CreatedAt: at, UpdatedAt: at}
	var list strings.Builder
	if err := backoffice.WriteTable(&list, []*plugin.Payment{p}, time.UTC); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(list.String(), "K07-A-1-1") || !strings.Contains(list.String(), "259,90") {
		t.Errorf("list:\n%s", list.String())
	}
	sh := backoffice.Shown{Payment: p, Notification: backoffice.Notice{PaymentID: "P1", State: plugin.StatePaid,
		Deliveries: []backoffice.Delivery{{ID: "P1:paid", State: plugin.StatePaid, Status: "exhausted", Attempts: 50, LastError: "HTTP 500"}}},
		Events: []plugin.Event{{Kind: "created", State: plugin.StateCreating, At: at, Actor: "till"}}}
	var show strings.Builder
	if err := backoffice.WriteShow(&show, sh, time.UTC); err != nil {
		t.Fatal(err)
	}
	out := show.String()
	for _, want := range []string{"till:", "K07", `\x1b]0;pwned\x07`, "NOT DELIVERED after 50 attempts", "sbpd journal resync P1", "events (1):"} {
		if !strings.Contains(out, want) {
			t.Errorf("show lacks %q:\n%s", want, out)
		}
	}
	if strings.ContainsAny(out, "\x1b\x07") {
		t.Errorf("show holds a raw control character")
	}
}

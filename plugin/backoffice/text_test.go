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

// TestWriteList: the list's page and, on the other writer, what follows
// it: the next page as --page and --offset, only --offset when the page
// does not start on a page boundary, and a narrower period when the next
// page would start past plugin.MaxOffset, where --page and --offset are
// refused.
func TestWriteList(t *testing.T) {
	p := &plugin.Payment{ID: "P1", CheckID: "A-1", Amount: 100, State: plugin.StatePaid}
	for _, tc := range []struct {
		ps            []*plugin.Payment
		more          bool
		offset, limit int
		note          string
	}{
		{nil, false, 0, 50, "no payments match\n"},
		{[]*plugin.Payment{p}, false, 0, 50, ""},
		{[]*plugin.Payment{p, p}, true, 0, 2, "payments 1-2 shown; more with --page 2 (or --offset 2)\n"},
		{[]*plugin.Payment{p, p}, true, 5, 2, "payments 6-7 shown; more with --offset 7\n"},
		{[]*plugin.Payment{p, p}, true, 9998, 2, "payments 9999-10000 shown; more with --page 5001 (or --offset 10000)\n"},
		{[]*plugin.Payment{p, p}, true, 10000, 2, "payments 10001-10002 shown; more match, deeper than --page and --offset reach (an offset of 10000 at most): narrow the period with --from/--to\n"},
		{[]*plugin.Payment{p, p}, true, 9999, 2, "payments 10000-10001 shown; more match, deeper than --page and --offset reach (an offset of 10000 at most): narrow the period with --from/--to\n"},
	} {
		var out, note strings.Builder
		f := plugin.Filter{Offset: tc.offset, Limit: tc.limit}
		if err := backoffice.WriteList(&out, &note, tc.ps, tc.more, f, time.UTC); err != nil {
			t.Fatal(err)
		}
		if note.String() != tc.note || (len(tc.ps) > 0) != strings.Contains(out.String(), "A-1") {
			t.Errorf("offset %d limit %d more %v: note %q, want %q\n%s", tc.offset, tc.limit, tc.more, note.String(), tc.note, out.String())
		}
	}
}

package backoffice_test

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/sbpd/sbpd/plugin"
	"github.com/sbpd/sbpd/plugin/backoffice"
)

func TestText_JSONEscapesControls(t *testing.T) {
	var b strings.Builder
	if err := backoffice.WriteJSON(&b, map[string]string{"check_id": "A<1>\x1b[2J\u202e"}); err != nil {
		t.Fatal(err)
	}
	if strings.ContainsAny(b.String(), "\x1b\u202e") || !strings.Contains(b.String(), "A<1>") || !strings.HasPrefix(b.String(), "{\n  ") {
		t.Fatalf("%q", b.String())
	}
	var back map[string]string
	if err := json.Unmarshal([]byte(b.String()), &back); err != nil || back["check_id"] != "A<1>\x1b[2J\u202e" {
		t.Fatalf("not the same JSON: %q %v", back, err)
	}
}

func TestText_Marked(t *testing.T) {
	p := &plugin.Payment{ID: "P1", CheckID: "A-1", OrderNo: "K07-A-1-1", Amount: 25990}
	cases := map[string]struct {
		m    backoffice.Mark
		got  backoffice.Marked
		want string
	}{
		"paid": {backoffice.Mark{Paid: true, Who: "ivan"}, backoffice.Marked{Payment: p, Said: "Settled 259,90 ₽"},
			"payment P1 (check A-1, order K07-A-1-1, 259,90 ₽) marked paid by ivan\n  Settled 259,90 ₽\n"},
		"not paid forced": {backoffice.Mark{Who: "ivan\x1b"}, backoffice.Marked{Payment: p, Said: "no answer", Forced: "PayMaster could not be asked"},
			"payment P1 (check A-1, order K07-A-1-1, 259,90 ₽) marked not paid by ivan\\x1b\n  no answer\n  forced: PayMaster could not be asked\n"},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			var b strings.Builder
			backoffice.WriteMarked(&b, c.m, c.got)
			if b.String() != c.want {
				t.Fatalf("got\n%q\nwant\n%q", b.String(), c.want)
			}
		})
	}
}

func TestText_Report(t *testing.T) {
	from := time.Date(2025, 3, 14, 0, 0, 0, 0, time.FixedZone("MSK", 3*3600))
	amt := func(n int64) *int64 { return &n }
	diffs := []backoffice.Diff{
		{Kind: "paid_at_paymaster", PaymentID: "P1", OrderNo: "K07-1-1", State: "needs_attention", Amount: amt(100),
			PayMasterStatus: "Settled", PayMasterAmount: amt(100), Detail: "settled there", Safe: plugin.StatePaid},
		{Kind: "missing_here", OrderNo: "K07-2-1\x1b", PayMasterStatus: "Settled", PayMasterAmount: amt(5000), Detail: "no row"},
	}
	cases := map[string]struct {
		rep     backoffice.Report
		applied bool
		want    []string
		not     []string
	}{
		"none": {rep: backoffice.Report{From: from, To: from.Add(24 * time.Hour), Journal: 3, PayMaster: 3, OK: true},
			want: []string{"period 2025-03-14 00:00:00 +03:00 – 2025-03-15 00:00:00 +03:00: 3 in the journal, 3 at PayMaster\nno differences\n"}},
		"counts": {rep: backoffice.Report{From: from, To: from, Active: 1, OtherTills: 2, Probes: 1},
			want: []string{", 1 still active (skipped), 2 of other tills ignored, 1 probe payment skipped (sbpd paymaster probe)\n"}},
		"probes": {rep: backoffice.Report{From: from, To: from, Probes: 3, OK: true},
			want: []string{"0 at PayMaster, 3 probe payments skipped (sbpd paymaster probe)\nno differences\n"}},
		"not applied": {rep: backoffice.Report{From: from, To: from, Differences: diffs, Remaining: 2},
			want: []string{"KIND", "settled there; --apply makes it paid", "needs_attention 1,00 ₽", `K07-2-1\x1b`, "missing_here       -", "2 differences, 0 resolved, 2 remain\n"},
			not:  []string{"\x1b"}},
		"applied": {rep: backoffice.Report{From: from, To: from, Differences: []backoffice.Diff{{Kind: "paid_at_paymaster", PaymentID: "P1", Detail: "d", Safe: plugin.StatePaid, Resolved: "paid"}}, Resolved: 1},
			applied: true, want: []string{"d; resolved: now paid", "1 difference, 1 resolved, 0 remain"}, not: []string{"--apply"}},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			var b strings.Builder
			if err := backoffice.WriteReport(&b, c.rep, c.applied); err != nil {
				t.Fatal(err)
			}
			for _, w := range c.want {
				if !strings.Contains(b.String(), w) {
					t.Errorf("lacks %q:\n%s", w, b.String())
				}
			}
			for _, w := range c.not {
				if strings.Contains(b.String(), w) {
					t.Errorf("has %q:\n%s", w, b.String())
				}
			}
		})
	}
}

func TestText_Stuck(t *testing.T) {
	var none strings.Builder
	if err := backoffice.WriteStuck(&none, nil, time.UTC); err != nil || !strings.HasPrefix(none.String(), "no stuck payments") {
		t.Fatalf("%q %v", none.String(), err)
	}
	at := time.Date(2025, 3, 14, 7, 0, 0, 0, time.UTC)
	stuck := []backoffice.Stuck{{Payment: plugin.Payment{ID: "P1", CheckID: "A\x1b", OrderNo: "K07-A-1", Amount: 25990, UpdatedAt: at},
		Delivery: backoffice.Delivery{Attempts: 50, LastError: "HTTP 500:\n" + strings.Repeat("x", 300)}}}
	var b strings.Builder
	if err := backoffice.WriteStuck(&b, stuck, time.FixedZone("MSK", 3*3600)); err != nil {
		t.Fatal(err)
	}
	for _, w := range []string{"ID  ", `A\x1b`, "259,90", "2025-03-14 10:00:00", "50", "HTTP 500: xxx", "…\n", "1 paid payment(s) not notified"} {
		if !strings.Contains(b.String(), w) {
			t.Errorf("lacks %q:\n%s", w, b.String())
		}
	}
	if strings.Contains(b.String(), "\x1b") || strings.Contains(b.String(), strings.Repeat("x", 160)) {
		t.Errorf("raw escape or uncut error:\n%s", b.String())
	}
}

func TestText_OneLine(t *testing.T) {
	cases := []struct {
		in   string
		n    int
		want string
	}{{"a\n b\t c", 10, "a b c"}, {"абвгд", 4, "абв…"}, {"abcd", 4, "abcd"}, {"", 3, ""}}
	for _, c := range cases {
		if got := backoffice.OneLine(c.in, c.n); got != c.want {
			t.Errorf("OneLine(%q, %d) = %q, want %q", c.in, c.n, got, c.want)
		}
	}
}

// TestText_Resynced: queued again, and when it goes: within seconds, or
// once notify.url is set, never a promise without it.
func TestText_Resynced(t *testing.T) {
	d := backoffice.Delivery{ID: "P1:paid", PaymentID: "P1", State: plugin.StatePaid}
	for _, tc := range []struct {
		noNotify bool
		want     string
	}{
		{false, "payment P1 (paid): notification P1:paid queued again; sbpd serve sends it to notify.url within a few seconds\n"},
		{true, "payment P1 (paid): notification P1:paid queued again; notify.url is not set, so it waits: sbpd serve sends it once notify.url is set\n"},
	} {
		var b strings.Builder
		backoffice.WriteResynced(&b, d, tc.noNotify)
		if b.String() != tc.want {
			t.Errorf("noNotify %v: %q, want %q", tc.noNotify, b.String(), tc.want)
		}
	}
}

package plugin

import "testing"

func TestOrderNo_RoundTrip(t *testing.T) {
	for _, tc := range []struct {
		till, check string
		n           int
		want        string
	}{
		{"K07", "100234", 1, "K07-100234-1"},
		{"KIOSK-2", "A-1", 12, "KIOSK-2-A-1-12"},
		{"K07", "a/b.c_d", 3, "K07-a/b.c_d-3"},
	} {
		got := OrderNo(tc.till, tc.check, tc.n)
		if got != tc.want {
			t.Errorf("OrderNo(%s, %s, %d) = %q, want %q", tc.till, tc.check, tc.n, got, tc.want)
		}
		till, n, ok := ParseOrderNo(got, tc.check)
		if !ok || till != tc.till || n != tc.n {
			t.Errorf("ParseOrderNo(%q, %q) = %q, %d, %t", got, tc.check, till, n, ok)
		}
		if !OrderOfTill(got, tc.till) {
			t.Errorf("OrderOfTill(%q, %q) = false", got, tc.till)
		}
	}
}

func TestParseOrderNo_NotOurs(t *testing.T) {
	for _, tc := range []struct{ check, order string }{
		{"100234", "100234-1"},     // no till
		{"100234", "K07-999-1"},    // another check
		{"100234", "K07-100234-x"}, // no number
		{"100234", "K07-100234-"},  // empty number
		{"100234", "K07-100234"},   // no number at all
		{"100234", ""},
		{"100234", "K07-100234-99999999999999999999"}, // overflows
	} {
		if till, n, ok := ParseOrderNo(tc.order, tc.check); ok {
			t.Errorf("ParseOrderNo(%q, %q) = %q, %d, true; want not ours", tc.order, tc.check, till, n)
		}
	}
	if OrderOfTill("K07-1-1", "") || OrderOfTill("K071-1-1", "K07") {
		t.Error("OrderOfTill matched another till")
	}
}

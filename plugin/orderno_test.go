package plugin

import (
	"strconv"
	"testing"
	"time"
)

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

func TestProbeOrderNo_RoundTrip(t *testing.T) {
	at := time.Date(2026, 12, 6, 10, 21, 39, 0, time.UTC)
	for _, till := range []string{"K07", "KIOSK-2", "A/B.c_d"} {
		got := ProbeOrderNo(till, at.Add(400*time.Millisecond))
		if want := till + "-PROBE-1796552499"; got != want {
			t.Errorf("ProbeOrderNo(%s) = %q, want %q", till, got, want)
		}
		tl, when, ok := ParseProbeOrderNo(got)
		if !ok || tl != till || !when.Equal(at) {
			t.Errorf("ParseProbeOrderNo(%q) = %q, %s, %t", got, tl, when, ok)
		}
		if !ProbeOrderOf(got, till, at.Add(3*time.Second)) || !ProbeOrderOf(got, "", at) {
			t.Errorf("ProbeOrderOf(%q, %q) = false", got, till)
		}
	}
}

// Only the probe's own order numbers are the probe's: a till's check
// named PROBE, another till's probe, a number that is not a time near
// PayMaster's creation are not.
func TestProbeOrderOf_NotAProbe(t *testing.T) {
	at := time.Unix(1796552499, 0)
	for _, tc := range []struct{ order, till string }{
		{OrderNo("K07", "PROBE", 1), "K07"},                      // a till's check PROBE, its first attempt
		{OrderNo("K07", "PROBE", 12), "K07"},                     // and its twelfth
		{OrderNo("K07", "PROBE-1796552499", 1), "K07"},           // a check whose id looks like a probe's
		{"K99-PROBE-1796552499", "K07"},                          // another till's probe
		{"K07-PROBE-1796552499", "K0"},                           // a till whose id is a prefix
		{"K07-PROBE-" + strconv.Itoa(1796552499+25*3600), "K07"}, // more than a day from PayMaster's creation
		{"K07-PROBE-+1796552499", "K07"},
		{"K07-PROBE- 1796552499", "K07"},
		{"K07-PROBE-1796552499x", "K07"},
		{"K07-PROBE-99999999999999999999", "K07"},
		{"K07-PROBE-0", "K07"},
		{"-PROBE-1796552499", ""},
		{"PROBE-1796552499", ""},
		{"", ""},
	} {
		if ProbeOrderOf(tc.order, tc.till, at) {
			t.Errorf("ProbeOrderOf(%q, %q) = true; want not a probe's", tc.order, tc.till)
		}
	}
	if _, _, ok := ParseProbeOrderNo("K07-PROBE-1796552499-1"); ok {
		t.Error("ParseProbeOrderNo took a trailing attempt number as part of the time")
	}
}

// PayMaster's list brings any order number: ParseProbeOrderNo never
// panics, and what it takes ProbeOrderNo builds again byte for byte.
func FuzzParseProbeOrderNo(f *testing.F) {
	for _, s := range []string{"K07-PROBE-1796552499", "K07-PROBE-1", "-PROBE-1", "K07-PROBE-", "K07-PROBE-01", "K07-PROBE-1-PROBE-2",
		"K07-PROBE-99999999999999999999", "", "K07-100234-1"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		till, at, ok := ParseProbeOrderNo(s)
		if !ok {
			return
		}
		if till == "" || at.Unix() <= 0 {
			t.Fatalf("ParseProbeOrderNo(%q) = %q, %s: took an empty till or no time", s, till, at)
		}
		if again := ProbeOrderNo(till, at); again != s {
			t.Fatalf("ParseProbeOrderNo(%q) = %q, %s; ProbeOrderNo builds %q", s, till, at, again)
		}
	})
}

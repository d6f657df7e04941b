package plugin

import (
	"errors"
	"net/url"
	"strings"
	"testing"
	"time"
)

var mskZone = time.FixedZone("MSK", 3*60*60)

func TestParseTime(t *testing.T) {
	for _, tc := range []struct {
		in   string
		end  bool
		want time.Time
	}{
		{"2025-03-14", false, time.Date(2025, 3, 14, 0, 0, 0, 0, mskZone)},
		{"2025-03-14", true, time.Date(2025, 3, 15, 0, 0, 0, 0, mskZone)},
		{"2025-12-31", true, time.Date(2026, 1, 1, 0, 0, 0, 0, mskZone)},
		{" 2025-03-14 ", false, time.Date(2025, 3, 14, 0, 0, 0, 0, mskZone)},
		{"2025-03-14 10:00", false, time.Date(2025, 3, 14, 10, 0, 0, 0, mskZone)},
		{"2025-03-14 10:00", true, time.Date(2025, 3, 14, 10, 0, 0, 0, mskZone)},
		{"2025-03-14 10:00:30", false, time.Date(2025, 3, 14, 10, 0, 30, 0, mskZone)},
		{"2025-03-14T10:00", false, time.Date(2025, 3, 14, 10, 0, 0, 0, mskZone)},
		{"2025-03-14T10:00:30", true, time.Date(2025, 3, 14, 10, 0, 30, 0, mskZone)},
		{"2025-03-14T10:00:00+03:00", false, time.Date(2025, 3, 14, 7, 0, 0, 0, time.UTC)},
		{"2025-03-14T10:00:00Z", true, time.Date(2025, 3, 14, 10, 0, 0, 0, time.UTC)},
		{"2025-03-14T10:00:00.5Z", false, time.Date(2025, 3, 14, 10, 0, 0, 5e8, time.UTC)},
		{"2025-03-14T10:00:00 03:00", false, time.Date(2025, 3, 14, 7, 0, 0, 0, time.UTC)}, // + unescaped in a URL
		{"0001-01-02", false, time.Date(1, 1, 2, 0, 0, 0, 0, mskZone)},
		{"0001-01-01", true, time.Date(1, 1, 2, 0, 0, 0, 0, mskZone)}, // as an end: after the zero instant
	} {
		got, err := ParseTime(tc.in, mskZone, tc.end)
		if err != nil || !got.Equal(tc.want) {
			t.Errorf("ParseTime(%q, end %t) = %v, %v; want %v", tc.in, tc.end, got, err, tc.want)
		}
	}
	for _, in := range []string{"", " ", "14.03.2025", "yesterday", "2025-13-01", "2025-02-30", "2025-03-14 25:00",
		"2025-03-14 10", "2025-03-14T10:00:00+3", "0000-12-31", "0001-01-01T00:00:00Z", "2025-03-14 10:00 MSK"} {
		for _, end := range []bool{false, true} {
			_, err := ParseTime(in, mskZone, end)
			if err == nil || err.Error() != "not a time: use "+TimeFormats {
				t.Errorf("ParseTime(%q, end %t) = %v, want the one error listing the formats", in, end, err)
			}
		}
	}
}

func TestParsePeriod(t *testing.T) {
	f, to, err := ParsePeriod("2025-03-14", "2025-03-14", mskZone)
	if err != nil || !f.Equal(time.Date(2025, 3, 14, 0, 0, 0, 0, mskZone)) || !to.Equal(time.Date(2025, 3, 15, 0, 0, 0, 0, mskZone)) {
		t.Errorf("one day = %v, %v, %v", f, to, err)
	}
	if f, to, err := ParsePeriod("", "", mskZone); err != nil || !f.IsZero() || !to.IsZero() {
		t.Errorf("open period = %v, %v, %v", f, to, err)
	}
	for _, tc := range []struct{ from, to, want string }{
		{"x", "", `from "x": not a time: use a date 2025-03-14`},
		{"", "x", `to "x": not a time`},
		{"2025-03-16", "2025-03-15", `from "2025-03-16" is not before to "2025-03-15": the period from 2025-03-16T00:00:00+03:00 to 2025-03-16T00:00:00+03:00 is empty`},
		{"2025-03-14 10:00", "2025-03-14 10:00", "is empty"},
	} {
		_, _, err := ParsePeriod(tc.from, tc.to, mskZone)
		var fe *FilterError
		if !errors.As(err, &fe) || fe.Code() != "invalid_query" || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("ParsePeriod(%q, %q) = %v, want a FilterError with %q", tc.from, tc.to, err, tc.want)
		}
	}
}

// TestParseBoundedPeriod: a reconciliation's period, both bounds
// required; its order is left to the caller's own check.
func TestParseBoundedPeriod(t *testing.T) {
	f, to, err := ParseBoundedPeriod(" 2025-03-14", "2025-03-14", mskZone)
	if err != nil || !f.Equal(time.Date(2025, 3, 14, 0, 0, 0, 0, mskZone)) || !to.Equal(time.Date(2025, 3, 15, 0, 0, 0, 0, mskZone)) {
		t.Errorf("one day = %v, %v, %v", f, to, err)
	}
	if f, to, err := ParseBoundedPeriod("2025-03-16", "2025-03-14", mskZone); err != nil || !to.Before(f) {
		t.Errorf("reversed = %v, %v, %v; want both read", f, to, err)
	}
	for _, tc := range []struct{ from, to, want string }{
		{"", "2025-03-14", `--from "": required, e.g. 2025-03-14`},
		{"2025-03-14", " ", `--to " ": required, e.g. 2025-03-14`},
		{"yesterday", "2025-03-14", `--from "yesterday": not a time: use a date 2025-03-14`},
		{"2025-03-14", "x", `--to "x": not a time`},
	} {
		_, _, err := ParseBoundedPeriod(tc.from, tc.to, mskZone)
		var fe *FilterError
		if !errors.As(err, &fe) || fe.Code() != "invalid_query" || !strings.Contains(fe.Named(func(p string) string { return "--" + p }), tc.want) {
			t.Errorf("ParseBoundedPeriod(%q, %q) = %v, want a FilterError with %q", tc.from, tc.to, err, tc.want)
		}
	}
}

func TestParseFilter(t *testing.T) {
	mode, yes := ModeSticker, true
	for _, tc := range []struct {
		q    string
		want Filter
	}{
		{"", Filter{Limit: DefaultLimit}},
		{"state=paid&check_id=+000153+&q=+259,90+&mode=2&mixed=true&limit=20&offset=40",
			Filter{State: StatePaid, CheckID: "000153", Query: "259,90", Mode: &mode, Mixed: &yes, Limit: 20, Offset: 40}},
		{"from=2025-03-14+10:00&to=2025-03-14", Filter{From: time.Date(2025, 3, 14, 10, 0, 0, 0, mskZone),
			To: time.Date(2025, 3, 15, 0, 0, 0, 0, mskZone), Limit: DefaultLimit}},
		{"limit=1000&offset=0", Filter{Limit: MaxLimit}},
	} {
		q, _ := url.ParseQuery(tc.q)
		got, err := ParseFilter(q, mskZone)
		if err != nil {
			t.Errorf("%s: %v", tc.q, err)
			continue
		}
		if !got.From.Equal(tc.want.From) || !got.To.Equal(tc.want.To) || got.State != tc.want.State || got.CheckID != tc.want.CheckID ||
			got.Query != tc.want.Query || got.Limit != tc.want.Limit || got.Offset != tc.want.Offset ||
			(got.Mode == nil) != (tc.want.Mode == nil) || got.Mode != nil && *got.Mode != *tc.want.Mode ||
			(got.Mixed == nil) != (tc.want.Mixed == nil) || got.Mixed != nil && *got.Mixed != *tc.want.Mixed {
			t.Errorf("%s: %+v, want %+v", tc.q, got, tc.want)
		}
	}
}

func TestParseFilter_Errors(t *testing.T) {
	for _, tc := range []struct{ q, want string }{
		{"state=done", `state "done": not a state: use one of creating, awaiting_payment, status_unknown, canceling, paid, not_paid, needs_attention`},
		{"state=PAID", `state "PAID": not a state`},
		{"check_id=" + strings.Repeat("1", 65), ": use at most 64 characters"},
		{"q=" + strings.Repeat("1", 257), ": use at most 256 characters"},
		{"from=yesterday", `from "yesterday": not a time: use ` + TimeFormats},
		{"to=01.05.2024", `to "01.05.2024": not a time`},
		{"from=2025-03-16&to=2025-03-15", `from "2025-03-16" is not before to "2025-03-15"`},
		{"mode=3", `mode "3": not a mode: use 0 (print), 1 (screen) or 2 (sticker)`},
		{"mode=x", `mode "x": not a mode`},
		{"mixed=maybe", `mixed "maybe": use true or false`},
		{"limit=0", `limit "0": use a whole number from 1 to 1000`},
		{"limit=1001", `limit "1001": use a whole number from 1 to 1000`},
		{"limit=ten", `limit "ten"`},
		{"offset=-1", `offset "-1": use a whole number from 0 to 10000`},
		{"offset=10001", `offset "10001": use a whole number from 0 to 10000 (deeper pages cost the journal every row before them: narrow the period with from/to)`},
		{"offset=x", `offset "x"`},
		{"chek_id=1", `unknown query parameter "chek_id": allowed are state, check_id, from, to, q, mode, mixed, limit, offset`},
		{"state=paid&state=not_paid", "query parameter state is given 2 times: give it once"},
	} {
		q, _ := url.ParseQuery(tc.q)
		_, err := ParseFilter(q, mskZone)
		var fe *FilterError
		if !errors.As(err, &fe) || fe.Code() != ErrCodeInvalidQuery || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%.40s: %v, want a FilterError with %q", tc.q, err, tc.want)
		}
	}
}

func TestFilterError_Named(t *testing.T) {
	flag := func(p string) string { return "--" + p }
	for _, tc := range []struct {
		e    FilterError
		want string
	}{
		{FilterError{Param: "from", Value: "x", Rule: "not a time"}, `--from "x": not a time`},
		{FilterError{Param: "from", Value: "b", Other: "to", OtherValue: "a", Rule: "empty"}, `--from "b" is not before --to "a": empty`},
		{FilterError{Rule: "unknown"}, "unknown"},
	} {
		if got := tc.e.Named(flag); got != tc.want {
			t.Errorf("Named = %q, want %q", got, tc.want)
		}
	}
}

func TestIsDigits(t *testing.T) {
	for s, want := range map[string]bool{"0": true, "0123456789": true, "": false, "1a": false, "-1": false, "١": false, " 1": false} {
		if IsDigits(s) != want {
			t.Errorf("IsDigits(%q) = %t", s, !want)
		}
	}
}

func TestParseTime_ZeroInstant(t *testing.T) {
	// The start of 0001-01-01 in MSK is before the zero instant: as a
	// start it could not be told from "no bound".
	if _, err := ParseTime("0001-01-01", mskZone, false); err == nil {
		t.Error("0001-01-01 as a start accepted")
	}
}

// TestPageOffset: a page number becomes an offset only within MaxOffset;
// any other page, however large, is refused naming page and the pages
// there are for the limit, never an offset the caller did not give.
func TestPageOffset(t *testing.T) {
	for _, tc := range []struct{ page, limit, want int }{
		{1, 50, 0}, {2, 50, 50}, {201, 50, 10000}, {11, 1000, 10000}, {3334, 3, 9999}, {10001, 1, 10000},
	} {
		if got, err := PageOffset(tc.page, tc.limit); err != nil || got != tc.want {
			t.Errorf("PageOffset(%d, %d) = %d, %v; want %d", tc.page, tc.limit, got, err, tc.want)
		}
	}
	for _, tc := range []struct {
		page, limit int
		want        string
	}{
		{0, 50, `page "0": use a whole number from 1 to 201 (50 payments a page; deeper pages cost the journal every row before them: narrow the period with from/to)`},
		{-1, 50, `page "-1": use a whole number from 1 to 201`},
		{202, 50, `page "202": use a whole number from 1 to 201`},
		{12, 1000, `page "12": use a whole number from 1 to 11 (1000 payments a page;`},
		{3335, 3, `page "3335": use a whole number from 1 to 3334`},
		{368934881474191034, 50, `page "368934881474191034": use a whole number from 1 to 201`},
		{9223372036854775807, 50, `page "9223372036854775807": use a whole number from 1 to 201`},
		{-9223372036854775808, 1, `page "-9223372036854775808": use a whole number from 1 to 10001`},
	} {
		got, err := PageOffset(tc.page, tc.limit)
		var fe *FilterError
		if !errors.As(err, &fe) || fe.Param != "page" || !strings.Contains(err.Error(), tc.want) || got != 0 {
			t.Errorf("PageOffset(%d, %d) = %d, %v; want a FilterError on page with %q", tc.page, tc.limit, got, err, tc.want)
		}
	}
}

package tillapi

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/sbpd/sbpd/plugin"
)

// recordSearch returns a Searcher that records the filter it gets and
// answers with found.
func recordSearch(got *plugin.Filter, found ...*plugin.Payment) *fakeSearcher {
	return &fakeSearcher{SearchFn: func(_ context.Context, f plugin.Filter) ([]*plugin.Payment, error) {
		*got = f
		return found, nil
	}}
}

func TestSearch_OK(t *testing.T) {
	p1 := testPayment("01JD1", plugin.StatePaid)
	p2 := testPayment("01JD2", plugin.StateNotPaid)
	p2.Reason = plugin.ReasonTechnical
	var got plugin.Filter
	ts := newTestServer(t, &Server{Payments: &fakePayments{}, Search: recordSearch(&got, &p1, nil, &p2)})

	q := url.Values{
		"state":    {"paid"},
		"check_id": {"000153"},
		"from":     {"2024-05-01T10:00:00+03:00"},
		"to":       {"2024-05-02T00:00:00Z"},
		"q":        {"40211873"},
		"limit":    {"20"},
		"offset":   {"40"},
	}
	m := do(t, "GET", ts.URL+"/api/v1/payments?"+q.Encode(), "").payment(t, http.StatusOK)

	want := plugin.Filter{
		State:   plugin.StatePaid,
		CheckID: "000153",
		From:    time.Date(2024, 5, 1, 7, 0, 0, 0, time.UTC),
		To:      time.Date(2024, 5, 2, 0, 0, 0, 0, time.UTC),
		Query:   "40211873",
		Limit:   20,
		Offset:  40,
	}
	if !got.From.Equal(want.From) || !got.To.Equal(want.To) {
		t.Errorf("from/to = %v/%v, want %v/%v", got.From, got.To, want.From, want.To)
	}
	got.From, got.To, want.From, want.To = time.Time{}, time.Time{}, time.Time{}, time.Time{}
	if got != want {
		t.Errorf("filter = %+v, want %+v", got, want)
	}

	if m["limit"] != 20.0 || m["offset"] != 40.0 {
		t.Errorf("limit/offset = %v/%v", m["limit"], m["offset"])
	}
	ps, _ := m["payments"].([]any)
	if len(ps) != 2 {
		t.Fatalf("payments = %v", m["payments"])
	}
	a, b := ps[0].(map[string]any), ps[1].(map[string]any)
	if a["id"] != "01JD1" || a["state_code"] != 5.0 || a["message"] != plugin.TextPaid {
		t.Errorf("first = %v", a)
	}
	if b["id"] != "01JD2" || b["state_code"] != 6.0 || b["error"] == nil {
		t.Errorf("second = %v", b)
	}
	// The journal's payments are copied before they are decorated.
	if p1.StateCode != 0 || p1.Message != "" || p2.Error != nil {
		t.Errorf("the searcher's payments were changed: %+v %+v", p1, p2)
	}
}

func TestSearch_Defaults(t *testing.T) {
	var got plugin.Filter
	ts := newTestServer(t, &Server{Payments: &fakePayments{}, Search: recordSearch(&got)})

	res := do(t, "GET", ts.URL+"/api/v1/payments", "")
	m := res.payment(t, http.StatusOK)
	if got != (plugin.Filter{Limit: plugin.DefaultLimit}) {
		t.Errorf("filter = %+v", got)
	}
	if !strings.Contains(string(res.Body), `"payments":[]`) || m["limit"] != 50.0 || m["offset"] != 0.0 {
		t.Errorf("body %s", res.Body)
	}
}

func TestSearch_Dates(t *testing.T) {
	tests := []struct {
		query    string
		from, to time.Time
	}{
		{"from=2024-05-01&to=2024-05-01",
			time.Date(2024, 5, 1, 0, 0, 0, 0, time.Local), time.Date(2024, 5, 2, 0, 0, 0, 0, time.Local)},
		{"from=2024-12-31&to=2024-12-31",
			time.Date(2024, 12, 31, 0, 0, 0, 0, time.Local), time.Date(2025, 1, 1, 0, 0, 0, 0, time.Local)},
		// An unescaped + arrives as a space.
		{"from=2024-05-01T10:00:00+03:00",
			time.Date(2024, 5, 1, 7, 0, 0, 0, time.UTC), time.Time{}},
		{"to=2024-05-01T10:00:00.5Z",
			time.Time{}, time.Date(2024, 5, 1, 10, 0, 0, 5e8, time.UTC)},
		// The CLI's local wall-clock forms, read by the same parser.
		{"from=2024-05-01+10:00&to=2024-05-01%2018:30:15",
			time.Date(2024, 5, 1, 10, 0, 0, 0, time.Local), time.Date(2024, 5, 1, 18, 30, 15, 0, time.Local)},
	}
	for _, tt := range tests {
		t.Run(tt.query, func(t *testing.T) {
			var got plugin.Filter
			ts := newTestServer(t, &Server{Payments: &fakePayments{}, Search: recordSearch(&got)})
			do(t, "GET", ts.URL+"/api/v1/payments?"+tt.query, "").payment(t, http.StatusOK)
			if !got.From.Equal(tt.from) || !got.To.Equal(tt.to) {
				t.Errorf("from, to = %v, %v; want %v, %v", got.From, got.To, tt.from, tt.to)
			}
		})
	}
}

func TestSearch_BadQuery(t *testing.T) {
	tests := []struct {
		query    string
		contains []string
	}{
		{"state=done", []string{"state", "creating, awaiting_payment, status_unknown, canceling, paid, not_paid, needs_attention", `"done"`}},
		{"state=PAID", []string{"state"}},
		{"from=2024-05-01+25:00", []string{"from", "not a time"}},
		{"from=yesterday", []string{"from", "2025-03-14", "RFC 3339", `"2025-03-14 10:00"`}},
		{"from=2024-13-01", []string{"from"}},
		{"to=01.05.2024", []string{"to"}},
		{"from=2024-05-02&to=2024-05-01", []string{"from", "before to"}},
		{"limit=0", []string{"limit", "1 to 1000"}},
		{"limit=1001", []string{"limit", "1 to 1000"}},
		{"limit=ten", []string{"limit"}},
		{"limit=abc", []string{`limit "abc": use a whole number from 1 to 1000`}}, // as openapi.json's example
		{"limit=-5", []string{"limit"}},
		{"offset=-1", []string{"offset"}},
		{"offset=10001", []string{"offset", "0 to 10000", "narrow the period"}},
		{"offset=x", []string{"offset"}},
		{"check_id=" + strings.Repeat("1", 65), []string{"check_id", "64"}},
		{"q=" + strings.Repeat("1", 257), []string{"q "}},
		{"chek_id=000153", []string{`"chek_id"`, "state, check_id, from, to, q, mode, mixed, limit, offset"}},
		{"state=paid&state=not_paid", []string{"state", "2 times"}},
	}
	ts := newTestServer(t, &Server{Payments: &fakePayments{}, Search: &fakeSearcher{}})
	for _, tt := range tests {
		t.Run(tt.query, func(t *testing.T) {
			msg := do(t, "GET", ts.URL+"/api/v1/payments?"+tt.query, "").wantError(t, http.StatusUnprocessableEntity, "invalid_query")
			for _, s := range tt.contains {
				if !strings.Contains(msg, s) {
					t.Errorf("message %q does not contain %q", msg, s)
				}
			}
		})
	}
}

func TestSearch_Error(t *testing.T) {
	search := &fakeSearcher{SearchFn: func(context.Context, plugin.Filter) ([]*plugin.Payment, error) {
		return nil, plugin.Errorf(plugin.EStorage, "journal is locked")
	}}
	ts := newTestServer(t, &Server{Payments: &fakePayments{}, Search: search})
	do(t, "GET", ts.URL+"/api/v1/payments", "").wantError(t, http.StatusServiceUnavailable, "storage")
}

func TestSearch_NoSearcher(t *testing.T) {
	ts := newTestServer(t, &Server{Payments: &fakePayments{}})
	do(t, "GET", ts.URL+"/api/v1/payments", "").wantError(t, http.StatusNotImplemented, "not_implemented")
}

func TestParseFilter_Location(t *testing.T) {
	msk := time.FixedZone("MSK", 3*60*60)
	f, err := parseFilter(url.Values{"from": {"2024-05-01"}, "to": {"2024-05-01"}}, msk)
	if err != nil {
		t.Fatal(err)
	}
	if want := time.Date(2024, 4, 30, 21, 0, 0, 0, time.UTC); !f.From.Equal(want) {
		t.Errorf("from = %v, want %v", f.From, want)
	}
	if want := time.Date(2024, 5, 1, 21, 0, 0, 0, time.UTC); !f.To.Equal(want) {
		t.Errorf("to = %v, want %v", f.To, want)
	}
}

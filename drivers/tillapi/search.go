package tillapi

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/sbpd/sbpd/plugin"
)

// Search limits.
const (
	DefaultLimit = 50
	MaxLimit     = 1000
	maxQueryLen  = 256
)

// searchParams are the query parameters of the journal search, in the
// order error messages list them.
var searchParams = []string{"state", "check_id", "from", "to", "q", "mode", "mixed", "limit", "offset"}

// searchResult is the answer of the journal search.
type searchResult struct {
	Payments []plugin.Payment `json:"payments"`
	Limit    int              `json:"limit"`
	Offset   int              `json:"offset"`
}

// searchPayments handles GET /api/v1/payments: the journal search.
func (h *handler) searchPayments(w http.ResponseWriter, r *http.Request) {
	if h.search == nil {
		writeError(w, http.StatusNotImplemented, "not_implemented", "journal search is not available in this sbpd")
		return
	}
	f, err := parseFilter(r.URL.Query(), time.Local)
	if err != nil {
		writeError(w, http.StatusUnprocessableEntity, "invalid_query", err.Error())
		return
	}
	found, err := h.search.Search(r.Context(), f)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	res := searchResult{Payments: make([]plugin.Payment, 0, len(found)), Limit: f.Limit, Offset: f.Offset}
	for _, p := range found {
		if p != nil {
			res.Payments = append(res.Payments, decorated(*p))
		}
	}
	writeJSON(w, http.StatusOK, res)
}

// parseFilter turns the query of a search into a plugin.Filter. Dates
// without a time are days in loc: from is the start of its day, to the
// start of the next day, so to=2024-05-01 includes all of May 1st.
func parseFilter(q url.Values, loc *time.Location) (plugin.Filter, error) {
	f := plugin.Filter{Limit: DefaultLimit}
	for name, vals := range q {
		if !slices.Contains(searchParams, name) {
			return f, fmt.Errorf("unknown query parameter %q: allowed are %s", name, strings.Join(searchParams, ", "))
		}
		if len(vals) > 1 {
			return f, fmt.Errorf("query parameter %s is given %d times: give it once", name, len(vals))
		}
	}

	if v := q.Get("state"); v != "" {
		f.State = plugin.State(v)
		if !f.State.Valid() {
			names := make([]string, len(plugin.States))
			for i, s := range plugin.States {
				names[i] = string(s)
			}
			return f, fmt.Errorf("state must be one of %s; got %q", strings.Join(names, ", "), v)
		}
	}

	f.CheckID = strings.TrimSpace(q.Get("check_id"))
	if utf8.RuneCountInString(f.CheckID) > plugin.MaxCheckIDLen {
		return f, fmt.Errorf("check_id must be at most %d characters", plugin.MaxCheckIDLen)
	}
	f.Query = strings.TrimSpace(q.Get("q"))
	if utf8.RuneCountInString(f.Query) > maxQueryLen {
		return f, fmt.Errorf("q must be at most %d characters: a check id, order number, PayMaster id or amount in kopecks", maxQueryLen)
	}

	var err error
	if f.From, err = parseTime("from", q.Get("from"), loc, false); err != nil {
		return f, err
	}
	if f.To, err = parseTime("to", q.Get("to"), loc, true); err != nil {
		return f, err
	}
	if !f.From.IsZero() && !f.To.IsZero() && !f.From.Before(f.To) {
		return f, fmt.Errorf("from (%s) must be before to (%s)", f.From.Format(time.RFC3339), f.To.Format(time.RFC3339))
	}

	if v := q.Get("mode"); v != "" {
		m, err := strconv.Atoi(v)
		if err != nil || !plugin.Mode(m).Valid() {
			return f, fmt.Errorf("mode must be 0 (printed), 1 (screen) or 2 (sticker/NFC); got %q", v)
		}
		mode := plugin.Mode(m)
		f.Mode = &mode
	}
	if v := q.Get("mixed"); v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			return f, fmt.Errorf("mixed must be true or false; got %q", v)
		}
		f.Mixed = &b
	}

	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > MaxLimit {
			return f, fmt.Errorf("limit must be a whole number from 1 to %d; got %q", MaxLimit, v)
		}
		f.Limit = n
	}
	if v := q.Get("offset"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			return f, fmt.Errorf("offset must be a whole number, 0 or more; got %q", v)
		}
		f.Offset = n
	}
	return f, nil
}

// parseTime parses from or to: an RFC 3339 time, or a YYYY-MM-DD day in loc
// (its start, or for an end the start of the next day). An empty value is
// the zero time.
func parseTime(name, v string, loc *time.Location, end bool) (time.Time, error) {
	if v == "" {
		return time.Time{}, nil
	}
	// A time at or before the zero instant cannot be told from "no
	// bound": to=0000-12-31 would match every payment, not none.
	if t, err := time.ParseInLocation(time.DateOnly, v, loc); err == nil {
		if end {
			t = t.AddDate(0, 0, 1)
		}
		if t.After(time.Time{}) {
			return t, nil
		}
	}
	// An unescaped "+03:00" in a URL arrives as " 03:00".
	if t, err := time.Parse(time.RFC3339, strings.ReplaceAll(v, " ", "+")); err == nil && t.After(time.Time{}) {
		return t, nil
	}
	return time.Time{}, fmt.Errorf("%s must be a day like 2024-05-01 or an RFC 3339 time like 2024-05-01T10:00:00+03:00; got %q", name, v)
}

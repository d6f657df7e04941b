package plugin

import (
	"errors"
	"fmt"
	"maps"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// The journal search's limits, for the till API and the CLI alike.
const (
	DefaultLimit = 50   // payments per page when no limit is given
	MaxLimit     = 1000 // the most payments one page may hold
	MaxQueryLen  = 256  // the longest free-text query, in characters
	// MaxOffset is the deepest page a search starts at: the journal steps
	// over every row before an offset, so deeper pages are reached by a
	// narrower period (from/to) or, in the back office, its «Старее» links.
	MaxOffset = 10000
)

// FilterParams are the parameters of a journal search, in the order
// error messages list them.
var FilterParams = []string{"state", "check_id", "from", "to", "q", "mode", "mixed", "limit", "offset"}

// TimeFormats lists the forms ParseTime accepts, for help and errors.
const TimeFormats = `a date 2025-03-14, a local time "2025-03-14 10:00" or "2025-03-14 10:00:30", ` +
	`or an RFC 3339 time 2025-03-14T10:00:00+03:00`

// ErrCodeInvalidQuery is the code of every FilterError.
const ErrCodeInvalidQuery = "invalid_query"

// FilterError is a search parameter that cannot be used: Param named
// as in FilterParams, the Value given and the Rule it breaks. For an
// empty period Param is "from" and Other, OtherValue are the "to".
type FilterError struct {
	Param, Value, Rule string
	Other, OtherValue  string
}

// Error names the parameters as in FilterParams.
func (e *FilterError) Error() string { return e.Named(func(p string) string { return p }) }

// Code is the short code for the screen and the API: invalid_query.
func (e *FilterError) Code() string { return ErrCodeInvalidQuery }

// Named is the message with each parameter written as name gives it,
// e.g. a CLI's "--from" for "from". A value is quoted back clipped
// (Clip): a parameter may be as long as a request line.
func (e *FilterError) Named(name func(param string) string) string {
	if e.Other != "" {
		return fmt.Sprintf("%s %q is not before %s %q: %s", name(e.Param), Clip(e.Value), name(e.Other), Clip(e.OtherValue), e.Rule)
	}
	if e.Param == "" {
		return e.Rule
	}
	return fmt.Sprintf("%s %q: %s", name(e.Param), Clip(e.Value), e.Rule)
}

// errNotATime is ParseTime's one error.
var errNotATime = errors.New("not a time: use " + TimeFormats)

// localLayouts are the local wall-clock forms ParseTime accepts.
var localLayouts = []string{"2006-01-02 15:04:05", "2006-01-02 15:04", "2006-01-02T15:04:05", "2006-01-02T15:04"}

// ParseTime reads a bound of a period: a date YYYY-MM-DD in loc, a local
// time YYYY-MM-DD HH:MM[:SS] (or with T) in loc, or an RFC 3339 time. A
// bare date is its start, or for the end of a period (end) the start of
// the next day, as a period's end is exclusive. A time at or before the
// zero instant is refused: it could not be told from "no bound".
func ParseTime(s string, loc *time.Location, end bool) (time.Time, error) {
	s = strings.TrimSpace(s)
	t, err := parseTime(s, loc, end)
	if err != nil || !t.After(time.Time{}) {
		return time.Time{}, errNotATime
	}
	return t, nil
}

func parseTime(s string, loc *time.Location, end bool) (time.Time, error) {
	if t, err := time.ParseInLocation(time.DateOnly, s, loc); err == nil {
		if end {
			t = t.AddDate(0, 0, 1)
		}
		return t, nil
	}
	for _, layout := range localLayouts {
		if t, err := time.ParseInLocation(layout, s, loc); err == nil {
			return t, nil
		}
	}
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	// An unescaped "+03:00" in a URL arrives as " 03:00".
	return time.Parse(time.RFC3339, strings.ReplaceAll(s, " ", "+"))
}

// ParsePeriod reads the bounds of a period with ParseTime; an empty bound
// is open (the zero time). from must be before to when both are given.
func ParsePeriod(from, to string, loc *time.Location) (f, t time.Time, err error) {
	if from != "" {
		if f, err = ParseTime(from, loc, false); err != nil {
			return f, t, &FilterError{Param: "from", Value: from, Rule: err.Error()}
		}
	}
	if to != "" {
		if t, err = ParseTime(to, loc, true); err != nil {
			return f, t, &FilterError{Param: "to", Value: to, Rule: err.Error()}
		}
	}
	if !f.IsZero() && !t.IsZero() && !f.Before(t) {
		return f, t, &FilterError{Param: "from", Value: from, Other: "to", OtherValue: to,
			Rule: fmt.Sprintf("the period from %s to %s is empty", f.Format(time.RFC3339), t.Format(time.RFC3339))}
	}
	return f, t, nil
}

// ParseBoundedPeriod reads a period whose bounds are both required (a
// reconciliation's, from the CLI's --from/--to and the web's form) with
// ParseTime; a date given to "to" includes that day. Their order is the
// caller's to check.
func ParseBoundedPeriod(from, to string, loc *time.Location) (time.Time, time.Time, error) {
	var t [2]time.Time
	for i, v := range []string{from, to} {
		name := [2]string{"from", "to"}[i]
		if strings.TrimSpace(v) == "" {
			return t[0], t[1], &FilterError{Param: name, Value: v, Rule: "required, e.g. 2025-03-14"}
		}
		var err error
		if t[i], err = ParseTime(v, loc, i == 1); err != nil {
			return t[0], t[1], &FilterError{Param: name, Value: v, Rule: err.Error()}
		}
	}
	return t[0], t[1], nil
}

// ParseFilter reads a journal search from its parameters (FilterParams;
// any other, or one given twice, is refused). Times are read by
// ParsePeriod in loc. Limit is DefaultLimit unless given.
func ParseFilter(q url.Values, loc *time.Location) (Filter, error) {
	f := Filter{Limit: DefaultLimit}
	for _, name := range slices.Sorted(maps.Keys(q)) {
		if !slices.Contains(FilterParams, name) {
			return f, &FilterError{Rule: fmt.Sprintf("unknown query parameter %q: allowed are %s", name, strings.Join(FilterParams, ", "))}
		}
		if n := len(q[name]); n > 1 {
			return f, &FilterError{Rule: fmt.Sprintf("query parameter %s is given %d times: give it once", name, n)}
		}
	}
	var err error
	if f.From, f.To, err = ParsePeriod(q.Get("from"), q.Get("to"), loc); err != nil {
		return f, err
	}
	if err := parseChoices(q, &f); err != nil {
		return f, err
	}
	return f, parsePage(q, &f)
}

// parseChoices reads state, check_id, q, mode and mixed.
func parseChoices(q url.Values, f *Filter) error {
	if v := q.Get("state"); v != "" {
		if f.State = State(strings.TrimSpace(v)); !f.State.Valid() {
			return &FilterError{Param: "state", Value: v, Rule: "not a state: use one of " + StateNames()}
		}
	}
	f.CheckID = strings.TrimSpace(q.Get("check_id"))
	if utf8.RuneCountInString(f.CheckID) > MaxCheckIDLen {
		return &FilterError{Param: "check_id", Value: q.Get("check_id"), Rule: fmt.Sprintf("use at most %d characters", MaxCheckIDLen)}
	}
	f.Query = strings.TrimSpace(q.Get("q"))
	if utf8.RuneCountInString(f.Query) > MaxQueryLen {
		return &FilterError{Param: "q", Value: q.Get("q"), Rule: fmt.Sprintf("use at most %d characters: a check id, order number, PayMaster id or amount", MaxQueryLen)}
	}
	if v := q.Get("mode"); v != "" {
		n, err := strconv.Atoi(strings.TrimSpace(v))
		m := Mode(n)
		if err != nil || !m.Valid() {
			return &FilterError{Param: "mode", Value: v, Rule: "not a mode: use 0 (print), 1 (screen) or 2 (sticker)"}
		}
		f.Mode = &m
	}
	if v := q.Get("mixed"); v != "" {
		b, err := strconv.ParseBool(strings.TrimSpace(v))
		if err != nil {
			return &FilterError{Param: "mixed", Value: v, Rule: "use true or false"}
		}
		f.Mixed = &b
	}
	return nil
}

// parsePage reads limit and offset.
func parsePage(q url.Values, f *Filter) error {
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(strings.TrimSpace(v))
		if err != nil || n < 1 || n > MaxLimit {
			return &FilterError{Param: "limit", Value: v, Rule: fmt.Sprintf("use a whole number from 1 to %d", MaxLimit)}
		}
		f.Limit = n
	}
	if v := q.Get("offset"); v != "" {
		n, err := strconv.Atoi(strings.TrimSpace(v))
		if err != nil {
			return OffsetError(v)
		}
		if err := CheckOffset(n); err != nil {
			return err
		}
		f.Offset = n
	}
	return nil
}

// CheckOffset refuses an offset past MaxOffset (or below 0), however it
// was reached.
func CheckOffset(n int) error {
	if n < 0 || n > MaxOffset {
		return OffsetError(strconv.Itoa(n))
	}
	return nil
}

// PageOffset is the offset of page (from 1) of a search with limit (at
// least 1) payments a page. A page before the first or one that starts
// past MaxOffset is refused as a FilterError on "page" that gives the
// pages there are at that limit; nothing is multiplied before it is
// bounded, so no page number wraps around to another offset.
func PageOffset(page, limit int) (int, error) {
	limit = max(limit, 1)
	last := MaxOffset/limit + 1
	if page < 1 || page > last {
		return 0, &FilterError{Param: "page", Value: strconv.Itoa(page), Rule: fmt.Sprintf("use a whole number from 1 to %d "+
			"(%d payments a page; deeper pages cost the journal every row before them: narrow the period with from/to)", last, limit)}
	}
	return (page - 1) * limit, nil
}

// OffsetError refuses offset v: what is allowed and the way further.
func OffsetError(v string) error {
	return &FilterError{Param: "offset", Value: v, Rule: fmt.Sprintf("use a whole number from 0 to %d "+
		"(deeper pages cost the journal every row before them: narrow the period with from/to)", MaxOffset)}
}

// StateNames lists every state in code order, comma separated.
func StateNames() string {
	names := make([]string, len(States))
	for i, s := range States {
		names[i] = string(s)
	}
	return strings.Join(names, ", ")
}

// IsDigits reports whether s is one or more ASCII digits.
func IsDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

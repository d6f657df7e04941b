package tillapi

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/sbpd/sbpd/plugin"
)

// TestErrorEchoesAreBounded: every error message that quotes back a value
// from the request (a path, a method, a search parameter, a field name)
// quotes a short prefix and "…", whatever its length; so does the request
// log. Each value here is 30 000 bytes, which fits in one request.
func TestErrorEchoesAreBounded(t *testing.T) {
	long := strings.Repeat("A", 30000)
	search := &fakeSearcher{SearchFn: func(context.Context, plugin.Filter) ([]*plugin.Payment, error) {
		t.Error("a refused search reached the journal")
		return nil, nil
	}}
	var logs bytes.Buffer
	ts := newTestServer(t, &Server{Payments: &fakePayments{}, Search: search,
		Logger: slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))})
	cases := []struct {
		name, method, path, body string
		status                   int
		code                     string
		want                     string // in the message; "A…" if empty
	}{
		{"unknown route", "GET", "/api/v1/" + long, "", http.StatusNotFound, "not_found", ""},
		{"unknown route, long method", long, "/api/v1/nope", "", http.StatusNotFound, "not_found", ""},
		{"method not allowed", "DELETE", "/api/v1/payments/" + long, "", http.StatusMethodNotAllowed, "method_not_allowed", ""},
		{"search q", "GET", "/api/v1/payments?q=" + long, "", http.StatusUnprocessableEntity, plugin.ErrCodeInvalidQuery, ""},
		{"search from", "GET", "/api/v1/payments?from=" + long, "", http.StatusUnprocessableEntity, plugin.ErrCodeInvalidQuery, ""},
		{"unknown field", "POST", "/api/v1/payments", `{"` + long + `":1}`, http.StatusUnprocessableEntity, "unknown_field", ""},
		{"many unknown fields", "POST", "/api/v1/payments", manyFields(5000), http.StatusUnprocessableEntity, "unknown_field", `"f0002" and 4997 more:`},
		{"duplicate field", "POST", "/api/v1/payments", `{"` + long + `":1,"` + long + `":2}`, http.StatusUnprocessableEntity, "duplicate_field", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			logs.Reset()
			msg := do(t, c.method, ts.URL+c.path, c.body).wantError(t, c.status, c.code)
			want := c.want
			if want == "" {
				want = "A…"
			}
			if len(msg) > 400 || !strings.Contains(msg, want) {
				t.Errorf("message of %d bytes, want a short one with %q: %.200s", len(msg), want, msg)
			}
			if n := len(logs.String()); n > 1000 {
				t.Errorf("the request's log line is %d bytes: %.200s", n, logs.String())
			}
		})
	}
}

// manyFields is a start body with n unknown fields of short names.
func manyFields(n int) string {
	var b strings.Builder
	b.WriteString(`{"check_id":"1","amount":100`)
	for i := range n {
		fmt.Fprintf(&b, `,"f%04d":1`, i)
	}
	return b.String() + "}"
}

// TestEcho_CutsWholeCharacters: a header value or a JSON value quoted back
// is cut between characters, never inside one (a Cyrillic letter is two
// bytes; cut in half it would show as \xd0).
func TestEcho_CutsWholeCharacters(t *testing.T) {
	ru := "a" + strings.Repeat("ж", 30) // the 40-byte bound falls inside a letter
	if got := printable(ru); strings.Contains(got, `\x`) || !strings.HasSuffix(got, "…") || !utf8.ValidString(got) {
		t.Errorf("printable = %q", got)
	}
	if got := echo(json.RawMessage(`"` + ru + `"`)); !utf8.ValidString(got) || !strings.HasSuffix(got, "…") {
		t.Errorf("echo = %q", got)
	}
}

package tillapi

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/sbpd/sbpd/plugin"
)

// Fuzz targets for what the till sends: the start request body and the
// journal search query. The seeds in testdata/fuzz run as ordinary tests
// under `go test`; scripts/fuzz.sh runs the fuzzers.

// fuzzMaxBody is small so the fuzzer also reaches the size limit.
const fuzzMaxBody = 512

func FuzzStartBody(f *testing.F) {
	for _, s := range []string{
		`{"check_id":"000153","amount":25990,"mixed":false}`,
		`{"check_id":"000153","amount":25990}`,
		`{"check_id":"000153","amount":100000000,"mixed":true}`,
		`{"check_id":"000153","amount":100000001}`,
		`{"check_id":"000153","amount":0}`,
		`{"check_id":"000153","amount":-1}`,
		`{"check_id":"000153","amount":-0}`,
		`{"check_id":"000153","amount":259.90}`,
		`{"check_id":"000153","amount":2.599e4}`,
		`{"check_id":"000153","amount":"25990"}`,
		`{"check_id":"000153","amount":9223372036854775808}`,
		`{"check_id":"000153","amount":00025990}`,
		`{"check_id":153,"amount":25990}`,
		`{"check_id":"","amount":25990}`,
		`{"check_id":"   ","amount":25990}`,
		`{"check_id":"a\u0000b","amount":25990}`,
		`{"check_id":"\ud800","amount":25990}`,
		`{"check_id":"` + strings.Repeat("я", 65) + `","amount":25990}`,
		`{"check_id":"A-1_2.3/4","amount":25990}`,
		`{"check_id":"` + strings.Repeat("z", 64) + `","amount":25990}`,
		`{"check_id":"` + strings.Repeat("z", 65) + `","amount":25990}`,
		`{"check_id":"Чек №15","amount":25990}`,
		`{"check_id":"000 153","amount":25990}`,
		`{"check_id":"15\"","amount":25990}`,
		`{"check_id":"a\u002fb","amount":25990}`,
		`{"check_id":"\u0041","amount":25990}`,
		`{"check_id":"000153","amount":25990,"mixed":"true"}`,
		`{"check_id":"000153","amount":25990,"mixed":null}`,
		`{"check_id":"000153","amount":25990,"Amount":1}`,
		`{"check_id":"000153","amount":1,"amount":25990}`,
		`{"check_id":"1","check_id":"2","amount":25990}`,
		`{"check_id":"000153","amount":25990,"mixed":false,"mixed":true}`,
		`{"check_id":"000153","amount":1e6}`,
		`{"check_id":"000153","amount":25990,"tip":100}`,
		`{"check_id":"000153","amount":25990} {"check_id":"2","amount":1}`,
		`{"check_id":"000153","amount":25990}garbage`,
		`{"check_id":"000153","amount":25990`,
		`[{"check_id":"000153","amount":25990}]`,
		`"25990"`, `25990`, `null`, `true`, ``, ` `, `{}`, `{"amount":}`,
		"\xef\xbb\xbf{\"check_id\":\"1\",\"amount\":1}",
		`{"check_id":"1","amount":1}` + strings.Repeat(" ", fuzzMaxBody),
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		var got *plugin.StartRequest
		fake := &fakePayments{StartFn: func(_ context.Context, req plugin.StartRequest) (plugin.Payment, bool, error) {
			if err := req.Validate(); err != nil {
				t.Fatalf("the engine got a request that does not validate: %+v: %v", req, err)
			}
			got = &req
			p := testPayment("p-1", plugin.StateCreating)
			p.CheckID, p.Amount, p.Mixed = req.CheckID, req.Amount, req.Mixed
			return p, req.Amount%2 == 0, nil // both 201 and 200
		}}
		h := (&Server{Payments: fake, MaxBodyBytes: fuzzMaxBody}).Handler()
		rec := httptest.NewRecorder()
		req := httptest.NewRequest(http.MethodPost, "http://localhost/api/v1/payments", bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		h.ServeHTTP(rec, req)
		status, answer := rec.Code, rec.Body.Bytes()

		if status >= 500 {
			t.Fatalf("body %q: %d %s", body, status, answer)
		}
		switch status {
		case http.StatusCreated, http.StatusOK:
			if got == nil {
				t.Fatalf("%d without a call to the engine", status)
			}
			checkAccepted(t, body, *got)
			var p plugin.Payment
			if err := json.Unmarshal(answer, &p); err != nil || p.CheckID != got.CheckID || p.Amount != got.Amount {
				t.Fatalf("%d answer %s does not carry the request %+v: %v", status, answer, *got, err)
			}
		default:
			if status < 400 {
				t.Fatalf("body %q: unexpected status %d", body, status)
			}
			if got != nil {
				t.Fatalf("%d after the engine started a payment", status)
			}
			var e errorBody
			dec := json.NewDecoder(bytes.NewReader(answer))
			dec.DisallowUnknownFields()
			if err := dec.Decode(&e); err != nil || e.Error.Code == "" || e.Error.Message == "" {
				t.Fatalf("%d answer is not a JSON error with a code and a message: %s (%v)", status, answer, err)
			}
			if ct := rec.Header().Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
				t.Fatalf("%d answer has Content-Type %q", status, ct)
			}
		}
	})
}

// checkAccepted checks an accepted body against an independent reading:
// one JSON object with only the known fields, check_id a string, amount
// written as an integer in 1..MaxAmount, mixed a bool; and the engine got
// exactly those values.
func checkAccepted(t *testing.T, body []byte, req plugin.StartRequest) {
	t.Helper()
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(body, &fields); err != nil {
		t.Fatalf("accepted a body that is not one JSON object: %q: %v", body, err)
	}
	for name := range fields {
		if !slices.Contains(startFields, name) {
			t.Fatalf("accepted unknown field %q", name)
		}
	}
	// No field twice: json.Unmarshal above keeps the last of two.
	dec := json.NewDecoder(bytes.NewReader(bytes.TrimPrefix(body, []byte("\xef\xbb\xbf"))))
	if tok, err := dec.Token(); err == nil && tok == json.Delim('{') {
		seen := map[string]bool{}
		for dec.More() {
			tok, err := dec.Token()
			name, _ := tok.(string)
			if err != nil || seen[name] {
				t.Fatalf("accepted a body that names %q twice: %q", name, body)
			}
			seen[name] = true
			var skip json.RawMessage
			if dec.Decode(&skip) != nil {
				break
			}
		}
	}
	var checkID string
	if err := json.Unmarshal(fields["check_id"], &checkID); err != nil || checkID != req.CheckID {
		t.Fatalf("check_id %s taken as %q (%v)", fields["check_id"], req.CheckID, err)
	}
	// 1 to 64 bytes, each an ASCII letter, a digit or one of - _ . /: what
	// makes a safe PayMaster order number.
	if len(checkID) < 1 || len(checkID) > 64 {
		t.Fatalf("accepted check_id %q of %d bytes", checkID, len(checkID))
	}
	for i := 0; i < len(checkID); i++ {
		c := checkID[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '_' || c == '.' || c == '/') {
			t.Fatalf("accepted check_id %q with byte %q", checkID, c)
		}
	}
	raw := string(fields["amount"])
	if strconv.FormatInt(req.Amount, 10) != strings.TrimLeft(raw, "0") && raw != strconv.FormatInt(req.Amount, 10) {
		t.Fatalf("amount %s taken as %d", raw, req.Amount)
	}
	if req.Amount <= 0 || req.Amount > plugin.MaxAmount {
		t.Fatalf("accepted amount %d", req.Amount)
	}
	if m, ok := fields["mixed"]; ok {
		if want := string(m) == "true"; !(string(m) == "true" || string(m) == "false") || want != req.Mixed {
			t.Fatalf("mixed %s taken as %v", m, req.Mixed)
		}
	} else if req.Mixed {
		t.Fatal("mixed set without the field")
	}
}

func FuzzSearchQuery(f *testing.F) {
	for _, s := range []string{
		"",
		"state=paid&limit=10&offset=20",
		"check_id=000153",
		"q=259,90", "q=259.90", "q=25990", "q=K07-000153-1", "q=%27%20OR%201%3D1--",
		"from=2024-05-01&to=2024-05-01",
		"from=2024-05-01T10:00:00+03:00&to=2024-05-02T00:00:00Z",
		"from=2024-05-02&to=2024-05-01",
		"from=2024-02-30", "to=9999-12-31", "from=0000-01-01", "from=0001-01-01", "to=0000-12-31",
		"mode=0&mixed=true", "mode=3", "mode=-1", "mode=+1", "mixed=yes", "mixed=1",
		"limit=0", "limit=1000", "limit=1001", "limit=-1", "limit=99999999999999999999",
		"offset=-1", "offset=9223372036854775807",
		"state=paid&state=failed", "State=paid", "foo=bar", "%zz=1", "q=%zz", ";", "&&&", "=x",
		"check_id=" + strings.Repeat("я", 65), "q=" + strings.Repeat("1", 257),
		"check_id=%00%01", "q=%ff%fe",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, rawQuery string) {
		q, _ := url.ParseQuery(rawQuery) // as r.URL.Query(): a bad pair is dropped
		for _, loc := range []*time.Location{time.UTC, time.FixedZone("MSK", 3*3600)} {
			flt, err := parseFilter(q, loc)
			if err != nil {
				if err.Error() == "" {
					t.Fatal("empty error")
				}
				continue
			}
			checkFilter(t, q, flt)
		}

		// Through the handler: 200 with a filter that is valid, or 422
		// with a JSON error; never 5xx.
		var got *plugin.Filter
		s := &Server{
			Payments: &fakePayments{},
			Search: &fakeSearcher{SearchFn: func(_ context.Context, flt plugin.Filter) ([]*plugin.Payment, error) {
				got = &flt
				return nil, nil
			}},
		}
		rec := httptest.NewRecorder()
		req := httptest.NewRequest(http.MethodGet, "http://localhost/api/v1/payments", nil)
		req.URL.RawQuery = rawQuery
		s.Handler().ServeHTTP(rec, req)
		switch rec.Code {
		case http.StatusOK:
			if got == nil {
				t.Fatal("200 without a search")
			}
			checkFilter(t, req.URL.Query(), *got)
		case http.StatusUnprocessableEntity:
			var e errorBody
			if err := json.Unmarshal(rec.Body.Bytes(), &e); err != nil || e.Error.Code != "invalid_query" || e.Error.Message == "" {
				t.Fatalf("422 answer %s (%v)", rec.Body.Bytes(), err)
			}
		default:
			t.Fatalf("query %q: %d %s", rawQuery, rec.Code, rec.Body.Bytes())
		}
	})
}

// checkFilter fails unless flt, accepted for q, is a valid search.
func checkFilter(t *testing.T, q url.Values, flt plugin.Filter) {
	t.Helper()
	for name, vals := range q {
		if !slices.Contains(plugin.FilterParams, name) || len(vals) != 1 {
			t.Fatalf("accepted parameter %q = %q", name, vals)
		}
	}
	switch {
	case flt.State != "" && !flt.State.Valid():
		t.Fatalf("accepted state %q", flt.State)
	case flt.Mode != nil && !flt.Mode.Valid():
		t.Fatalf("accepted mode %d", *flt.Mode)
	case flt.Limit < 1 || flt.Limit > plugin.MaxLimit:
		t.Fatalf("accepted limit %d", flt.Limit)
	case flt.Offset < 0:
		t.Fatalf("accepted offset %d", flt.Offset)
	case strings.TrimSpace(flt.CheckID) != flt.CheckID || utf8.RuneCountInString(flt.CheckID) > plugin.MaxCheckIDLen:
		t.Fatalf("accepted check_id %q", flt.CheckID)
	case strings.TrimSpace(flt.Query) != flt.Query || utf8.RuneCountInString(flt.Query) > plugin.MaxQueryLen:
		t.Fatalf("accepted q %q", flt.Query)
	case !flt.From.IsZero() && !flt.To.IsZero() && !flt.From.Before(flt.To):
		t.Fatalf("accepted from %v not before to %v", flt.From, flt.To)
	case q.Get("from") != "" && flt.From.IsZero(), q.Get("to") != "" && flt.To.IsZero():
		t.Fatalf("from %q / to %q dropped", q.Get("from"), q.Get("to"))
	case q.Get("limit") == "" && flt.Limit != plugin.DefaultLimit:
		t.Fatalf("limit %d without the parameter", flt.Limit)
	}
}

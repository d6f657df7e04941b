package paymaster

import (
	"encoding/json"
	"fmt"
	"math/big"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// Fuzz targets for everything PayMaster sends back: payment objects, error
// bodies and Retry-After values. FuzzParseAmount (amount_test.go) fuzzes
// the bare amount; FuzzPaymentAmount here checks it against an independent
// oracle inside a whole payment object. The seeds in testdata/fuzz run as
// ordinary tests under `go test`; scripts/fuzz.sh runs the fuzzers.

var plainDecimal = regexp.MustCompile(`^[0-9]+(\.[0-9]+)?$`)

// oracleKopecks is ParseAmount's contract written another way, with exact
// rationals: a plain non-negative decimal that is a whole number of kopecks
// fitting in an int64.
func oracleKopecks(s string) (int64, bool) {
	if !plainDecimal.MatchString(s) {
		return 0, false
	}
	r, ok := new(big.Rat).SetString(s)
	if !ok {
		return 0, false
	}
	r.Mul(r, big.NewRat(100, 1))
	if !r.IsInt() || !r.Num().IsInt64() {
		return 0, false
	}
	return r.Num().Int64(), true
}

// checkAmount fails unless k is exactly the kopecks of value and formats
// back to the same kopecks.
func checkAmount(t *testing.T, value json.Number, k int64) {
	t.Helper()
	want, ok := oracleKopecks(string(value))
	if !ok {
		t.Fatalf("amount %q accepted as %d kopecks, but it is not a whole number of kopecks", value, k)
	}
	if k != want {
		t.Fatalf("amount %q read as %d kopecks, want exactly %d", value, k, want)
	}
	f := FormatAmount(k)
	if back, err := ParseAmount(f); err != nil || back != k {
		t.Fatalf("amount %q = %d kopecks formats as %q, which reads back as %d, %v", value, k, f, back, err)
	}
}

func FuzzDecodePayment(f *testing.F) {
	for _, s := range []string{
		`{"id":"40211873","created":"2024-05-01T10:00:00+03:00","status":"Pending","amount":{"value":259.90,"currency":"RUB"},"invoice":{"orderNo":"K07-000153-1"},"confirmation":{"type":"Sbp","paymentUrl":"https://qr.nspk.ru/AD100004BAL7227F9BNP6KNE007J9B3K?type=02"}}`,
		`{"id":40211873,"status":"Settled","amount":{"value":"0.05","currency":"rub"}}`,
		`{"id":"1","amount":{"value":90071992547409.93,"currency":"RUB"}}`,
		`{"id":"1","amount":{"value":1e3}}`,
		`{"id":"1","amount":{"value":259.901}}`,
		`{"id":"1","amount":{"value":-1.00}}`,
		`{"id":"1","amount":{"value":"259.90","currency":"USD"}}`,
		`{"id":"  ","status":"Pending"}`,
		`{"id":null}`,
		`{"id":{"x":1}}`,
		`{"id":"1","amount":null,"invoice":null,"confirmation":null,"created":"yesterday"}`,
		`{"id":"1","amount":{"value":99999999999999999999.99}}`,
		`[]`, `null`, ``, `{`, `{"id":"1"}{"id":"2"}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := decodePayment(data)
		if err != nil {
			return
		}
		if strings.TrimSpace(r.ID) == "" {
			t.Fatalf("decoded a payment without an id: %+v", r)
		}
		if r.Amount < 0 {
			t.Fatalf("decoded a negative amount %d", r.Amount)
		}
		// Read the amount independently; what decodePayment took must be
		// exactly that value in kopecks.
		var w struct {
			Status string `json:"status"`
			Amount *struct {
				Value json.Number `json:"value"`
			} `json:"amount"`
		}
		if err := json.Unmarshal(data, &w); err != nil {
			t.Fatalf("decodePayment accepted %q, which is not a payment object: %v", data, err)
		}
		if string(r.Status) != w.Status {
			t.Fatalf("status %q decoded as %q", w.Status, r.Status)
		}
		if w.Amount == nil || w.Amount.Value == "" {
			if r.Amount != 0 {
				t.Fatalf("no amount in the object, but decoded %d", r.Amount)
			}
			return
		}
		checkAmount(t, w.Amount.Value, r.Amount)
	})
}

// FuzzPaymentAmount puts one amount and currency into an otherwise good
// payment object: it is accepted exactly when it is a plain non-negative
// decimal of whole kopecks within int64 (the JSON allowing it) and the
// currency is RUB or missing, and then read exactly, whether sent as a JSON
// number or as a string.
func FuzzPaymentAmount(f *testing.F) {
	for _, s := range []string{
		"259.90", "259.9", "259", "0.05", "0", "0.00", "259.9000", "259.901",
		"1e3", "1E3", "-1.00", "-0", "1.", ".5", "", "abc", "0259.90",
		"92233720368547758.07", "92233720368547758.08", "90071992547409.93",
		"1000000.00", "0.1", "0.10", "0.29", "0.57", "1.15", "4.35", "8.13",
		"99999999999999999999", "１２３", "12 3", "0x10",
	} {
		f.Add(s, "RUB", false)
		f.Add(s, "", true)
	}
	f.Add("259.90", "rub", true)
	f.Add("259.90", "USD", false)
	f.Add("259.90", "RUB ", false)
	f.Fuzz(func(t *testing.T, value, currency string, quoted bool) {
		v := value
		// Bare only when it is one JSON value with nothing around it, so
		// that the number decoded is exactly value.
		if quoted || !json.Valid([]byte(value)) || strings.TrimSpace(value) != value {
			v = strconv.Quote(value)
		}
		body := fmt.Sprintf(`{"id":"40211873","status":"Pending","amount":{"value":%s,"currency":%s}}`, v, strconv.Quote(currency))
		if !json.Valid([]byte(body)) {
			t.Skip("value does not fit in a JSON object")
		}
		r, err := decodePayment([]byte(body))
		if v == value && strings.HasPrefix(value, `"`) {
			// value is itself a JSON string literal sent bare: the amount
			// PayMaster sent is its content.
			json.Unmarshal([]byte(value), &value)
		}
		want, valid := oracleKopecks(value)
		currencyOK := currency == "" || strings.EqualFold(currency, "RUB")
		switch {
		case value == "":
			// "" is not a JSON number: refusing the object is as safe as
			// ignoring the amount; taking anything but 0 is not.
			if err == nil && r.Amount != 0 {
				t.Fatalf("empty amount read as %d", r.Amount)
			}
		case err == nil:
			if !currencyOK {
				t.Fatalf("currency %q accepted", currency)
			}
			checkAmount(t, json.Number(value), r.Amount)
		case valid && currencyOK && json.Valid([]byte(value)):
			t.Fatalf("amount %q (%d kopecks), currency %q rejected: %v", value, want, currency, err)
		}
	})
}

// alnum keeps the ASCII letters and digits of s.
func alnum(s string) string {
	return strings.Map(func(r rune) rune {
		if r < 0x80 && (r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z') {
			return r
		}
		return -1
	}, s)
}

func FuzzDecodeAPIError(f *testing.F) {
	const tok = "pm_live_4f9c2b7e1a8d3c5b"
	for _, c := range []struct {
		status int
		body   string
	}{
		{400, `{"code":"ValidationError","message":"Invalid amount","errors":["amount.value: must be positive"]}`},
		{401, `{"code":"Unauthorized","message":"bad token ` + tok + `"}`},
		{401, `{"code":"Unauthorized","message":"bad token pm_live_4f9c2b7e1a8d3c5\u0062"}`},
		{404, `{"code":"NotFound"}`},
		{422, `{"code":"","message":"","errors":["x"]}`},
		{500, `<html><body>502 Bad Gateway</body></html>`},
		{502, "Authorization: Bearer " + tok + "\r\nHost: paymaster.ru\r\n"},
		{503, ``},
		{503, "   \n\t"},
		{429, `{"code":42,"message":["x"]}`},
		{400, strings.Repeat("я", 300)},
		{400, "\xff\xfe\xfd" + strings.Repeat("x", 198) + "й"},
		{0, `null`},
		{-1, `{"message":"ok"}`},
	} {
		f.Add(c.status, []byte(c.body), tok)
	}
	f.Add(400, []byte(`{"message":"REDACTED"}`), "REDACTED")
	f.Fuzz(func(t *testing.T, status int, body []byte, token string) {
		e := decodeAPIError(status, body, token)
		if e == nil {
			t.Fatal("decodeAPIError returned nil")
		}
		if e.Status != status {
			t.Fatalf("status %d recorded as %d", status, e.Status)
		}
		if e.Message == "" {
			t.Fatalf("empty message for body %q", body)
		}
		msg := e.Error()
		if !strings.HasPrefix(msg, "paymaster: ") || !strings.HasSuffix(msg, fmt.Sprintf("[HTTP %d]", status)) {
			t.Fatalf("Error() = %q", msg)
		}
		// A token of 16 or more letters and digits can only appear in the
		// text if it leaked: no fixed part of the message holds such a run,
		// and the marker (plugin.Redacted, "***") has no letters. Tokens of other shapes could be
		// rebuilt from the fixed text around them, so they are not checked.
		if token == alnum(token) && len(token) >= 16 {
			for _, s := range append([]string{msg, e.Code, e.Message}, e.Errors...) {
				if strings.Contains(s, token) {
					t.Fatalf("token leaked: %q", s)
				}
			}
		}
		const prefix = "error answer is not PayMaster JSON: "
		if strings.HasPrefix(e.Message, prefix) && e.Code == "" && len(e.Message) > len(prefix)+200+len("…") {
			t.Fatalf("non-JSON error text not shortened: %d bytes", len(e.Message))
		}
	})
}

func FuzzRetryAfter(f *testing.F) {
	now := time.Date(2024, 5, 1, 10, 0, 0, 0, time.UTC)
	for _, s := range []string{
		"2", "0", "120", "-1", "86400", "86401", "9223372036854775807", "99999999999999999999",
		" 3 ", "+5", "1.5", "1e3", "0x10", "", "   ",
		"Wed, 01 May 2024 10:00:30 GMT", "Fri, 31 Dec 1999 23:59:59 GMT", "Fri, 31 Dec 9999 23:59:59 GMT",
		"Wednesday, 01-May-24 10:00:30 GMT", "Wed May  1 10:00:30 2024", "Wed, 01 May 2024 10:00:30 +0300",
		"tomorrow",
	} {
		f.Add(s, now.Unix(), 429, int64(time.Second), int64(30*time.Second), 3)
	}
	f.Add("5", int64(0), 503, int64(0), int64(0), 0)
	f.Add("7", int64(-62135596800), 500, int64(time.Millisecond), int64(-time.Second), 70)
	f.Fuzz(func(t *testing.T, v string, nowUnix int64, status int, lo, hi int64, attempt int) {
		now := time.Unix(nowUnix, 0)
		d, ok := RetryAfter(v, now)
		if d < 0 || (!ok && d != 0) {
			t.Fatalf("RetryAfter(%q) = %v, %v", v, d, ok)
		}
		if n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64); err == nil && ok {
			want := min(time.Duration(n)*time.Second, 24*time.Hour)
			if n > 86400 {
				want = 24 * time.Hour
			}
			if d != want {
				t.Fatalf("RetryAfter(%q) = %v, want %v (seconds, capped at 24h)", v, d, want)
			}
		}

		// Backoff never waits less than nothing or more than the cap.
		if lo < 0 || attempt < 0 {
			t.Skip("negative minimum wait or attempt: not a configuration")
		}
		resp := &http.Response{StatusCode: status, Header: http.Header{"Retry-After": {v}}}
		b := BackoffAt(now, time.Duration(lo), time.Duration(hi), attempt%100, resp)
		limit := max(time.Duration(lo), time.Duration(hi))
		if b < 0 || b > limit {
			t.Fatalf("BackoffAt(lo=%v, hi=%v, attempt %d, %d Retry-After %q) = %v, want within [0, %v]",
				time.Duration(lo), time.Duration(hi), attempt, status, v, b, limit)
		}
		if (status == 429 || status == 503) && ok && b != min(d, limit) {
			t.Fatalf("BackoffAt ignored Retry-After %q on %d: %v, want %v", v, status, b, min(d, limit))
		}
	})
}

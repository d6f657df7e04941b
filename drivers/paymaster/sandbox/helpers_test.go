package sandbox_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"

	"github.com/sbpd/sbpd/drivers/paymaster/sandbox"
	"github.com/sbpd/sbpd/plugin"
)

// fakeClock adapts clockwork's fake clock to plugin.Clock.
type fakeClock struct{ *clockwork.FakeClock }

func (c fakeClock) NewTimer(d time.Duration) plugin.Timer { return c.FakeClock.NewTimer(d) }

var t0 = time.Date(2024, 6, 1, 10, 0, 0, 0, time.UTC)

const (
	token    = "test-token-7c1d"
	merchant = "0b7c2f9e-3a51-4c1d-9e8a-5f2d6c7b8a90"
)

// MustStart starts a sandbox on a loopback port and closes it with the test.
func MustStart(tb testing.TB, opts sandbox.Options) (*sandbox.Server, string) {
	tb.Helper()
	if opts.Token == "" {
		opts.Token = token
	}
	if opts.MerchantID == "" {
		opts.MerchantID = merchant
	}
	s := sandbox.New(opts)
	base, err := s.Start("")
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { s.Close() })
	return s, base
}

type answer struct {
	Status int
	Header http.Header
	Body   []byte
}

func (a answer) JSON(tb testing.TB) map[string]any {
	tb.Helper()
	var m map[string]any
	if err := json.Unmarshal(a.Body, &m); err != nil {
		tb.Fatalf("answer %d is not a JSON object: %v: %s", a.Status, err, a.Body)
	}
	return m
}

// apiErr decodes an API error body.
func (a answer) apiErr(tb testing.TB) (code string, errs []string) {
	tb.Helper()
	var e struct {
		Code    string   `json:"code"`
		Message string   `json:"message"`
		Errors  []string `json:"errors"`
	}
	if err := json.Unmarshal(a.Body, &e); err != nil {
		tb.Fatalf("answer %d is not an API error: %v: %s", a.Status, err, a.Body)
	}
	if e.Message == "" {
		tb.Errorf("API error %s has no message", e.Code)
	}
	return e.Code, e.Errors
}

// call sends one request. auth "" sends no Authorization header.
func call(tb testing.TB, method, url, auth string, body any, hdr ...string) answer {
	tb.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	default:
		data, err := json.Marshal(b)
		if err != nil {
			tb.Fatal(err)
		}
		rd = bytes.NewReader(data)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, method, url, rd)
	if err != nil {
		tb.Fatal(err)
	}
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		tb.Fatalf("%s %s: %v", method, url, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		tb.Fatalf("%s %s: read: %v", method, url, err)
	}
	return answer{Status: resp.StatusCode, Header: resp.Header, Body: data}
}

const bearer = "Bearer " + token

// createBody is a valid create request on the real clock; mutate it per
// test, or use expiring for a fake clock.
func createBody(orderNo string) map[string]any {
	return expiring(orderNo, time.Now().Add(time.Hour))
}

func expiring(orderNo string, expires time.Time) map[string]any {
	return map[string]any{
		"merchantId": merchant,
		"testMode":   true,
		"invoice": map[string]any{
			"description": "Self-checkout K07, receipt 000153",
			"orderNo":     orderNo,
			"expires":     expires.UTC().Format(time.RFC3339),
			"params":      map[string]string{"kiosk": "K07"},
		},
		"amount":      map[string]any{"value": json.Number("259.90"), "currency": "RUB"},
		"paymentData": map[string]any{"paymentMethod": "SBP"},
	}
}

// mustCreate creates a payment and returns its id.
func mustCreate(tb testing.TB, base, orderNo string, body map[string]any, key string) string {
	tb.Helper()
	if body == nil {
		body = createBody(orderNo)
	}
	var hdr []string
	if key != "" {
		hdr = []string{"Idempotency-Key", key}
	}
	a := call(tb, "POST", base+"/api/v2/payments", bearer, body, hdr...)
	if a.Status != http.StatusOK {
		tb.Fatalf("create %s: HTTP %d: %s", orderNo, a.Status, a.Body)
	}
	id, _ := a.JSON(tb)["id"].(string)
	if id == "" {
		tb.Fatalf("create %s: no id in %s", orderNo, a.Body)
	}
	return id
}

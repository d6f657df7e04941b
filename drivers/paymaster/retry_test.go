package paymaster

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"syscall"
	"testing"
	"time"
)

func answer(status int, retryAfter string) *http.Response {
	h := http.Header{}
	if retryAfter != "" {
		h.Set("Retry-After", retryAfter)
	}
	return &http.Response{StatusCode: status, Header: h}
}

func TestBackoff_RetryAfter(t *testing.T) {
	now := time.Date(2024, 6, 1, 10, 0, 0, 0, time.UTC)
	lo, hi := 200*time.Millisecond, 5*time.Second
	tests := []struct {
		name    string
		resp    *http.Response
		attempt int
		want    time.Duration
	}{
		{"429 seconds", answer(429, "2"), 0, 2 * time.Second},
		{"503 seconds", answer(503, "3"), 2, 3 * time.Second},
		{"429 zero", answer(429, "0"), 3, 0},
		{"capped at max", answer(429, "120"), 0, hi},
		{"http date", answer(503, now.Add(4*time.Second).Format(http.TimeFormat)), 0, 4 * time.Second},
		{"date in the past", answer(429, now.Add(-time.Minute).Format(http.TimeFormat)), 1, 0},
		{"garbage header", answer(429, "soon"), 1, 400 * time.Millisecond},
		{"negative", answer(429, "-5"), 0, lo},
		{"ignored on 500", answer(500, "2"), 0, lo},
		{"no answer", nil, 0, lo},
	}
	for _, tt := range tests {
		if got := BackoffAt(now, lo, hi, tt.attempt, tt.resp); got != tt.want {
			t.Errorf("%s: %s, want %s", tt.name, got, tt.want)
		}
	}
}

func TestBackoff_Exponential(t *testing.T) {
	lo, hi := 200*time.Millisecond, 5*time.Second
	want := []time.Duration{200, 400, 800, 1600, 3200, 5000, 5000}
	for i, w := range want {
		if got := Backoff(lo, hi, i, answer(500, "")); got != w*time.Millisecond {
			t.Errorf("attempt %d: %s, want %s", i, got, w*time.Millisecond)
		}
	}
	if got := Backoff(lo, hi, 200, nil); got != hi {
		t.Errorf("attempt 200: %s, want %s", got, hi)
	}
}

func TestRetryAfter(t *testing.T) {
	now := time.Now()
	if d, ok := RetryAfter("2", now); !ok || d != 2*time.Second {
		t.Errorf(`RetryAfter("2") = %s, %v`, d, ok)
	}
	if _, ok := RetryAfter("", now); ok {
		t.Error(`RetryAfter("") ok`)
	}
	if d, ok := RetryAfter("99999999999", now); !ok || d != 24*time.Hour {
		t.Errorf("huge Retry-After = %s, %v; want clamped to a day", d, ok)
	}
}

type timeoutErr struct{}

func (timeoutErr) Error() string   { return "i/o timeout" }
func (timeoutErr) Timeout() bool   { return true }
func (timeoutErr) Temporary() bool { return true }

func TestRetryPolicy(t *testing.T) {
	urlErr := func(err error) error { return &url.Error{Op: "Get", URL: "http://x/api/v2/payments/1", Err: err} }
	opErr := func(errno syscall.Errno) error {
		return urlErr(&net.OpError{Op: "dial", Net: "tcp", Err: os.NewSyscallError("connect", errno)})
	}
	tests := []struct {
		name   string
		resend bool
		resp   *http.Response
		err    error
		want   bool
	}{
		{"500", true, answer(500, ""), nil, true},
		{"502", true, answer(502, ""), nil, true},
		{"503", true, answer(503, ""), nil, true},
		{"504", true, answer(504, ""), nil, true},
		{"429", true, answer(429, ""), nil, true},
		{"501 is final", true, answer(501, ""), nil, false},
		{"200", true, answer(200, ""), nil, false},
		{"400", true, answer(400, ""), nil, false},
		{"401", true, answer(401, ""), nil, false},
		{"404", true, answer(404, ""), nil, false},
		{"409", true, answer(409, ""), nil, false},
		{"refused", true, nil, opErr(syscall.ECONNREFUSED), true},
		{"reset", true, nil, opErr(syscall.ECONNRESET), true},
		{"EOF", true, nil, urlErr(io.EOF), true},
		{"unexpected EOF", true, nil, urlErr(io.ErrUnexpectedEOF), true},
		{"timeout", true, nil, urlErr(timeoutErr{}), true},
		{"body read", true, nil, fmt.Errorf("read answer: %w", io.ErrUnexpectedEOF), true},
		{"bad certificate", true, nil, urlErr(x509.UnknownAuthorityError{}), false},
		{"bad hostname", true, nil, urlErr(x509.HostnameError{Host: "x"}), false},
		{"bad scheme", true, nil, urlErr(errors.New(`unsupported protocol scheme "ftp"`)), false},
		{"POST without key: 503", false, answer(503, ""), nil, false},
		{"POST without key: reset", false, nil, opErr(syscall.ECONNRESET), false},
	}
	for _, tt := range tests {
		got, err := RetryPolicy(context.Background(), tt.resend, tt.resp, tt.err)
		if got != tt.want || err != nil {
			t.Errorf("%s: %v, %v; want %v", tt.name, got, err, tt.want)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if retry, err := RetryPolicy(ctx, true, answer(503, ""), nil); retry || !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled context: %v, %v", retry, err)
	}
}

package paymaster

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// RetryPolicy decides whether a try is repeated. It is retryablehttp's
// CheckRetry with one more input: whether the request may be resent at all.
// GET and PUT may always be resent; a POST only when it carries an
// Idempotency-Key (then it is resent byte for byte with the same key).
//
// A retryable request is repeated on transport failures (connection
// refused or reset, EOF, timeouts), on 5xx other than 501 and on 429. A
// cancelled context stops at once. Certificate errors, bad URLs and every
// other answer are final.
func RetryPolicy(ctx context.Context, resend bool, resp *http.Response, err error) (bool, error) {
	if ctx.Err() != nil {
		return false, ctx.Err()
	}
	if !resend {
		return false, nil
	}
	if err != nil {
		return transient(err), nil
	}
	if resp == nil {
		return true, nil
	}
	return retryableStatus(resp.StatusCode), nil
}

func retryableStatus(code int) bool {
	return code == http.StatusTooManyRequests || (code >= 500 && code != http.StatusNotImplemented)
}

// transient reports whether a transport error is worth another try. Most
// are (refused, reset, EOF, timeouts); certificate failures and malformed
// requests are not.
func transient(err error) bool {
	var (
		unknownAuthority x509.UnknownAuthorityError
		hostname         x509.HostnameError
		invalid          x509.CertificateInvalidError
		verify           *tls.CertificateVerificationError
	)
	if errors.As(err, &unknownAuthority) || errors.As(err, &hostname) || errors.As(err, &invalid) || errors.As(err, &verify) {
		return false
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		msg := ue.Err.Error()
		for _, s := range []string{"unsupported protocol scheme", "stopped after", "invalid header", "certificate"} {
			if strings.Contains(msg, s) {
				return false
			}
		}
	}
	return true
}

// Backoff is the wait before retry number attemptNum+1 (attemptNum counts
// from 0). On 429 and 503 a Retry-After header, in seconds or as an HTTP
// date, is honoured, capped at max. Otherwise the wait doubles from min
// and is capped at max. It has the signature of retryablehttp.Backoff.
func Backoff(lo, hi time.Duration, attemptNum int, resp *http.Response) time.Duration {
	return BackoffAt(time.Now(), lo, hi, attemptNum, resp)
}

// BackoffAt is Backoff with the current time given, for HTTP-date
// Retry-After values; tests call it without sleeping.
func BackoffAt(now time.Time, lo, hi time.Duration, attemptNum int, resp *http.Response) time.Duration {
	if hi < lo {
		hi = lo
	}
	if resp != nil && (resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode == http.StatusServiceUnavailable) {
		if d, ok := RetryAfter(resp.Header.Get("Retry-After"), now); ok {
			return min(d, hi)
		}
	}
	d := lo
	for i := 0; i < attemptNum && d < hi; i++ {
		d *= 2
		if d <= 0 { // overflow
			return hi
		}
	}
	return min(d, hi)
}

// RetryAfter parses a Retry-After value: delay seconds ("2") or an HTTP
// date ("Fri, 31 Dec 1999 23:59:59 GMT"), relative to now. A date in the
// past means no wait. ok is false for an empty or unreadable value.
func RetryAfter(v string, now time.Time) (d time.Duration, ok bool) {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0, false
	}
	if n, err := strconv.ParseInt(v, 10, 64); err == nil {
		if n < 0 {
			return 0, false
		}
		if n > int64(24*time.Hour/time.Second) {
			n = int64(24 * time.Hour / time.Second)
		}
		return time.Duration(n) * time.Second, true
	}
	t, err := http.ParseTime(v)
	if err != nil {
		return 0, false
	}
	if d := t.Sub(now); d > 0 {
		return d, true
	}
	return 0, true
}

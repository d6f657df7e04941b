package probe

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"unicode/utf8"

	"github.com/sbpd/sbpd/plugin"
)

// Exchange is one request and its answer, as the probe writes it to --out
// (one JSON object a line) and as testdata/paymaster/*.jsonl hold them.
// Nothing secret is in it: no Authorization or cookie header, and the
// token is cut out of everything else.
type Exchange struct {
	// Step names what the probe was doing: ping, create, get, replay,
	// list, cancel, get_after_cancel, invalid (cleanup_list and
	// cleanup_cancel when a payment had to be found to be cancelled).
	Step   string `json:"step"`
	Method string `json:"method"`
	// Path is the API path with its query, below the base URL:
	// /api/v2/payments?end=…&merchantId=…&start=…
	Path           string            `json:"path"`
	RequestHeaders map[string]string `json:"request_headers,omitempty"`
	// RequestBody is the body when it is JSON, RequestText otherwise.
	RequestBody json.RawMessage `json:"request_body,omitempty"`
	RequestText string          `json:"request_text,omitempty"`
	// Status is 0 when no answer came; Error says why.
	Status          int               `json:"status,omitempty"`
	ResponseHeaders map[string]string `json:"response_headers,omitempty"`
	ResponseBody    json.RawMessage   `json:"response_body,omitempty"`
	ResponseText    string            `json:"response_text,omitempty"`
	// Truncated: the answer was longer than the probe reads (MaxBody).
	Truncated bool   `json:"truncated,omitempty"`
	Error     string `json:"error,omitempty"`
	ElapsedMS int64  `json:"elapsed_ms"`
}

const (
	// MaxBody is the most of an answer that is read, as in the driver.
	MaxBody = 4 << 20
	// maxText is the most of a body that is not JSON that is recorded.
	maxText = 64 << 10
	// maxLine is the longest transcript line ReadTranscript accepts.
	maxLine  = 2*MaxBody + 1<<20
	redacted = plugin.Redacted
)

// dropHeaders are never recorded.
var dropHeaders = map[string]bool{
	"Authorization":       true,
	"Proxy-Authorization": true,
	"Cookie":              true,
	"Set-Cookie":          true,
	"Set-Cookie2":         true,
}

// secretKey reports whether a JSON field name smells of a secret; its
// value is replaced in the record.
func secretKey(k string) bool {
	k = strings.ToLower(k)
	for _, s := range []string{"token", "secret", "password", "cookie", "authorization"} {
		if strings.Contains(k, s) {
			return true
		}
	}
	return false
}

// redactor cuts the secrets out of what is recorded or printed, in the
// forms they take in a query, a path and JSON too, longest first
// (plugin.Redact does the cutting).
type redactor []string

func newRedactor(secrets ...string) redactor {
	var r redactor
	for _, s := range secrets {
		if len(s) < 4 {
			continue
		}
		r = append(r, s)
		for _, v := range []string{url.QueryEscape(s), url.PathEscape(s), jsonEscaped(s)} {
			if v != s {
				r = append(r, v)
			}
		}
	}
	sort.Slice(r, func(i, j int) bool { return len(r[i]) > len(r[j]) })
	return r
}

func jsonEscaped(s string) string {
	b, _ := json.Marshal(s)
	return string(b[1 : len(b)-1])
}

func (r redactor) string(s string) string { return plugin.Redact(s, r...) }

func (r redactor) headers(h http.Header) map[string]string {
	if len(h) == 0 {
		return nil
	}
	out := map[string]string{}
	for k, vs := range h {
		k = http.CanonicalHeaderKey(k)
		if dropHeaders[k] || secretKey(k) {
			continue
		}
		out[k] = r.string(strings.Join(vs, ", "))
	}
	return out
}

// body returns b as recorded: compact JSON with secret fields replaced, or
// text (valid UTF-8, at most maxText bytes).
func (r redactor) body(b []byte) (json.RawMessage, string) {
	if len(bytes.TrimSpace(b)) == 0 {
		return nil, ""
	}
	if json.Valid(b) {
		var v any
		dec := json.NewDecoder(bytes.NewReader(b))
		dec.UseNumber()
		if dec.Decode(&v) == nil {
			var buf bytes.Buffer
			enc := json.NewEncoder(&buf)
			enc.SetEscapeHTML(false)
			if enc.Encode(scrub(v)) == nil {
				out := []byte(r.string(strings.TrimSpace(buf.String())))
				if json.Valid(out) {
					return out, ""
				}
			}
		}
	}
	s := strings.ToValidUTF8(string(b), "\uFFFD")
	if len(s) > maxText {
		cut := maxText
		for cut > 0 && !utf8.RuneStart(s[cut]) {
			cut--
		}
		s = s[:cut] + "…"
	}
	return nil, r.string(s)
}

// scrub replaces the values of secret-looking fields.
func scrub(v any) any {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			if secretKey(k) {
				x[k] = redacted
			} else {
				x[k] = scrub(e)
			}
		}
	case []any:
		for i, e := range x {
			x[i] = scrub(e)
		}
	}
	return v
}

// ReadTranscript reads exchanges written by the probe, one JSON object a
// line; blank lines are skipped.
func ReadTranscript(r io.Reader) ([]Exchange, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), maxLine)
	var out []Exchange
	for n := 1; sc.Scan(); n++ {
		line := bytes.TrimSpace(sc.Bytes())
		if len(line) == 0 {
			continue
		}
		var e Exchange
		dec := json.NewDecoder(bytes.NewReader(line))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&e); err != nil {
			return nil, fmt.Errorf("probe: transcript line %d: %w", n, err)
		}
		if e.Method == "" || !strings.HasPrefix(e.Path, "/") {
			return nil, fmt.Errorf("probe: transcript line %d: no method or path", n)
		}
		out = append(out, e)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("probe: read transcript: %w", err)
	}
	return out, nil
}

// WriteExchange writes e as one JSON line.
func WriteExchange(w io.Writer, e Exchange) error {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(e); err != nil {
		return err
	}
	_, err := w.Write(buf.Bytes())
	return err
}

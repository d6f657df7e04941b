package tillapi

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sbpd/sbpd/plugin"
)

const jsonType = "application/json; charset=utf-8"

// t0 is when the test payments were created.
var t0 = time.Date(2024, 5, 1, 10, 0, 0, 0, time.UTC)

// testPayment returns a payment as the engine would hand it out: not
// decorated, so the tests see that the API decorates.
func testPayment(id string, state plugin.State) plugin.Payment {
	return plugin.Payment{
		ID:          id,
		CheckID:     "000153",
		OrderNo:     "K07-000153-1",
		Amount:      25990,
		Mode:        plugin.ModeScreen,
		State:       state,
		PayMasterID: "40211873",
		QRPayload:   "https://qr.nspk.ru/AD100004BAL7227F9BNP6KNE007J9B3K?type=02&bank=100000000111",
		ExpiresAt:   t0.Add(5 * time.Minute),
		CreatedAt:   t0,
		UpdatedAt:   t0,
	}
}

// newTestServer serves s over real HTTP for the test's lifetime. Without a
// logger of its own, s logs at debug level to the test's output.
func newTestServer(t *testing.T, s *Server) *httptest.Server {
	t.Helper()
	if s.Logger == nil {
		s.Logger = slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	ts := httptest.NewServer(s.Handler())
	t.Cleanup(ts.Close)
	return ts
}

// response is an answer read in full.
type response struct {
	Status int
	Header http.Header
	Body   []byte
	Close  bool // the server closes the connection after this answer
}

// do sends a request and reads the answer. header is name, value pairs.
func do(t *testing.T, method, url, body string, header ...string) response {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, url, rd)
	if err != nil {
		t.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json") // as the till sends it; a header below may change it
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	return send(t, req)
}

// send sends req and reads the answer.
func send(t *testing.T, req *http.Request) response {
	t.Helper()
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatalf("%s %s: read body: %v", req.Method, req.URL, err)
	}
	return response{Status: res.StatusCode, Header: res.Header, Body: b, Close: res.Close}
}

// object decodes a JSON object answer, checking its Content-Type.
func (r response) object(t *testing.T) map[string]any {
	t.Helper()
	if ct := r.Header.Get("Content-Type"); ct != jsonType {
		t.Errorf("Content-Type = %q, want %q", ct, jsonType)
	}
	var m map[string]any
	if err := json.Unmarshal(r.Body, &m); err != nil {
		t.Fatalf("body is not a JSON object: %v\n%s", err, r.Body)
	}
	return m
}

// payment decodes a payment answer with the given status.
func (r response) payment(t *testing.T, status int) map[string]any {
	t.Helper()
	if r.Status != status {
		t.Fatalf("status = %d, want %d; body %s", r.Status, status, r.Body)
	}
	return r.object(t)
}

// wantError checks an error answer: the status, the exact shape
// {"error":{"code","message"}}, the code and a message; it returns the
// message.
func (r response) wantError(t *testing.T, status int, code string) string {
	t.Helper()
	if r.Status != status {
		t.Errorf("status = %d, want %d; body %s", r.Status, status, r.Body)
	}
	if ct := r.Header.Get("Content-Type"); ct != jsonType {
		t.Errorf("Content-Type = %q, want %q", ct, jsonType)
	}
	var body struct {
		Error *struct {
			Code    string `json:"code"`
			Message string `json:"message"`
		} `json:"error"`
	}
	dec := json.NewDecoder(bytes.NewReader(r.Body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&body); err != nil || body.Error == nil {
		t.Fatalf("not an error body (%v): %s", err, r.Body)
	}
	if body.Error.Code != code {
		t.Errorf("error code = %q, want %q; message %q", body.Error.Code, code, body.Error.Message)
	}
	if strings.TrimSpace(body.Error.Message) == "" {
		t.Errorf("error message is empty")
	}
	return body.Error.Message
}

// logBuffer is a concurrency-safe sink for captured logs.
type logBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// captureLogs returns a debug-level logger writing to the returned buffer.
func captureLogs() (*slog.Logger, *logBuffer) {
	buf := &logBuffer{}
	return slog.New(slog.NewTextHandler(buf, &slog.HandlerOptions{Level: slog.LevelDebug})), buf
}

// getPayment is a GetFn answering with a payment in state for any id.
func getPayment(state plugin.State) func(ctx context.Context, id string) (plugin.Payment, error) {
	return func(_ context.Context, id string) (plugin.Payment, error) {
		return testPayment(id, state), nil
	}
}

package sandbox

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Fault disturbs matching /api/v2/ requests. Faults apply in the order they
// were added: for each request every matching fault is used in turn until
// one that answers (Status, Drop or Malformed); later faults are left for
// later requests. A Latency-only fault only delays.
type Fault struct {
	Method string // "" matches any method
	Path   string // prefix of the request path; "" matches any /api/v2/ path
	Times  int    // how many matching requests it applies to; 0 means until ClearFaults

	Latency    time.Duration // wait before answering; stops early if the client goes away
	Status     int           // answer with this status and an error body, e.g. 500, 503, 429
	RetryAfter string        // Retry-After header sent with Status
	Drop       bool          // close the connection without an answer
	Malformed  bool          // answer 200 with a truncated JSON body

	// AfterHandling runs the real API first (the payment IS created or
	// cancelled) and then applies the fault to its answer: accepted but
	// never answered.
	AfterHandling bool
}

// Validate reports a fault that makes no sense.
func (f Fault) Validate() error {
	n := 0
	for _, b := range []bool{f.Status != 0, f.Drop, f.Malformed} {
		if b {
			n++
		}
	}
	switch {
	case f.Times < 0:
		return fmt.Errorf("sandbox: fault: times must be 0 (until cleared) or more, not %d", f.Times)
	case f.Latency < 0:
		return fmt.Errorf("sandbox: fault: latency must not be negative")
	case f.Status != 0 && (f.Status < 100 || f.Status > 599):
		return fmt.Errorf("sandbox: fault: status %d is not an HTTP status", f.Status)
	case n > 1:
		return errors.New("sandbox: fault: choose one of status, drop and malformed")
	case n == 0 && f.Latency == 0:
		return errors.New("sandbox: fault: it does nothing: set latency, status, drop or malformed")
	case f.RetryAfter != "" && f.Status == 0:
		return errors.New("sandbox: fault: retry_after needs a status")
	case f.Path != "" && !strings.HasPrefix(f.Path, "/"):
		return fmt.Errorf("sandbox: fault: path %q must start with /, e.g. /api/v2/payments", f.Path)
	case strings.ContainsAny(f.RetryAfter, "\r\n"):
		return errors.New("sandbox: fault: retry_after must be one line")
	}
	return nil
}

func (f Fault) answers() bool { return f.Status != 0 || f.Drop || f.Malformed }

func (f Fault) matches(method, path string) bool {
	if f.Method != "" && !strings.EqualFold(f.Method, method) {
		return false
	}
	return strings.HasPrefix(path, f.Path)
}

// String describes the fault for logs and Requests.
func (f Fault) String() string {
	var parts []string
	if f.AfterHandling {
		parts = append(parts, "after handling")
	}
	if f.Latency > 0 {
		parts = append(parts, "latency "+f.Latency.String())
	}
	switch {
	case f.Status != 0:
		s := "status " + strconv.Itoa(f.Status)
		if f.RetryAfter != "" {
			s += " retry-after " + f.RetryAfter
		}
		parts = append(parts, s)
	case f.Drop:
		parts = append(parts, "drop")
	case f.Malformed:
		parts = append(parts, "malformed")
	}
	return strings.Join(parts, ", ")
}

type activeFault struct {
	Fault
	left int // -1: until cleared
}

// AddFault appends a fault. See Fault for the order they apply in.
func (s *Server) AddFault(f Fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	left := f.Times
	if left == 0 {
		left = -1
	}
	s.faults = append(s.faults, &activeFault{Fault: f, left: left})
}

// ClearFaults removes every fault.
func (s *Server) ClearFaults() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = nil
}

// pickFaults uses up the faults for one request. Call with s.mu held.
func (s *Server) pickFaults(method, path string) []Fault {
	var out []Fault
	kept := s.faults[:0]
	stop := false
	for _, af := range s.faults {
		if !stop && af.matches(method, path) {
			out = append(out, af.Fault)
			if af.left > 0 {
				af.left--
			}
			stop = af.answers()
		}
		if af.left != 0 {
			kept = append(kept, af)
		}
	}
	for i := len(kept); i < len(s.faults); i++ {
		s.faults[i] = nil
	}
	s.faults = kept
	return out
}

// applyFault carries a fault out. rec is the API's answer when the fault
// applies after handling. It returns false when the request is finished.
func (s *Server) applyFault(w http.ResponseWriter, r *http.Request, f Fault, rec *recorder) bool {
	if f.Latency > 0 && !s.sleep(r.Context(), f.Latency) {
		// The client went away or the sandbox is closing: answer nothing,
		// rather than the empty 200 net/http would send.
		drop(w)
		return false
	}
	switch {
	case f.Drop:
		drop(w)
		return false
	case f.Malformed:
		body := []byte(`{"id":"4021`)
		if rec != nil && rec.body.Len() > 1 {
			body = rec.body.Bytes()[:rec.body.Len()/2]
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusOK)
		w.Write(body)
		return false
	case f.Status != 0:
		code := "sandbox_fault"
		switch {
		case f.Status == http.StatusTooManyRequests:
			code = "too_many_requests"
		case f.Status >= 500:
			code = "internal_error"
		}
		if f.RetryAfter != "" {
			w.Header().Set("Retry-After", f.RetryAfter)
		}
		writeJSON(w, f.Status, apiError{Code: code, Message: fmt.Sprintf("Sandbox fault: injected HTTP %d", f.Status)})
		return false
	}
	return true
}

func (s *Server) sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	case <-s.done:
		return false
	}
}

// drop closes the connection without writing an answer.
func drop(w http.ResponseWriter) {
	if hj, ok := w.(http.Hijacker); ok {
		if conn, _, err := hj.Hijack(); err == nil {
			conn.Close()
			return
		}
	}
	panic(http.ErrAbortHandler) // the server drops the connection quietly
}

// recorder keeps an API answer so a fault can be applied to it.
type recorder struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func newRecorder() *recorder { return &recorder{header: http.Header{}} }

func (r *recorder) Header() http.Header { return r.header }

func (r *recorder) WriteHeader(status int) {
	if r.status == 0 {
		r.status = status
	}
}

func (r *recorder) Write(b []byte) (int, error) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	return r.body.Write(b)
}

func (r *recorder) flush(w http.ResponseWriter) {
	for k, v := range r.header {
		w.Header()[k] = v
	}
	if r.status == 0 {
		r.status = http.StatusOK
	}
	w.WriteHeader(r.status)
	w.Write(r.body.Bytes())
}

// faultJSON is Fault on the control endpoint, durations as strings.
type faultJSON struct {
	Method        string `json:"method"`
	Path          string `json:"path"`
	Times         int    `json:"times"`
	Latency       string `json:"latency"`
	Status        int    `json:"status"`
	RetryAfter    string `json:"retry_after"`
	Drop          bool   `json:"drop"`
	Malformed     bool   `json:"malformed"`
	AfterHandling bool   `json:"after_handling"`
}

func (j faultJSON) fault() (Fault, error) {
	f := Fault{Method: strings.ToUpper(j.Method), Path: j.Path, Times: j.Times, Status: j.Status,
		RetryAfter: j.RetryAfter, Drop: j.Drop, Malformed: j.Malformed, AfterHandling: j.AfterHandling}
	if j.Latency != "" {
		d, err := time.ParseDuration(j.Latency)
		if err != nil {
			return Fault{}, fmt.Errorf("sandbox: fault: latency %q is not a duration like \"1.5s\" or \"200ms\"", j.Latency)
		}
		f.Latency = d
	}
	return f, f.Validate()
}

func decodeStrict(data []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return err
	}
	if dec.More() {
		return errors.New("trailing data after the JSON object")
	}
	return nil
}

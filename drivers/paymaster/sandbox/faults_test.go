package sandbox_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/sbpd/sbpd/drivers/paymaster/sandbox"
)

// rawDo sends a request and returns the transport error, if any.
func rawDo(t *testing.T, ctx context.Context, method, url string, body any) (int, []byte, error) {
	t.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = strings.NewReader(string(b))
	}
	req, _ := http.NewRequestWithContext(ctx, method, url, rd)
	req.Header.Set("Authorization", bearer)
	// A fresh transport per request: no idle connection is reused, so the
	// client reports a drop rather than silently retrying.
	client := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
	resp, err := client.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	return resp.StatusCode, data, err
}

func TestServer_Faults(t *testing.T) {
	ctx := context.Background()
	t.Run("status in order then through", func(t *testing.T) {
		s, base := MustStart(t, sandbox.Options{})
		id := mustCreate(t, base, "F-1", nil, "")
		s.AddFault(sandbox.Fault{Method: "GET", Status: 500, Times: 1})
		s.AddFault(sandbox.Fault{Method: "GET", Status: 429, RetryAfter: "2", Times: 1})
		s.AddFault(sandbox.Fault{Method: "PUT", Status: 502}) // does not match GET
		var got []int
		for range 3 {
			a := call(t, "GET", base+"/api/v2/payments/"+id, bearer, nil)
			got = append(got, a.Status)
			if a.Status == 429 {
				if code, _ := a.apiErr(t); code != "too_many_requests" || a.Header.Get("Retry-After") != "2" {
					t.Errorf("429: code %q, Retry-After %q", code, a.Header.Get("Retry-After"))
				}
			}
		}
		if got[0] != 500 || got[1] != 429 || got[2] != 200 {
			t.Errorf("statuses %v, want [500 429 200]", got)
		}
		if s.Calls(sandbox.KindGet) != 3 || s.Handled(sandbox.KindGet) != 1 || s.PaymentCalls(id, sandbox.KindGet) != 3 {
			t.Errorf("Calls %d, Handled %d, PaymentCalls %d; want 3, 1, 3",
				s.Calls(sandbox.KindGet), s.Handled(sandbox.KindGet), s.PaymentCalls(id, sandbox.KindGet))
		}
		reqs := s.Requests()
		if last := reqs[len(reqs)-1]; len(last.Faults) != 0 || reqs[len(reqs)-3].Faults[0] != "status 500" {
			t.Errorf("requests: %+v", reqs)
		}
	})
	t.Run("path prefix", func(t *testing.T) {
		s, base := MustStart(t, sandbox.Options{Stickers: []string{"st"}})
		s.AddFault(sandbox.Fault{Path: "/api/v2/stickers", Status: 503})
		if a := call(t, "GET", base+"/api/v2/stickers/st", bearer, nil); a.Status != 503 {
			t.Errorf("sticker: HTTP %d", a.Status)
		}
		mustCreate(t, base, "F-2", nil, "") // not under the prefix
	})
	t.Run("drop before handling", func(t *testing.T) {
		s, base := MustStart(t, sandbox.Options{})
		s.AddFault(sandbox.Fault{Method: "POST", Drop: true, Times: 1})
		if _, _, err := rawDo(t, ctx, "POST", base+"/api/v2/payments", createBody("F-3")); err == nil {
			t.Fatal("dropped request got an answer")
		}
		if len(s.Payments()) != 0 || s.Calls(sandbox.KindCreate) != 1 || s.Handled(sandbox.KindCreate) != 0 {
			t.Errorf("payments %d, calls %d, handled %d", len(s.Payments()), s.Calls(sandbox.KindCreate), s.Handled(sandbox.KindCreate))
		}
	})
	t.Run("drop after handling", func(t *testing.T) {
		s, base := MustStart(t, sandbox.Options{})
		s.AddFault(sandbox.Fault{Method: "POST", Drop: true, AfterHandling: true, Times: 1})
		if _, _, err := rawDo(t, ctx, "POST", base+"/api/v2/payments", createBody("F-4")); err == nil {
			t.Fatal("dropped request got an answer")
		}
		if ps := s.Payments(); len(ps) != 1 || ps[0].OrderNo != "F-4" || s.Handled(sandbox.KindCreate) != 1 {
			t.Errorf("payments %+v", ps)
		}
	})
	t.Run("malformed", func(t *testing.T) {
		s, base := MustStart(t, sandbox.Options{})
		s.AddFault(sandbox.Fault{Method: "POST", Malformed: true, Times: 1})
		s.AddFault(sandbox.Fault{Method: "POST", Malformed: true, AfterHandling: true, Times: 1})
		for i, want := range []int{0, 1} {
			st, body, err := rawDo(t, ctx, "POST", base+"/api/v2/payments", createBody("F-5"))
			var v any
			if err != nil || st != 200 || json.Unmarshal(body, &v) == nil {
				t.Errorf("try %d: HTTP %d %q %v, want 200 with broken JSON", i, st, body, err)
			}
			if n := len(s.Payments()); n != want {
				t.Errorf("try %d: %d payments, want %d", i, n, want)
			}
		}
	})
	t.Run("status after handling", func(t *testing.T) {
		s, base := MustStart(t, sandbox.Options{})
		id := mustCreate(t, base, "F-6", nil, "")
		s.AddFault(sandbox.Fault{Method: "PUT", Status: 500, AfterHandling: true, Times: 1})
		if a := call(t, "PUT", base+"/api/v2/payments/"+id+"/cancel", bearer, nil); a.Status != 500 {
			t.Errorf("cancel: HTTP %d", a.Status)
		}
		if p, _ := s.Payment(id); p.Status != "Cancelled" {
			t.Errorf("the cancel was not carried out: %s", p.Status)
		}
	})
	t.Run("latency", func(t *testing.T) {
		s, base := MustStart(t, sandbox.Options{})
		id := mustCreate(t, base, "F-7", nil, "")
		s.AddFault(sandbox.Fault{Latency: 30 * time.Millisecond, Times: 1})
		start := time.Now()
		if a := call(t, "GET", base+"/api/v2/payments/"+id, bearer, nil); a.Status != 200 {
			t.Errorf("HTTP %d", a.Status)
		}
		if d := time.Since(start); d < 30*time.Millisecond {
			t.Errorf("answered after %s, want at least 30ms", d)
		}
	})
	t.Run("latency stops when the client goes away", func(t *testing.T) {
		s, base := MustStart(t, sandbox.Options{})
		s.AddFault(sandbox.Fault{Method: "POST", Latency: 2 * time.Second})
		cctx, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
		defer cancel()
		start := time.Now()
		if _, _, err := rawDo(t, cctx, "POST", base+"/api/v2/payments", createBody("F-8")); err == nil {
			t.Error("got an answer")
		}
		// The handler must not go on to create the payment.
		deadline := time.Now().Add(time.Second)
		for s.Calls(sandbox.KindCreate) == 0 && time.Now().Before(deadline) {
			time.Sleep(5 * time.Millisecond)
		}
		time.Sleep(20 * time.Millisecond)
		if n := len(s.Payments()); n != 0 || s.Handled(sandbox.KindCreate) != 0 {
			t.Errorf("abandoned request was handled: %d payments", n)
		}
		if d := time.Since(start); d > time.Second {
			t.Errorf("took %s", d)
		}
		// Close does not wait for the latency either.
		done := make(chan error, 1)
		go func() {
			_, _, err := rawDo(t, ctx, "POST", base+"/api/v2/payments", createBody("F-9"))
			done <- err
		}()
		for s.Calls(sandbox.KindCreate) < 2 && time.Now().Before(deadline) {
			time.Sleep(5 * time.Millisecond)
		}
		start = time.Now()
		s.Close()
		if d := time.Since(start); d > time.Second {
			t.Errorf("Close took %s", d)
		}
		select {
		case err := <-done:
			if err == nil {
				t.Error("request pending at Close got an answer")
			}
		case <-time.After(time.Second):
			t.Error("request pending at Close still waits")
		}
	})
	t.Run("clear", func(t *testing.T) {
		s, base := MustStart(t, sandbox.Options{})
		s.AddFault(sandbox.Fault{Status: 500})
		if a := call(t, "POST", base+"/api/v2/payments", bearer, createBody("F-10")); a.Status != 500 {
			t.Errorf("HTTP %d", a.Status)
		}
		s.ClearFaults()
		mustCreate(t, base, "F-10", nil, "")
	})
}

func TestFault_Validate(t *testing.T) {
	good := []sandbox.Fault{
		{Status: 500}, {Drop: true}, {Malformed: true}, {Latency: time.Millisecond},
		{Status: 429, RetryAfter: "1", Times: 2, Method: "GET", Path: "/api/v2/payments"},
	}
	for _, f := range good {
		if err := f.Validate(); err != nil {
			t.Errorf("%+v: %v", f, err)
		}
	}
	bad := []sandbox.Fault{
		{}, {Status: 42}, {Status: 500, Drop: true}, {Drop: true, Malformed: true}, {Latency: -1},
		{Status: 500, Times: -1}, {RetryAfter: "1", Latency: 1}, {Status: 500, Path: "x"},
		{Status: 503, RetryAfter: "1\r\nX-Evil: 1"},
	}
	for _, f := range bad {
		if err := f.Validate(); err == nil {
			t.Errorf("%+v: accepted", f)
		}
	}
}

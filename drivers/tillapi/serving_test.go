package tillapi

import (
	"context"
	"net"
	"net/http"
	"testing"
)

// TestServing_CloseEndsStreams: Close cancels the context of an open event
// stream, so shutting down does not wait for it, and Wait then reports a
// clean stop.
func TestServing_CloseEndsStreams(t *testing.T) {
	entered, ended := make(chan struct{}), make(chan struct{})
	var cause error
	s := &Server{Payments: &fakePayments{}, Streams: []string{"GET /stream"}, Extra: map[string]http.Handler{
		"GET /stream": http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(http.StatusOK)
			w.(http.Flusher).Flush()
			close(entered)
			<-r.Context().Done()
			cause = context.Cause(r.Context())
			close(ended)
		}),
	}}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	r := s.Start(ln)
	if r.Addr().String() != ln.Addr().String() {
		t.Fatalf("Addr %s, want %s", r.Addr(), ln.Addr())
	}
	req, _ := http.NewRequest(http.MethodGet, "http://"+r.Addr().String()+"/stream", nil)
	req.Header.Set("Accept", "text/event-stream")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("stream: %s", resp.Status)
	}
	<-entered
	r.Close()
	<-ended
	if cause != errClosing {
		t.Fatalf("the stream ended by %v, want Close's cancel (%v)", cause, errClosing)
	}
	if err := r.Wait(context.Background()); err != nil {
		t.Fatalf("Wait after Close: %v, want nil", err)
	}
}

// TestServing_WaitReportsFailure: a listener that fails stops serving, and
// Wait says why; a done context makes Wait return nil at once.
func TestServing_WaitReportsFailure(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	r := (&Server{Payments: &fakePayments{}}).Start(ln)
	defer r.Close()
	done, cancel := context.WithCancel(context.Background())
	cancel()
	if err := r.Wait(done); err != nil {
		t.Fatalf("Wait on a done context: %v, want nil", err)
	}
	ln.Close()
	if err := r.Wait(context.Background()); err == nil {
		t.Fatal("Wait after the listener failed: nil, want its error")
	}
}

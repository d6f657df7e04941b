package tillapi

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/sbpd/sbpd/plugin"
)

// sseEvent is one block of an event stream: an event with data, or a
// comment line.
type sseEvent struct {
	Name, Data, Comment string
}

// sseStream reads an event stream answer.
type sseStream struct {
	res    *http.Response
	r      *bufio.Reader
	cancel context.CancelFunc
}

// openEvents opens GET url as an event stream and checks the answer's
// status and Content-Type. The stream is closed when the test ends, and
// after 10 s at the latest so a hung stream fails instead of hanging.
func openEvents(t *testing.T, url string) *sseStream {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	req, err := http.NewRequestWithContext(ctx, "GET", url, nil)
	if err != nil {
		t.Fatal(err)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	s := &sseStream{res: res, r: bufio.NewReader(res.Body), cancel: cancel}
	t.Cleanup(s.close)
	if res.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(res.Body)
		t.Fatalf("status = %d, want 200; body %s", res.StatusCode, b)
	}
	if ct := res.Header.Get("Content-Type"); ct != "text/event-stream; charset=utf-8" {
		t.Errorf("Content-Type = %q", ct)
	}
	return s
}

func (s *sseStream) close() {
	s.cancel()
	s.res.Body.Close()
}

// next reads the next block; io.EOF means the server ended the stream.
func (s *sseStream) next() (sseEvent, error) {
	var ev sseEvent
	seen := false
	for {
		line, err := s.r.ReadString('\n')
		if err != nil {
			if err == io.EOF && seen {
				return ev, io.ErrUnexpectedEOF
			}
			return ev, err
		}
		line = strings.TrimSuffix(line, "\n")
		switch {
		case line == "":
			if seen {
				return ev, nil
			}
		case strings.HasPrefix(line, ":"):
			ev.Comment = strings.TrimSpace(line[1:])
			seen = true
		case strings.HasPrefix(line, "event: "):
			ev.Name = line[len("event: "):]
			seen = true
		case strings.HasPrefix(line, "data: "):
			ev.Data += line[len("data: "):]
			seen = true
		default:
			return ev, errors.New("unexpected line " + line)
		}
	}
}

// nextPayment reads the next block, which must be a payment event.
func (s *sseStream) nextPayment(t *testing.T) map[string]any {
	t.Helper()
	ev, err := s.next()
	if err != nil {
		t.Fatalf("read event: %v", err)
	}
	if ev.Name != "payment" {
		t.Fatalf("got %+v, want a payment event", ev)
	}
	var p map[string]any
	if err := json.Unmarshal([]byte(ev.Data), &p); err != nil {
		t.Fatalf("event data is not JSON: %v: %s", err, ev.Data)
	}
	return p
}

// wantEnd checks that the server ends the stream.
func (s *sseStream) wantEnd(t *testing.T) {
	t.Helper()
	if ev, err := s.next(); err != io.EOF {
		t.Fatalf("got %+v, %v; want the end of the stream", ev, err)
	}
}

// waitStopped waits for the subscription to be released.
func waitStopped(t *testing.T, sub *subscription) {
	t.Helper()
	select {
	case <-sub.stopped:
	case <-time.After(5 * time.Second):
		t.Fatal("the subscription was not stopped")
	}
}

func TestEvents_Stream(t *testing.T) {
	sub := newSubscription()
	t.Cleanup(sub.stop)
	pay := &fakePayments{GetFn: getPayment(plugin.StateAwaitingPayment), SubscribeFn: sub.subscribe}
	ts := newTestServer(t, &Server{Payments: pay})

	s := openEvents(t, ts.URL+"/api/v1/payments/01JDE/events")
	if id := <-sub.calls; id != "01JDE" {
		t.Errorf("subscribed to %q", id)
	}
	if p := s.nextPayment(t); p["id"] != "01JDE" || p["state_code"] != 2.0 || p["message"] != plugin.TextScanScreen {
		t.Errorf("first event %v", p)
	}

	unknown := testPayment("01JDE", plugin.StateStatusUnknown)
	sub.send(unknown)
	sub.send(unknown) // no change: no event
	if p := s.nextPayment(t); p["state"] != "status_unknown" || p["dialog"] == nil {
		t.Errorf("update %v", p)
	}

	paid := testPayment("01JDE", plugin.StatePaid)
	sub.send(paid)
	if p := s.nextPayment(t); p["state"] != "paid" || p["state_code"] != 5.0 || p["message"] != plugin.TextPaid {
		t.Errorf("final %v", p)
	}
	s.wantEnd(t)
	waitStopped(t, sub)
}

func TestEvents_FinalAtOnce(t *testing.T) {
	sub := newSubscription()
	t.Cleanup(sub.stop)
	pay := &fakePayments{
		GetFn: func(_ context.Context, id string) (plugin.Payment, error) {
			p := testPayment(id, plugin.StateNotPaid)
			p.Reason = plugin.ReasonExpired
			return p, nil
		},
		SubscribeFn: sub.subscribe,
	}
	ts := newTestServer(t, &Server{Payments: pay})

	s := openEvents(t, ts.URL+"/api/v1/payments/01JDF/events")
	if p := s.nextPayment(t); p["state_code"] != 6.0 || p["message"] != plugin.TextExpired {
		t.Errorf("event %v", p)
	}
	s.wantEnd(t)
	waitStopped(t, sub)
}

func TestEvents_ClientGone(t *testing.T) {
	sub := newSubscription()
	t.Cleanup(sub.stop)
	pay := &fakePayments{GetFn: getPayment(plugin.StateAwaitingPayment), SubscribeFn: sub.subscribe}
	ts := newTestServer(t, &Server{Payments: pay})

	s := openEvents(t, ts.URL+"/api/v1/payments/01JDG/events")
	s.nextPayment(t)
	s.close()
	waitStopped(t, sub)
}

func TestEvents_SubscriptionClosed(t *testing.T) {
	// The engine may end a subscription itself, e.g. at shutdown.
	ch := make(chan plugin.Payment)
	stopped := make(chan struct{})
	pay := &fakePayments{
		GetFn: getPayment(plugin.StateAwaitingPayment),
		SubscribeFn: func(string) (<-chan plugin.Payment, func()) {
			return ch, func() { close(stopped) }
		},
	}
	ts := newTestServer(t, &Server{Payments: pay})

	s := openEvents(t, ts.URL+"/api/v1/payments/01JDH/events")
	s.nextPayment(t)
	close(ch)
	s.wantEnd(t)
	select {
	case <-stopped:
	case <-time.After(5 * time.Second):
		t.Fatal("stop was not called")
	}
}

func TestEvents_Heartbeat(t *testing.T) {
	sub := newSubscription()
	t.Cleanup(sub.stop)
	pay := &fakePayments{GetFn: getPayment(plugin.StateStatusUnknown), SubscribeFn: sub.subscribe}
	ts := newTestServer(t, &Server{Payments: pay, Heartbeat: 20 * time.Millisecond})

	s := openEvents(t, ts.URL+"/api/v1/payments/01JDP/events")
	s.nextPayment(t)
	for range 2 {
		ev, err := s.next()
		if err != nil || ev != (sseEvent{Comment: "ping"}) {
			t.Fatalf("got %+v, %v; want a ping", ev, err)
		}
	}
	sub.send(testPayment("01JDP", plugin.StateCanceling))
	for {
		ev, err := s.next()
		if err != nil {
			t.Fatal(err)
		}
		if ev.Comment == "ping" {
			continue
		}
		if ev.Name != "payment" || !strings.Contains(ev.Data, `"state":"canceling"`) {
			t.Fatalf("got %+v", ev)
		}
		break
	}
}

func TestEvents_NotFound(t *testing.T) {
	sub := newSubscription()
	t.Cleanup(sub.stop)
	pay := &fakePayments{
		GetFn: func(_ context.Context, id string) (plugin.Payment, error) {
			return plugin.Payment{}, plugin.Errorf(plugin.ENotFound, "no payment %s", id)
		},
		SubscribeFn: sub.subscribe,
	}
	ts := newTestServer(t, &Server{Payments: pay})

	do(t, "GET", ts.URL+"/api/v1/payments/01JDNONE/events", "").wantError(t, http.StatusNotFound, "not_found")
	waitStopped(t, sub)
}

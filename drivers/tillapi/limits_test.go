package tillapi

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sbpd/sbpd/plugin"
)

// limitedServer serves s on a loopback listener through s.Listener and
// s.HTTPServer, as the daemon does, and returns its address.
func limitedServer(t *testing.T, s *Server) string {
	t.Helper()
	if s.Payments == nil {
		s.Payments = &fakePayments{StartFn: func(context.Context, plugin.StartRequest) (plugin.Payment, bool, error) {
			return testPayment("p-1", plugin.StateCreating), true, nil
		}}
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := s.HTTPServer()
	go srv.Serve(s.Listener(ln))
	t.Cleanup(func() { srv.Close() })
	return ln.Addr().String()
}

// dialFrom opens a connection to addr from the loopback address from
// (127.0.0.2 plays another machine on the store network).
func dialFrom(from, addr string) (net.Conn, error) {
	d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(from)}, Timeout: 5 * time.Second}
	return d.Dial("tcp", addr)
}

// closedByServer reports whether the server has closed c: a read returns
// EOF or a reset at once, rather than waiting.
func closedByServer(c net.Conn) bool {
	c.SetReadDeadline(time.Now().Add(300 * time.Millisecond))
	_, err := c.Read(make([]byte, 1))
	var ne net.Error
	return err != nil && !(errors.As(err, &ne) && ne.Timeout())
}

// tillRequest is the till's own start from 127.0.0.1 on a new connection.
func tillRequest(t *testing.T, addr string) int {
	t.Helper()
	client := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
	res, err := client.Post("http://"+addr+"/api/v1/payments", "application/json",
		strings.NewReader(`{"check_id":"000153","amount":25990}`))
	if err != nil {
		t.Fatalf("the till's request: %v", err)
	}
	res.Body.Close()
	return res.StatusCode
}

// TestLimits_IdleConnectionsFromOnePeer: one machine opens far more idle
// connections than its cap; those over it are closed at once, and the
// till is answered all along. Another machine still gets its own share.
func TestLimits_IdleConnectionsFromOnePeer(t *testing.T) {
	addr := limitedServer(t, &Server{Limits: Limits{Conns: 40, PerPeer: 8, LoopbackReserve: 10}})
	var held []net.Conn
	t.Cleanup(func() {
		for _, c := range held {
			c.Close()
		}
	})
	open := func(from string, n int) (kept int) {
		for range n {
			c, err := dialFrom(from, addr)
			if err != nil {
				t.Fatalf("dial from %s: %v", from, err)
			}
			held = append(held, c)
		}
		return countKept(held[len(held)-n:])
	}
	if kept := open("127.0.0.2", 100); kept != 8 {
		t.Errorf("127.0.0.2 holds %d idle connections, want the cap of 8", kept)
	}
	if got := tillRequest(t, addr); got != http.StatusCreated {
		t.Errorf("the till got %d while 127.0.0.2 held its connections", got)
	}
	// Three more machines: together the others hold at most 40-10; the
	// newest are kept, the oldest (127.0.0.2's, which never showed a
	// token) closed to make room.
	kept := open("127.0.0.3", 8) + open("127.0.0.4", 8) + open("127.0.0.5", 8)
	if kept != 24 {
		t.Errorf("three more machines hold %d connections, want 24", kept)
	}
	if all := countKept(held); all != 30 {
		t.Errorf("other machines hold %d connections in all, want 40 - the 10 kept for this kiosk", all)
	}
	for i := range 5 {
		if got := tillRequest(t, addr); got != http.StatusCreated {
			t.Fatalf("the till's request %d got %d with the other machines at their cap", i, got)
		}
	}
	// A closed connection gives its place back, without closing another.
	for _, c := range held[100:108] {
		c.Close()
	}
	time.Sleep(200 * time.Millisecond) // for the server to read the closes
	if kept := waitKept(t, addr, "127.0.0.6", 1); kept != 1 {
		t.Errorf("after 8 connections closed, a new machine holds %d, want 1", kept)
	}
	if all := countKept(held); all != 22 {
		t.Errorf("a new connection in a freed place closed another: %d of the 22 left", all)
	}
}

// TestLimits_TillWithTokenKeepsItsPlace: sbpd listens on the store network
// with api.token and the till is another machine. Many machines fill the
// pool with connections that never show the token; the till's kept-alive
// connection is not the one closed, and a new connection of the till gets
// a place by closing the oldest of theirs.
func TestLimits_TillWithTokenKeepsItsPlace(t *testing.T) {
	const token = "till-api-token-4c1d9e8a5f2d"
	addr := limitedServer(t, &Server{Token: token, Limits: Limits{Conns: 40, PerPeer: 4, LoopbackReserve: 10}})
	till, err := dialFrom("127.0.9.9", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer till.Close()
	tillBR := bufio.NewReader(till)
	ask := func() int {
		t.Helper()
		till.SetDeadline(time.Now().Add(5 * time.Second))
		fmt.Fprintf(till, "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer %s\r\n\r\n", token)
		res, err := http.ReadResponse(tillBR, nil)
		if err != nil {
			t.Fatalf("the till's kept-alive connection: %v", err)
		}
		io.Copy(io.Discard, res.Body)
		return res.StatusCode
	}
	if ask() != 200 {
		t.Fatal("the till's first request")
	}
	var flood []net.Conn
	t.Cleanup(func() {
		for _, c := range flood {
			c.Close()
		}
	})
	for i := range 20 { // 20 machines × 4: far more than the 30 places of other machines
		for range 4 {
			c, err := dialFrom(fmt.Sprintf("127.0.3.%d", i+1), addr)
			if err != nil {
				t.Fatal(err)
			}
			flood = append(flood, c)
		}
	}
	if got := countKept(flood); got != 29 {
		t.Errorf("the flood holds %d connections, want 29 (30 for other machines, one the till's)", got)
	}
	if ask() != 200 {
		t.Error("the till's connection was closed by the flood")
	}
	// A second connection of the till, opened after the flood.
	c, err := dialFrom("127.0.9.9", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(5 * time.Second))
	fmt.Fprintf(c, "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer %s\r\n\r\n", token)
	if res, err := http.ReadResponse(bufio.NewReader(c), nil); err != nil || res.StatusCode != 200 {
		t.Errorf("a new connection of the till with the flood at its cap: %v", err)
	}
}

// countKept counts the connections the server has not closed, checking
// them all at once.
func countKept(conns []net.Conn) int {
	kept := make(chan bool, len(conns))
	for _, c := range conns {
		go func() { kept <- !closedByServer(c) }()
	}
	n := 0
	for range conns {
		if <-kept {
			n++
		}
	}
	return n
}

// waitKept opens n connections from from until they are kept (the server
// notices closed connections a moment later), up to a second.
func waitKept(t *testing.T, addr, from string, n int) int {
	t.Helper()
	for deadline := time.Now().Add(time.Second); ; {
		var conns []net.Conn
		for range n {
			c, err := dialFrom(from, addr)
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			conns = append(conns, c)
		}
		if kept := countKept(conns); kept == n || time.Now().After(deadline) {
			return kept
		}
	}
}

// TestLimits_SlowBody: a POST that announces 60,000 bytes and sends one is
// ended after Limits.Body, and the connection with it.
func TestLimits_SlowBody(t *testing.T) {
	addr := limitedServer(t, &Server{Limits: Limits{Body: 150 * time.Millisecond}})
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	fmt.Fprintf(c, "POST /api/v1/payments HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 60000\r\n\r\n{")
	start := time.Now()
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	res, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		t.Fatalf("no answer to a trickled body: %v", err)
	}
	io.Copy(io.Discard, res.Body)
	if res.StatusCode != http.StatusBadRequest {
		t.Errorf("status %d, want 400", res.StatusCode)
	}
	if !closedByServer(c) {
		t.Errorf("the connection stays open after the body timed out")
	}
	if took := time.Since(start); took > 3*time.Second {
		t.Errorf("held for %v", took)
	}
}

// TestLimits_SlowAnswerKeepsItsContext: the body deadline does not end a
// request whose answer takes longer than Limits.Body (a PayMaster create
// can take seconds).
func TestLimits_SlowAnswerKeepsItsContext(t *testing.T) {
	s := &Server{Limits: Limits{Body: 50 * time.Millisecond}}
	s.Payments = &fakePayments{StartFn: func(ctx context.Context, _ plugin.StartRequest) (plugin.Payment, bool, error) {
		select {
		case <-ctx.Done():
			return plugin.Payment{}, false, ctx.Err()
		case <-time.After(300 * time.Millisecond):
			return testPayment("p-1", plugin.StateCreating), true, nil
		}
	}}
	addr := limitedServer(t, s)
	if got := tillRequest(t, addr); got != http.StatusCreated {
		t.Errorf("a start slower than the body deadline got %d", got)
	}
}

// TestLimits_IdleKeepAlive: a kept-alive connection that sends nothing
// more is closed after Limits.Idle.
func TestLimits_IdleKeepAlive(t *testing.T) {
	addr := limitedServer(t, &Server{Limits: Limits{Idle: 100 * time.Millisecond}})
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	fmt.Fprintf(c, "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
	br := bufio.NewReader(c)
	res, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, res.Body)
	c.SetReadDeadline(time.Now().Add(3 * time.Second))
	if _, err := br.ReadByte(); err == nil || errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("an idle keep-alive connection was not closed: %v", err)
	}
}

// TestLimits_Streams: event streams are capped per address and in all;
// the one over a cap gets 429 at once, and the kept streams live on past
// the write deadline on keep-alive comments.
func TestLimits_Streams(t *testing.T) {
	updates := make(chan plugin.Payment)
	s := &Server{Heartbeat: 20 * time.Millisecond, Limits: Limits{Streams: 3, StreamsPerPeer: 2, Write: 100 * time.Millisecond}}
	s.Payments = &fakePayments{
		GetFn: func(context.Context, string) (plugin.Payment, error) {
			return testPayment("p-1", plugin.StateAwaitingPayment), nil
		},
		SubscribeFn: func(string) (<-chan plugin.Payment, func()) { return updates, func() {} },
	}
	addr := limitedServer(t, s)
	stream := func(from string) (*http.Response, net.Conn) {
		c, err := dialFrom(from, addr)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		fmt.Fprintf(c, "GET /api/v1/payments/p-1/events HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
		c.SetReadDeadline(time.Now().Add(5 * time.Second))
		res, err := http.ReadResponse(bufio.NewReader(c), nil)
		if err != nil {
			t.Fatal(err)
		}
		return res, c
	}
	a1, _ := stream("127.0.0.2")
	stream("127.0.0.2")
	over, _ := stream("127.0.0.2")
	if a1.StatusCode != 200 || over.StatusCode != http.StatusTooManyRequests {
		t.Fatalf("streams from one address: first %d, third %d; want 200 and 429", a1.StatusCode, over.StatusCode)
	}
	if b, _ := stream("127.0.0.3"); b.StatusCode != 200 {
		t.Fatalf("another address: %d", b.StatusCode)
	}
	if c, _ := stream("127.0.0.4"); c.StatusCode != http.StatusTooManyRequests {
		t.Fatalf("over the total: %d", c.StatusCode)
	}
	// The first stream is alive after 3 write deadlines: pings keep coming.
	br := bufio.NewReader(a1.Body)
	pings := 0
	for until := time.Now().Add(350 * time.Millisecond); time.Now().Before(until); {
		line, err := br.ReadString('\n')
		if err != nil {
			t.Fatalf("the stream ended after %d pings: %v", pings, err)
		}
		if line == ": ping\n" {
			pings++
		}
	}
	if pings < 5 {
		t.Errorf("%d pings in 350ms at a 20ms heartbeat", pings)
	}
}

// TestLimits_RefusalsLoggedOncePerSecond: a flood of refused connections
// from ever new addresses writes one log line, not one each, so it cannot
// drown the daemon's own messages.
func TestLimits_RefusalsLoggedOncePerSecond(t *testing.T) {
	var log syncBuffer
	addr := limitedServer(t, &Server{Logger: slog.New(slog.NewTextHandler(&log, nil)),
		Limits: Limits{Conns: 1000, PerPeer: 1, LoopbackReserve: 1}})
	var conns []net.Conn
	for i := range 300 { // 150 addresses, each over its cap once
		c, err := dialFrom(fmt.Sprintf("127.0.5.%d", 1+i%150), addr)
		if err != nil {
			t.Fatal(err)
		}
		conns = append(conns, c)
	}
	countKept(conns) // every refusal has happened
	for _, c := range conns {
		c.Close()
	}
	if n := strings.Count(log.String(), "refusing connections"); n < 1 || n > 2 {
		t.Errorf("%d log lines for the refusals, want one a second:\n%s", n, log.String())
	}
}

// syncBuffer is a bytes.Buffer safe for a logger and a reader.
type syncBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestLimits_PageStreamsApart: the kiosk page's event stream (a Streams
// pattern) has a budget of its own. A till on 127.0.0.1 holding all its
// streams, and other machines holding all the rest, do not take the page's
// place (found by a red team: eight API streams from the till left the
// screen with 429 and a stale state); the page's streams are capped among
// themselves in the same way.
func TestLimits_PageStreamsApart(t *testing.T) {
	s := &Server{Heartbeat: time.Hour, Streams: []string{"GET /screen/events"},
		Limits: Limits{Streams: 3, StreamsPerPeer: 2}}
	s.Payments = &fakePayments{
		GetFn: func(context.Context, string) (plugin.Payment, error) {
			return testPayment("p-1", plugin.StateAwaitingPayment), nil
		},
		SubscribeFn: func(string) (<-chan plugin.Payment, func()) { return make(chan plugin.Payment), func() {} },
	}
	s.Extra = map[string]http.Handler{"GET /screen/events": http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		w.WriteHeader(200)
		http.NewResponseController(w).Flush()
		<-r.Context().Done()
	})}
	addr := limitedServer(t, s)
	open := func(from, path string) int {
		t.Helper()
		c, err := dialFrom(from, addr)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		fmt.Fprintf(c, "GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n\r\n", path)
		c.SetReadDeadline(time.Now().Add(5 * time.Second))
		res, err := http.ReadResponse(bufio.NewReader(c), nil)
		if err != nil {
			t.Fatal(err)
		}
		return res.StatusCode
	}
	const api, page = "/api/v1/payments/p-1/events", "/screen/events"
	for i, from := range []string{"127.0.0.1", "127.0.0.1", "127.0.0.2"} {
		if got := open(from, api); got != 200 {
			t.Fatalf("API stream %d from %s: %d", i+1, from, got)
		}
	}
	if got := open("127.0.0.1", api); got != http.StatusTooManyRequests {
		t.Fatalf("the till's third API stream: %d, want 429", got)
	}
	if got := open("127.0.0.1", page); got != 200 {
		t.Fatalf("the page's stream while the till's streams are all taken: %d, want 200", got)
	}
	if got := open("127.0.0.1", page); got != 200 {
		t.Fatalf("a second page stream: %d, want 200", got)
	}
	if got := open("127.0.0.1", page); got != http.StatusTooManyRequests {
		t.Fatalf("a third page stream from one address: %d, want 429", got)
	}
}

// TestLimits_StreamsPerIPv6Prefix: one machine's IPv6 /64 counts as one
// address for the stream caps, as it does for the connection caps: it could
// otherwise take every stream with addresses of its own.
func TestLimits_StreamsPerIPv6Prefix(t *testing.T) {
	release, started := make(chan struct{}), make(chan struct{}, 4)
	s := &Server{Payments: &fakePayments{}, Streams: []string{"GET /screen/events"},
		Limits: Limits{Streams: 10, StreamsPerPeer: 2},
		Extra: map[string]http.Handler{"GET /screen/events": http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			started <- struct{}{}
			<-release
		})}}
	h := s.Handler()
	serve := func(from string) int {
		r := httptest.NewRequest("GET", "http://127.0.0.1/screen/events", nil)
		r.RemoteAddr = "[" + from + "]:40000"
		r.Header.Set("Accept", "text/event-stream")
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		return w.Code
	}
	var wg sync.WaitGroup
	for _, from := range []string{"2001:db8:0:7::1", "2001:db8:0:7::2"} {
		wg.Go(func() { serve(from) })
		<-started
	}
	third := make(chan int, 1)
	wg.Go(func() { third <- serve("2001:db8:0:7::3") })
	select {
	case got := <-third:
		if got != http.StatusTooManyRequests {
			t.Errorf("a third stream from the same /64: %d, want 429", got)
		}
	case <-started:
		t.Errorf("a third stream from the same /64 was let in")
	}
	close(release)
	wg.Wait()
}

package tillapi

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
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
	// Three more machines: together the others hold at most 40-10.
	kept := open("127.0.0.3", 10) + open("127.0.0.4", 10) + open("127.0.0.5", 10)
	if kept != 30-8 {
		t.Errorf("three more machines hold %d connections, want %d (40 - the 10 kept for this kiosk - the 8 of 127.0.0.2)", kept, 30-8)
	}
	for i := range 5 {
		if got := tillRequest(t, addr); got != http.StatusCreated {
			t.Fatalf("the till's request %d got %d with the other machines at their cap", i, got)
		}
	}
	// A closed connection gives its place back.
	for _, c := range held[:8] {
		c.Close()
	}
	if kept := waitKept(t, addr, "127.0.0.6", 1); kept != 1 {
		t.Errorf("after 8 connections closed, a new machine holds %d, want 1", kept)
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

package main

import (
	"bufio"
	"fmt"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"
)

// procStatus reads fields of /proc/PID/status in kB (or counts) and the
// number of open file descriptors.
func procStatus(t *testing.T, pid int) (rssKB, anonKB, threads, fds int) {
	t.Helper()
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		f := strings.Fields(line)
		if len(f) < 2 {
			continue
		}
		n, _ := strconv.Atoi(f[1])
		switch f[0] {
		case "VmRSS:":
			rssKB = n
		case "RssAnon:":
			anonKB = n
		case "Threads:":
			threads = n
		}
	}
	ents, err := os.ReadDir(fmt.Sprintf("/proc/%d/fd", pid))
	if err != nil {
		t.Fatal(err)
	}
	return rssKB, anonKB, threads, len(ents)
}

// keepAlive opens a connection from the loopback address from, sends one
// request and reads its answer, and leaves the connection open and idle,
// as the review's peer did (each connection after a 401 there).
func keepAlive(addr, from string) (net.Conn, error) {
	d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(from)}, Timeout: 5 * time.Second}
	c, err := d.Dial("tcp", addr)
	if err != nil {
		return nil, err
	}
	c.SetDeadline(time.Now().Add(5 * time.Second))
	fmt.Fprintf(c, "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
	res, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		c.Close()
		return nil, err
	}
	res.Body.Close()
	c.SetDeadline(time.Time{})
	return c, nil
}

// TestFootprint_IdleConnections measures what idle keep-alive connections
// cost the real sbpd process (memory, file descriptors, threads) and how
// many it keeps at its caps, while the till is answered. It is a
// measurement for BENCHMARKS.md and the unit's limits, not a test of
// speed: run it with scripts/bench-conns.sh (SBPD_FOOTPRINT=1).
func TestFootprint_IdleConnections(t *testing.T) {
	if os.Getenv("SBPD_FOOTPRINT") == "" {
		t.Skip("a measurement: SBPD_FOOTPRINT=1 (scripts/bench-conns.sh)")
	}
	sbpdBinary(t)
	r := newCrashRig(t, "")
	r.start()
	pid := r.proc.cmd.Process.Pid
	time.Sleep(time.Second) // settle after start
	rss0, anon0, thr0, fd0 := procStatus(t, pid)
	t.Logf("idle daemon: RSS %d KiB (anonymous %d KiB), %d threads, %d fds", rss0, anon0, thr0, fd0)

	// 1. Under the caps: 800 connections from 100 addresses (8 each),
	// what each costs.
	var held []net.Conn
	defer func() {
		for _, c := range held {
			c.Close()
		}
	}()
	for i := range 800 {
		c, err := keepAlive(r.proc.addr, fmt.Sprintf("127.0.%d.%d", 1+i/8/250, 2+(i/8)%250))
		if err != nil {
			t.Fatalf("connection %d: %v", i, err)
		}
		held = append(held, c)
	}
	time.Sleep(500 * time.Millisecond)
	rss1, anon1, thr1, fd1 := procStatus(t, pid)
	t.Logf("800 idle connections from 100 addresses: RSS %d KiB (+%d), anonymous +%d KiB = %.1f KiB a connection, %d threads, %d fds (+%d)",
		rss1, rss1-rss0, anon1-anon0, float64(anon1-anon0)/800, thr1, fd1, fd1-fd0)

	// 2. One address opens 5,000: it keeps its cap, the rest are closed.
	kept := 0
	for range 5000 {
		c, err := keepAlive(r.proc.addr, "127.0.200.1")
		if err != nil {
			continue // closed at accept: over the cap
		}
		kept++
		held = append(held, c)
	}
	rss2, anon2, thr2, fd2 := procStatus(t, pid)
	t.Logf("one address tried 5000 more: %d kept; RSS %d KiB, anonymous %d KiB, %d threads, %d fds", kept, rss2, anon2, thr2, fd2)
	if st := tillStatus(t, r.proc.addr); st != http.StatusOK {
		t.Errorf("the till got %d", st)
	}

	// 3. Many addresses: the others together stop at Conns-LoopbackReserve.
	for i := range 2000 {
		c, err := keepAlive(r.proc.addr, fmt.Sprintf("127.1.%d.%d", i/8/250, 2+(i/8)%250))
		if err == nil {
			held = append(held, c)
		}
	}
	rss3, anon3, thr3, fd3 := procStatus(t, pid)
	t.Logf("2000 more from 250 other addresses (the oldest closed for the newest at the cap): the daemon holds %d connections; RSS %d KiB, anonymous %d KiB, %d threads, %d fds",
		fd3-fd0, rss3, anon3, thr3, fd3)
	if st := tillStatus(t, r.proc.addr); st != http.StatusOK {
		t.Errorf("the till got %d with the other machines at their cap", st)
	}
}

// tillStatus is the till's GET /healthz from 127.0.0.1.
func tillStatus(t *testing.T, addr string) int {
	t.Helper()
	client := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
	res, err := client.Get("http://" + addr + "/healthz")
	if err != nil {
		t.Fatalf("the till: %v", err)
	}
	res.Body.Close()
	return res.StatusCode
}

package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sbpd/sbpd/config"
	"github.com/sbpd/sbpd/drivers/paymaster/sandbox"
	"github.com/sbpd/sbpd/plugin"
)

// timedSandbox serves the sandbox and adds up the time spent inside it, so
// a benchmark can subtract PayMaster's share from sbpd's answer time.
type timedSandbox struct {
	*sandbox.Server
	mu    sync.Mutex
	spent time.Duration
}

func (s *timedSandbox) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	t0 := time.Now()
	s.Server.Handler().ServeHTTP(w, r)
	d := time.Since(t0)
	s.mu.Lock()
	s.spent += d
	s.mu.Unlock()
}

func (s *timedSandbox) take() time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	d := s.spent
	s.spent = 0
	return d
}

// benchDaemon runs the real daemon with the wall clock and production
// timings against a sandbox served over loopback HTTP.
func benchDaemon(b *testing.B) (*Daemon, *timedSandbox) {
	b.Helper()
	sb := &timedSandbox{Server: sandbox.New(sandbox.Options{Token: "bench-token", MerchantID: "0b7c2f9e-3a51-4c1d-9e8a-5f2d6c7b8a90"})}
	srv := httptest.NewServer(sb)
	b.Cleanup(srv.Close)
	cfg, err := config.Load("", false, nil)
	if err != nil {
		b.Fatal(err)
	}
	cfg.Listen, cfg.DataDir = "127.0.0.1:0", b.TempDir()
	if dir := os.Getenv("SBPD_BENCH_DIR"); dir != "" { // e.g. /dev/shm: the journal without the disk's fsync
		d, err := os.MkdirTemp(dir, "sbpd-bench")
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { os.RemoveAll(d) })
		cfg.DataDir = d
	}
	cfg.PayMaster.BaseURL, cfg.PayMaster.MerchantID, cfg.PayMaster.Token = srv.URL, sb.MerchantID(), sb.Token()
	d := &Daemon{Config: cfg}
	if err := d.Open(context.Background()); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { d.Close() })
	return d, sb
}

func post(b *testing.B, url, body string) plugin.Payment {
	resp, err := http.Post(url, "application/json", bytes.NewBufferString(body))
	if err != nil {
		b.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	var p plugin.Payment
	if err := json.Unmarshal(data, &p); err != nil || resp.StatusCode >= 300 {
		b.Fatalf("POST %s: %d %s", url, resp.StatusCode, data)
	}
	return p
}

// waitState follows the till's event stream until the payment is in state.
func waitState(b *testing.B, base, id string, want plugin.State) time.Time {
	resp, err := http.Get(base + "/api/v1/payments/" + id + "/events")
	if err != nil {
		b.Fatal(err)
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if !strings.HasPrefix(line, "data: ") {
			continue
		}
		var p plugin.Payment
		json.Unmarshal([]byte(strings.TrimPrefix(line, "data: ")), &p)
		if p.State == want {
			return time.Now()
		}
	}
	b.Fatalf("stream of %s ended before %s", id, want)
	return time.Time{}
}

func percentile(ds []time.Duration, p float64) time.Duration {
	s := append([]time.Duration(nil), ds...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	return s[int(float64(len(s)-1)*p)]
}

// BenchmarkStartToQR is sbpd's own time from the till's POST to the answer
// carrying the QR, with the time spent inside PayMaster (the sandbox
// handler) subtracted. It includes the till API, the engine, two journal
// commits to a real SQLite file (fsync'd) and the PayMaster client.
func BenchmarkStartToQR(b *testing.B) {
	d, sb := benchDaemon(b)
	url := d.URL() + "/api/v1/payments"
	var own []time.Duration
	for i := 0; i < b.N; i++ {
		sb.take()
		t0 := time.Now()
		p := post(b, url, fmt.Sprintf(`{"check_id":"B%d","amount":25990}`, i))
		total := time.Since(t0)
		own = append(own, total-sb.take())
		if p.QRPayload == "" {
			b.Fatalf("answer without QR: %s", p.State)
		}
		b.StopTimer()
		post(b, d.URL()+"/api/v1/payments/"+p.ID+"/cancel", "")
		waitState(b, d.URL(), p.ID, plugin.StateNotPaid)
		b.StartTimer()
	}
	b.ReportMetric(float64(percentile(own, 0.5).Microseconds()), "own-p50-µs")
	b.ReportMetric(float64(percentile(own, 0.99).Microseconds()), "own-p99-µs")
}

// BenchmarkSettleToPaid is how long after PayMaster settles a payment the
// till sees paid on its event stream, with the production 3-second poll.
// Each iteration takes up to one poll interval of real time.
func BenchmarkSettleToPaid(b *testing.B) {
	d, sb := benchDaemon(b)
	var lat []time.Duration
	for i := 0; i < b.N; i++ {
		p := post(b, d.URL()+"/api/v1/payments", fmt.Sprintf(`{"check_id":"S%d","amount":100}`, i))
		// Settle at a random phase of the poll cycle.
		time.Sleep(time.Duration(i*997%3000) * time.Millisecond)
		t0 := time.Now()
		if err := sb.Pay(p.PayMasterID); err != nil {
			b.Fatal(err)
		}
		lat = append(lat, waitState(b, d.URL(), p.ID, plugin.StatePaid).Sub(t0))
	}
	b.ReportMetric(float64(percentile(lat, 0.5).Milliseconds()), "p50-ms")
	b.ReportMetric(float64(percentile(lat, 1).Milliseconds()), "max-ms")
}

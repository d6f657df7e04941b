package probe

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sbpd/sbpd/drivers/paymaster/sandbox"
	"github.com/sbpd/sbpd/plugin/plugintest"
)

const (
	testToken    = "pm-SECRET-probe-4d2c91aa"
	testMerchant = "0b7c2f9e-3a51-4c1d-9e8a-5f2d6c7b8a90"
)

// proxied is one answer passing through the rewriting proxy.
type proxied struct {
	Status int
	Header http.Header
	Body   []byte
}

// JSON decodes the body, numbers as json.Number; nil if it is not an object.
func (p *proxied) JSON() map[string]any {
	m, _ := decodeObject(p.Body)
	return m
}

// SetJSON replaces the body.
func (p *proxied) SetJSON(m any) {
	b, err := json.Marshal(m)
	if err != nil {
		panic(err)
	}
	p.Body = b
	p.Header.Set("Content-Type", "application/json; charset=utf-8")
}

// call says which API call a request is, as the probe makes them.
type call struct {
	Kind string // create, invalid, get, list, cancel
	Key  string // Idempotency-Key
	Body []byte
	R    *http.Request
}

// rules change how the sandbox answers. Before may answer in the
// sandbox's place (nil: forward); After may change the sandbox's answer.
type rules struct {
	Before func(c call) *proxied
	After  func(c call, a *proxied)
}

// env is a sandbox, a rewriting proxy in front of it, and a fake clock.
type env struct {
	sb    *sandbox.Server
	url   string // the proxy's
	clock *plugintest.AutoClock
	out   bytes.Buffer

	mu    sync.Mutex
	calls []string // kinds, in order
}

func newEnv(t *testing.T, opts sandbox.Options, r rules) *env {
	t.Helper()
	if opts.Token == "" {
		opts.Token = testToken
	}
	if opts.MerchantID == "" {
		opts.MerchantID = testMerchant
	}
	e := &env{sb: sandbox.New(opts), clock: plugintest.NewAutoClock()}
	sbURL, err := e.sb.Start("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.sb.Close() })
	client := &http.Client{Timeout: 10 * time.Second}
	proxy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(io.LimitReader(req.Body, 1<<20))
		c := call{Kind: kindOf(req, body), Key: req.Header.Get("Idempotency-Key"), Body: body, R: req}
		e.mu.Lock()
		e.calls = append(e.calls, c.Kind)
		e.mu.Unlock()
		var a *proxied
		if r.Before != nil {
			a = r.Before(c)
		}
		if a == nil {
			out, err := http.NewRequest(req.Method, sbURL+req.URL.RequestURI(), bytes.NewReader(body))
			if err != nil {
				t.Error(err)
				return
			}
			out.Header = req.Header.Clone()
			resp, err := client.Do(out)
			if err != nil {
				t.Errorf("proxy: %v", err)
				return
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			a = &proxied{Status: resp.StatusCode, Header: resp.Header.Clone(), Body: b}
			if r.After != nil {
				r.After(c, a)
			}
		}
		if a.Header == nil {
			a.Header = http.Header{}
		}
		for k, v := range a.Header {
			if k != "Content-Length" {
				w.Header()[k] = v
			}
		}
		w.WriteHeader(a.Status)
		w.Write(a.Body)
	}))
	t.Cleanup(proxy.Close)
	e.url = proxy.URL
	return e
}

func kindOf(r *http.Request, body []byte) string {
	p := strings.TrimPrefix(r.URL.Path, "/api/v2/payments")
	switch {
	case r.Method == http.MethodPost && p == "":
		if bytes.Contains(body, []byte(`"invoice"`)) {
			return "create"
		}
		return "invalid"
	case r.Method == http.MethodGet && p == "":
		return "list"
	case r.Method == http.MethodGet:
		return "get"
	case r.Method == http.MethodPut && strings.HasSuffix(p, "/cancel"):
		return "cancel"
	}
	return "other"
}

// sent is how many calls reached the proxy.
func (e *env) sent() int {
	e.mu.Lock()
	defer e.mu.Unlock()
	return len(e.calls)
}

func (e *env) count(kind string) int {
	e.mu.Lock()
	defer e.mu.Unlock()
	n := 0
	for _, k := range e.calls {
		if k == kind {
			n++
		}
	}
	return n
}

// run probes through the proxy and checks what must hold whatever the
// answers: no secret in the transcript or the report, every payment the
// sandbox has is a test payment the probe knows, and every one the probe
// could cancel is cancelled.
func (e *env) run(t *testing.T, token string) *Report {
	t.Helper()
	if token == "" {
		token = testToken
	}
	e.out.Reset()
	before := map[string]bool{}
	for _, p := range e.sb.Payments() {
		before[p.ID] = true
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	rep, err := Run(ctx, Config{BaseURL: e.url, MerchantID: e.sb.MerchantID(), Token: token, TillID: "K07",
		Timeout: 5 * time.Second, Clock: e.clock, Out: &e.out})
	if err != nil {
		t.Fatal(err)
	}
	var lines bytes.Buffer
	rep.Write(&lines)
	t.Logf("probe:\n%s", lines.String())
	if len(rep.Results) < len(assumptions)-1 {
		t.Errorf("%d results, want one per assumption", len(rep.Results))
	}
	for _, r := range rep.Results {
		if r.Verdict != OK && r.Verdict != Differs && r.Verdict != Unchecked {
			t.Errorf("result %+v", r)
		}
	}
	if strings.Contains(e.out.String(), token) {
		t.Errorf("the transcript holds the token:\n%s", e.out.String())
	}
	if strings.Contains(lines.String(), token) {
		t.Errorf("the report holds the token:\n%s", lines.String())
	}
	exs, err := ReadTranscript(strings.NewReader(e.out.String()))
	if err != nil {
		t.Fatal(err)
	}
	for _, x := range exs {
		for _, h := range []map[string]string{x.RequestHeaders, x.ResponseHeaders} {
			for k := range h {
				if k == "Authorization" || k == "Cookie" || k == "Set-Cookie" {
					t.Errorf("%s %s: the header %s is recorded", x.Method, x.Path, k)
				}
			}
		}
	}
	if len(exs) != rep.Exchanges {
		t.Errorf("%d exchanges recorded, %d sent", len(exs), rep.Exchanges)
	}
	for _, p := range e.sb.Payments() {
		if before[p.ID] {
			continue
		}
		if !p.TestMode {
			t.Errorf("payment %s is not a test payment", p.ID)
		}
		if !containsStr(rep.Created, p.ID) {
			t.Errorf("payment %s (%s) is not in the report's %v", p.ID, p.OrderNo, rep.Created)
		}
		if containsStr(rep.Cancelled, p.ID) && p.CancelCalls == 0 {
			t.Errorf("payment %s reported cancelled but no cancel reached the sandbox", p.ID)
		}
	}
	return rep
}

func containsStr(xs []string, s string) bool {
	for _, x := range xs {
		if x == s {
			return true
		}
	}
	return false
}

// verdicts checks that exactly the assumptions in differs are DIFFERS and
// those in unchecked UNCHECKED; every other one must be OK.
func verdicts(t *testing.T, rep *Report, differs, unchecked []string) {
	t.Helper()
	want := map[string]Verdict{}
	for _, id := range differs {
		want[id] = Differs
	}
	for _, id := range unchecked {
		want[id] = Unchecked
	}
	for _, r := range rep.Results {
		w, ok := want[r.ID]
		if !ok {
			w = OK
			if base, _, _ := strings.Cut(r.ID, ":"); base != r.ID {
				if bw, ok := want[base]; ok {
					w = bw
				}
			}
		}
		if r.Verdict != w {
			t.Errorf("%s: %s, want %s: %s", r.ID, r.Verdict, w, r.Line())
		}
	}
	if rep.OK() != (len(differs)+len(unchecked) == 0) {
		t.Errorf("OK() = %v", rep.OK())
	}
}

// lines returns the report as printed.
func lines(rep *Report) string {
	var b bytes.Buffer
	rep.Write(&b)
	return b.String()
}

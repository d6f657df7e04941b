package probe

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sbpd/sbpd/drivers/paymaster"
	"github.com/sbpd/sbpd/drivers/paymaster/sandbox"
	"github.com/sbpd/sbpd/plugin"
	"github.com/sbpd/sbpd/plugin/plugintest"
)

var update = flag.Bool("update", false, "rewrite testdata/paymaster/sandbox.jsonl from a probe of the sandbox")

// transcriptDir is the repository's testdata/paymaster.
var transcriptDir = filepath.Join("..", "..", "..", "testdata", "paymaster")

// sandboxRun probes a fresh sandbox directly (no proxy) and returns the
// transcript.
func sandboxRun(t *testing.T) ([]Exchange, []byte) {
	t.Helper()
	sb := sandbox.New(sandbox.Options{Token: testToken})
	if _, err := sb.Start("127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	defer sb.Close()
	var out bytes.Buffer
	rep, err := Run(context.Background(), Config{BaseURL: sb.URL(), MerchantID: sb.MerchantID(), Token: testToken,
		TillID: "K07", Timeout: 5 * time.Second, Clock: plugintest.NewAutoClock(), Out: &out})
	if err != nil {
		t.Fatal(err)
	}
	if !rep.OK() {
		t.Fatalf("the sandbox does not pass the probe:\n%s", lines(rep))
	}
	exs, err := ReadTranscript(bytes.NewReader(out.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	return exs, out.Bytes()
}

func transcripts(t *testing.T) []string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(transcriptDir, "*.jsonl"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no transcripts in %s: %v", transcriptDir, err)
	}
	return files
}

func readTranscriptFile(t *testing.T, path string) []Exchange {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	exs, err := ReadTranscript(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	for _, e := range exs {
		for _, h := range []map[string]string{e.RequestHeaders, e.ResponseHeaders} {
			for k := range h {
				if dropHeaders[k] || secretKey(k) {
					t.Errorf("%s: %s %s records the header %s", path, e.Method, e.Path, k)
				}
			}
		}
	}
	if bytes.Contains(b, []byte(testToken)) || bytes.Contains(b, []byte(sandbox.DefaultToken)) {
		t.Errorf("%s holds a token", path)
	}
	return exs
}

// TestTranscripts_MatchSandbox: every transcript in testdata/paymaster
// (the sandbox's own, and any real account's) has the answers the sandbox
// gives now: the same statuses and the same field names and types, step
// by step. A real account that answers otherwise fails here, naming the
// field. With -update, sandbox.jsonl is first rewritten from a fresh run.
func TestTranscripts_MatchSandbox(t *testing.T) {
	fresh, raw := sandboxRun(t)
	if *update {
		if err := os.MkdirAll(transcriptDir, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(transcriptDir, "sandbox.jsonl"), raw, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for _, f := range transcripts(t) {
		exs := readTranscriptFile(t, f)
		for _, d := range Compare(exs, fresh) {
			t.Errorf("%s differs from the sandbox: %s", filepath.Base(f), d)
		}
	}
}

// TestCompare_NamesTheField: a transcript whose answers differ from the
// sandbox's fails, and the difference names the step and the field.
func TestCompare_NamesTheField(t *testing.T) {
	fresh, _ := sandboxRun(t)
	if d := Compare(fresh, fresh); len(d) != 0 {
		t.Fatalf("a run differs from itself: %v", d)
	}
	edit := func(step string, fn func(e *Exchange, m map[string]any)) []Exchange {
		out := append([]Exchange(nil), fresh...)
		for i := range out {
			if out[i].Step == step {
				m, _ := decodeObject(out[i].ResponseBody)
				fn(&out[i], m)
				if m != nil {
					out[i].ResponseBody, _ = json.Marshal(m)
				}
			}
		}
		return out
	}
	for _, c := range []struct {
		name string
		real []Exchange
		want string
	}{
		{"list rows without orderNo", edit("list", func(e *Exchange, m map[string]any) {
			for _, it := range m["items"].([]any) {
				delete(it.(map[string]any)["invoice"].(map[string]any), "orderNo")
			}
		}), "list: answer field items[].invoice.orderNo (string) is in the other run, not in the transcript"},
		{"amount as a string", edit("create", func(e *Exchange, m map[string]any) {
			m["amount"].(map[string]any)["value"] = "1.0000"
		}), "create: answer field amount.value is string in the transcript, number in the other run"},
		{"a field PayMaster adds", edit("get", func(e *Exchange, m map[string]any) {
			m["confirmation"].(map[string]any)["instruction"] = "Scan"
		}), "get: answer field confirmation.instruction (string) is in the transcript, not in the other run"},
		{"cancel answers 204", edit("cancel", func(e *Exchange, m map[string]any) { e.Status = 204 }),
			"cancel: status 204 in the transcript, 200 in the other run"},
		{"cancel answers a body", edit("cancel", func(e *Exchange, m map[string]any) { e.ResponseBody = json.RawMessage(`{}`) }),
			"cancel: the answer is JSON in the transcript, empty in the other run"},
		{"another error code shape", edit("invalid", func(e *Exchange, m map[string]any) {
			m["errors"] = map[string]any{"amount": []any{"required"}}
		}), "invalid: answer field errors is object in the transcript, array in the other run"},
	} {
		t.Run(c.name, func(t *testing.T) {
			d := Compare(c.real, fresh)
			if !strings.Contains(strings.Join(d, "\n"), c.want) {
				t.Errorf("differences:\n%s\nwant %q", strings.Join(d, "\n"), c.want)
			}
		})
	}
}

// TestDriver_Playback replays every transcript through the driver: a
// server answers exactly as recorded, and the driver must send what was
// recorded and read each answer as the raw JSON says.
func TestDriver_Playback(t *testing.T) {
	for _, f := range transcripts(t) {
		t.Run(filepath.Base(f), func(t *testing.T) {
			exs := readTranscriptFile(t, f)
			driverPlayback(t, exs)
		})
	}
}

func driverPlayback(t *testing.T, exs []Exchange) {
	t.Helper()
	pb := NewPlayback(exs)
	srv := httptest.NewServer(pb)
	defer srv.Close()
	defer func() {
		for _, m := range pb.Misses() {
			t.Errorf("playback: %s", m)
		}
	}()

	var create Exchange
	var gets, after []Exchange
	var list, cancel *Exchange
	for i, e := range exs {
		switch e.Step {
		case "create":
			create = e
		case "get":
			gets = append(gets, e)
		case "list":
			if list == nil {
				list = &exs[i]
			}
		case "cancel":
			cancel = &exs[i]
		case "get_after_cancel":
			after = append(after, e)
		}
	}
	sent, _ := decodeObject(create.RequestBody)
	orderNo, merchant := str(sent, "invoice.orderNo"), str(sent, "merchantId")
	till, at, ok := plugin.ParseProbeOrderNo(orderNo)
	if !ok || create.Status != http.StatusOK {
		t.Skipf("no successful probe create to replay (order %q, status %d)", orderNo, create.Status)
	}
	gw, err := paymaster.New(paymaster.Config{BaseURL: srv.URL, MerchantID: merchant, Token: "playback-token",
		TestMode: true, RetryMax: -1, Timeout: 5 * time.Second, Clock: plugintest.NewAutoClock()})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if _, err := gw.Ping(ctx); err != nil {
		t.Errorf("ping: %v", err)
	}

	// The create: the driver sends what the recording sent.
	got, err := gw.CreatePayment(ctx, CreateRequest(till, orderNo, at, create.RequestHeaders["Idempotency-Key"]))
	if err != nil {
		t.Fatalf("create: %v", err)
	}
	checkRemote(t, "create", got, create)
	id := got.ID

	for _, e := range gets {
		r, err := gw.GetPayment(ctx, id)
		if err != nil {
			t.Errorf("get: %v", err)
			continue
		}
		checkRemote(t, "get", r, e)
	}

	if list != nil {
		m, _ := decodeObject(list.ResponseBody)
		var row map[string]any
		for _, it := range m["items"].([]any) {
			if r, _ := it.(map[string]any); r != nil {
				if rid, _ := paymentID(r); rid == id {
					row = r
				}
			}
		}
		r, found, err := gw.FindPayment(ctx, orderNo, at)
		switch {
		case err != nil:
			t.Errorf("find: %v", err)
		case row != nil && str(row, "invoice.orderNo") == orderNo && (!found || r.ID != id):
			t.Errorf("find: the row carries invoice.orderNo but the driver found %v %+v", found, r)
		case found && r.ID != id:
			t.Errorf("find: found %s, want %s", r.ID, id)
		}
	}

	if cancel != nil {
		err := gw.CancelPayment(ctx, id)
		if ok2xx := cancel.Status >= 200 && cancel.Status < 300; ok2xx != (err == nil) {
			t.Errorf("cancel answered %d, the driver says %v", cancel.Status, err)
		}
	}
	for _, e := range after {
		r, err := gw.GetPayment(ctx, id)
		if err != nil {
			t.Errorf("get after cancel: %v", err)
			continue
		}
		checkRemote(t, "get after cancel", r, e)
	}
	if pb.Served() < 4 {
		t.Errorf("%d exchanges replayed", pb.Served())
	}
}

// checkRemote: the driver's reading of an answer agrees with its JSON.
func checkRemote(t *testing.T, what string, r plugin.Remote, e Exchange) {
	t.Helper()
	m, _ := decodeObject(e.ResponseBody)
	id, _ := paymentID(m)
	if r.ID != id || string(r.Status) != str(m, "status") || r.ResultCode != str(m, "resultCode") ||
		r.QRPayload != str(m, "confirmation.paymentUrl") || r.Amount != ProbeAmount {
		t.Errorf("%s: the driver read %+v from %s", what, r, e.ResponseBody)
	}
}

// TestPlayback: the playback server answers in order, repeats the last,
// drops the connection where the recording has no answer, and names what
// differs on a miss.
func TestPlayback(t *testing.T) {
	exs := []Exchange{
		{Step: "get", Method: "GET", Path: "/api/v2/payments/1", Status: 200, ResponseHeaders: map[string]string{"Content-Type": "application/json", "Content-Length": "99"},
			ResponseBody: json.RawMessage(`{"id":"1","status":"Pending"}`)},
		{Step: "get", Method: "GET", Path: "/api/v2/payments/1", Status: 200, ResponseBody: json.RawMessage(`{"id":"1","status":"Confirmation"}`)},
		{Step: "list", Method: "GET", Path: "/api/v2/payments?end=2026-01-01T00%3A10%3A00Z&merchantId=m&start=2026-01-01T00%3A00%3A00Z", Status: 200, ResponseBody: json.RawMessage(`{"items":[]}`)},
		{Step: "create", Method: "POST", Path: "/api/v2/payments", RequestBody: json.RawMessage(`{"b":1.00,"a":"x"}`), Status: 409, ResponseText: "<html>no</html>"},
		{Step: "cancel", Method: "PUT", Path: "/api/v2/payments/1/cancel", Error: "EOF"},
	}
	pb := NewPlayback(exs)
	srv := httptest.NewServer(pb)
	defer srv.Close()
	do := func(method, path, body string) (int, string, error) {
		req, _ := http.NewRequest(method, srv.URL+path, strings.NewReader(body))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return 0, "", err
		}
		defer resp.Body.Close()
		var b bytes.Buffer
		b.ReadFrom(resp.Body)
		return resp.StatusCode, b.String(), nil
	}
	for _, want := range []string{"Pending", "Confirmation", "Confirmation"} {
		if _, b, _ := do("GET", "/api/v2/payments/1", ""); !strings.Contains(b, want) {
			t.Errorf("got %s, want %s", b, want)
		}
	}
	if s, b, _ := do("GET", "/api/v2/payments?merchantId=m&start=2027-01-01T00%3A00%3A00Z&end=x", ""); s != 200 || b != `{"items":[]}` {
		t.Errorf("list with other times: %d %s", s, b)
	}
	if s, b, _ := do("POST", "/api/v2/payments", `{"a": "x", "b": 1.00}`); s != 409 || b != "<html>no</html>" {
		t.Errorf("create with the keys in another order: %d %s", s, b)
	}
	if _, _, err := do("PUT", "/api/v2/payments/1/cancel", ""); err == nil {
		t.Error("a recording without an answer answered")
	}
	if len(pb.Misses()) != 0 {
		t.Fatalf("misses %v", pb.Misses())
	}
	if s, _, _ := do("POST", "/api/v2/payments", `{"a":"y","b":1.00}`); s != 501 {
		t.Errorf("an unrecorded body: %d", s)
	}
	do("GET", "/api/v2/payments?merchantId=other", "")
	ms := pb.Misses()
	if len(ms) != 2 || !strings.Contains(ms[0], `a recorded "x", sent "y"`) || !strings.Contains(ms[1], "the recording has the query") {
		t.Errorf("misses %q", ms)
	}
}

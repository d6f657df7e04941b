package probe

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/sbpd/sbpd/drivers/paymaster"
	"github.com/sbpd/sbpd/drivers/paymaster/sandbox"
	"github.com/sbpd/sbpd/plugin"
)

// TestProbe_Sandbox: against the sandbox every assumption holds, one test
// payment is made and ends Cancelled, and the transcript has every step
// without a secret.
func TestProbe_Sandbox(t *testing.T) {
	e := newEnv(t, sandbox.Options{}, rules{})
	rep := e.run(t, "")
	verdicts(t, rep, nil, nil)

	ps := e.sb.Payments()
	if len(ps) != 1 {
		t.Fatalf("%d payments in the sandbox, want 1: %+v", len(ps), ps)
	}
	p := ps[0]
	if !p.TestMode || p.Status != sandbox.StatusCancelled || p.Amount != ProbeAmount || p.OrderNo != rep.OrderNo {
		t.Errorf("payment %+v", p)
	}
	if !strings.HasPrefix(rep.OrderNo, "K07-PROBE-") {
		t.Errorf("order number %q", rep.OrderNo)
	}
	if len(rep.Created) != 1 || rep.Created[0] != p.ID || len(rep.Cancelled) != 1 {
		t.Errorf("created %v, cancelled %v", rep.Created, rep.Cancelled)
	}
	exs, _ := ReadTranscript(strings.NewReader(e.out.String()))
	var steps []string
	for _, x := range exs {
		steps = append(steps, x.Step)
	}
	if got := strings.Join(steps, " "); got != "ping create get replay list cancel get_after_cancel invalid" {
		t.Errorf("steps %q", got)
	}
	create := exs[1]
	if create.Method != http.MethodPost || create.Path != "/api/v2/payments" || create.Status != 200 ||
		create.RequestHeaders["Idempotency-Key"] == "" || len(create.ResponseBody) == 0 {
		t.Errorf("create %+v", create)
	}
	var sent struct {
		MerchantID string `json:"merchantId"`
		TestMode   bool   `json:"testMode"`
		Amount     struct {
			Value json.Number `json:"value"`
		} `json:"amount"`
	}
	if err := json.Unmarshal(create.RequestBody, &sent); err != nil || !sent.TestMode || sent.Amount.Value != "1.00" || sent.MerchantID != testMerchant {
		t.Errorf("create body %s: %v", create.RequestBody, err)
	}
	if l := exs[4]; !strings.Contains(l.Path, "merchantId="+testMerchant) || !strings.Contains(l.Path, "start=") {
		t.Errorf("list path %q", l.Path)
	}
	if c := exs[5]; c.Method != http.MethodPut || c.Path != "/api/v2/payments/"+p.ID+"/cancel" || c.Status != 200 {
		t.Errorf("cancel %+v", c)
	}
	if e.clock.Waited() != 0 {
		t.Errorf("waited %s with the link in the create's answer", e.clock.Waited())
	}
	for _, want := range []string{"OK  PayMaster answers", "OK  the QR link (confirmation.paymentUrl, any absolute URL) appears within 15 s (https://"} {
		if !strings.Contains(lines(rep), want) {
			t.Errorf("no %q in:\n%s", want, lines(rep))
		}
	}
}

// TestProbe_LiveModeNeverSent: the probe's create says testMode: true
// whatever the driver would send, and forceTestMode makes it so.
func TestProbe_LiveModeNeverSent(t *testing.T) {
	b, err := forceTestMode([]byte(`{"merchantId":"m","testMode":false,"amount":{"value":1.00,"currency":"RUB"}}`))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(b, []byte(`"testMode":true`)) || !bytes.Contains(b, []byte(`"value":1.00`)) {
		t.Errorf("%s", b)
	}
	body, err := driverCreateBody(context.Background(), testMerchant, CreateRequest("K07", "K07-PROBE-1", time.Unix(1, 0), "k"))
	if err != nil {
		t.Fatal(err)
	}
	m, _ := decodeObject(body)
	if m["testMode"] != true || str(m, "invoice.orderNo") != "K07-PROBE-1" || str(m, "merchantId") != testMerchant {
		t.Errorf("the driver's body %s", body)
	}
}

// TestProbe_BearerRefused: a refused token stops the probe before
// any payment is made.
func TestProbe_BearerRefused(t *testing.T) {
	e := newEnv(t, sandbox.Options{}, rules{})
	rep := e.run(t, "pm-SECRET-wrong-token-0001")
	verdicts(t, rep, []string{Bearer}, after(Bearer))
	if n := len(e.sb.Payments()); n != 0 || e.count("create") != 0 {
		t.Errorf("%d payments, %d creates", n, e.count("create"))
	}
	if r, _ := rep.Result(Bearer); !strings.Contains(r.Seen, "HTTP 401 not_authorized") {
		t.Errorf("%s", r.Line())
	}
}

// editPayment applies fn to every payment object in an answer of kind
// (create, get, list rows).
func editPayment(kinds string, fn func(m map[string]any)) func(c call, a *proxied) {
	return func(c call, a *proxied) {
		if !strings.Contains(" "+kinds+" ", " "+c.Kind+" ") || a.Status != 200 {
			return
		}
		m := a.JSON()
		if m == nil {
			return
		}
		if items, ok := m["items"].([]any); ok {
			for _, it := range items {
				if r, ok := it.(map[string]any); ok {
					fn(r)
				}
			}
		} else {
			fn(m)
		}
		a.SetJSON(m)
	}
}

func answerJSON(status int, body string) *proxied {
	return &proxied{Status: status, Header: http.Header{"Content-Type": {"application/json"}}, Body: []byte(body)}
}

func pending(m map[string]any) bool {
	s, _ := m["status"].(string)
	return s == "Confirmation" || s == "Pending"
}

// TestProbe_Differs: a sandbox changed to answer differently, one way per
// assumption, gets DIFFERS for that assumption (and UNCHECKED for what
// then cannot be checked), and the run is not OK.
func TestProbe_Differs(t *testing.T) {
	type tc struct {
		name      string
		opts      sandbox.Options
		rules     rules
		setup     func(e *env)
		differs   []string
		unchecked []string
		seen      string // in the DIFFERS line of differs[0]
		check     func(t *testing.T, e *env, rep *Report)
	}
	noPayment := func(t *testing.T, e *env, rep *Report) {
		if n := len(e.sb.Payments()); n != 0 {
			t.Errorf("%d payments made", n)
		}
	}
	oneCancelled := func(t *testing.T, e *env, rep *Report) {
		ps := e.sb.Payments()
		if len(ps) != 1 || ps[0].Status != sandbox.StatusCancelled {
			t.Errorf("payments %+v", ps)
		}
	}
	cases := []tc{
		{name: "base URL is not PayMaster", rules: rules{Before: func(c call) *proxied {
			return &proxied{Status: 404, Header: http.Header{"Content-Type": {"text/html"}}, Body: []byte("<html><body>Not Found</body></html>")}
		}}, differs: []string{BaseURL}, unchecked: after(BaseURL), seen: "HTTP 404, text/html: <html>", check: noPayment},
		{name: "token refused with 403", rules: rules{Before: func(c call) *proxied {
			return answerJSON(403, `{"code":"not_authorized","message":"Forbidden"}`)
		}}, differs: []string{Bearer}, unchecked: after(Bearer), seen: "HTTP 403 not_authorized: Forbidden", check: noPayment},
		{name: "create refused (the method alias)", rules: rules{Before: func(c call) *proxied {
			if c.Kind == "create" {
				return answerJSON(400, `{"code":"validation_error","message":"Request is invalid","errors":["PaymentData.PaymentMethod is unknown"]}`)
			}
			return nil
		}}, differs: []string{Create}, unchecked: after(Create), seen: "HTTP 400 validation_error: Request is invalid (PaymentData.PaymentMethod is unknown)", check: noPayment},
		{name: "create answers no id: the payment is found and cancelled", rules: rules{After: func(c call, a *proxied) {
			if c.Kind == "create" {
				m := a.JSON()
				delete(m, "id")
				a.SetJSON(m)
			}
		}}, differs: []string{Create}, unchecked: after(Create), seen: "found in the list (the probe cancels it)", check: oneCancelled},
		{name: "live payment echoed", rules: rules{After: editPayment("create", func(m map[string]any) { m["testMode"] = false })},
			differs: []string{TestMode}, seen: "testMode: false", check: oneCancelled},
		{name: "amount echoed wrong", rules: rules{After: editPayment("create", func(m map[string]any) {
			m["amount"].(map[string]any)["value"] = json.Number("100.0000")
		})}, differs: []string{Amount}, seen: "10000 kopecks, not 100", check: oneCancelled},
		{name: "amount echoed in another currency", rules: rules{After: editPayment("create", func(m map[string]any) {
			m["amount"].(map[string]any)["currency"] = "USD"
		})}, differs: []string{Amount}, seen: `"USD"`},
		{name: "status upper-cased", rules: rules{After: editPayment("create get", func(m map[string]any) {
			if pending(m) {
				m["status"] = strings.ToUpper(m["status"].(string))
			}
		})}, differs: []string{Status}, seen: `status "CONFIRMATION" is not one of the six`, check: oneCancelled},
		{name: "fresh payment already rejected", rules: rules{After: editPayment("create get", func(m map[string]any) {
			m["status"], m["resultCode"] = "Rejected", "OperationNotAllowed"
		})}, differs: []string{Status}, unchecked: []string{Cancel, Cancelled}, seen: "already Rejected"},
		{name: "get answers another payment", rules: rules{After: editPayment("get", func(m map[string]any) {
			m["id"] = "1"
		})}, differs: []string{Get}, seen: `got "1"`},
		{name: "get fails", rules: rules{Before: func(c call) *proxied {
			if c.Kind == "get" {
				return answerJSON(500, `{"code":"internal","message":"boom"}`)
			}
			return nil
		}}, differs: []string{Get, Cancelled}, seen: "read 1: HTTP 500 internal: boom"},
		{name: "no QR link within the bound", rules: rules{After: editPayment("create get", func(m map[string]any) {
			delete(m, "confirmation")
		})}, differs: []string{QRLink}, seen: "no confirmation.paymentUrl after 6 reads over 15 s", check: func(t *testing.T, e *env, rep *Report) {
			oneCancelled(t, e, rep)
			if e.clock.Waited() != Bound {
				t.Errorf("waited %s, want %s", e.clock.Waited(), Bound)
			}
			if n := e.count("get"); n != 6+1 {
				t.Errorf("%d GETs, want 6 before the cancel and 1 after", n)
			}
		}},
		{name: "QR link not absolute", rules: rules{After: editPayment("create get", func(m map[string]any) {
			if c, ok := m["confirmation"].(map[string]any); ok {
				c["paymentUrl"] = "/cpay/mock/sbp/123"
			}
		})}, differs: []string{QRLink}, seen: "not an absolute URL"},
		{name: "replay makes a second payment", rules: rules{Before: func() func(c call) *proxied {
			seen := map[string]bool{}
			return func(c call) *proxied {
				if c.Kind == "create" {
					if seen[c.Key] {
						c.R.Header.Set("Idempotency-Key", c.Key+"-other")
					}
					seen[c.Key] = true
				}
				return nil
			}
		}()}, differs: []string{Replay}, seen: "the key did not stop a second payment", check: func(t *testing.T, e *env, rep *Report) {
			ps := e.sb.Payments()
			if len(ps) != 2 || ps[0].Status != sandbox.StatusCancelled || ps[1].Status != sandbox.StatusCancelled {
				t.Errorf("payments %+v", ps)
			}
			if len(rep.Created) != 2 || len(rep.Cancelled) != 2 {
				t.Errorf("created %v cancelled %v", rep.Created, rep.Cancelled)
			}
		}},
		{name: "replay refused with 500", rules: rules{Before: func() func(c call) *proxied {
			seen := map[string]bool{}
			return func(c call) *proxied {
				if c.Kind == "create" && seen[c.Key] {
					return answerJSON(500, `{"code":"internal_error","message":"Duplicate"}`)
				}
				seen[c.Key] = true
				return nil
			}
		}()}, differs: []string{Replay}, seen: "HTTP 500 internal_error: Duplicate", check: oneCancelled},
		{name: "list rows lack the payment", rules: rules{After: func(c call, a *proxied) {
			if c.Kind == "list" {
				a.SetJSON(map[string]any{"items": []any{}})
			}
		}}, differs: []string{ListFind}, unchecked: []string{ListOrderNo, ListSecond}, seen: "not among the 0 rows of 1 page listed"},
		{name: "list rows under another name", rules: rules{After: func() func(c call, a *proxied) {
			created := false
			return func(c call, a *proxied) {
				created = created || c.Kind == "create"
				if c.Kind == "list" && created {
					m := a.JSON()
					m["data"] = m["items"]
					delete(m, "items")
					a.SetJSON(m)
				}
			}
		}()}, differs: []string{ListFind}, unchecked: []string{ListOrderNo, ListSecond}, seen: "page 1 has no items array: fields data"},
		{name: "ping without items", rules: rules{After: func(c call, a *proxied) {
			if c.Kind == "list" {
				a.SetJSON(map[string]any{"data": []any{}})
			}
		}}, differs: []string{Bearer}, unchecked: after(Bearer), seen: "HTTP 200 without an items array: fields data", check: noPayment},
		{name: "list refused", rules: rules{Before: func() func(c call) *proxied {
			n := 0
			return func(c call) *proxied {
				if c.Kind == "list" {
					if n++; n > 1 {
						return answerJSON(400, `{"code":"validation_error","message":"End is too far"}`)
					}
				}
				return nil
			}
		}()}, differs: []string{ListFind}, unchecked: []string{ListOrderNo, ListSecond}, seen: "page 1: HTTP 400 validation_error: End is too far"},
		{name: "list rows without orderNo", rules: rules{After: editPayment("list", func(m map[string]any) {
			delete(m["invoice"].(map[string]any), "orderNo")
		})}, differs: []string{ListOrderNo}, seen: "the row has no invoice.orderNo", check: oneCancelled},
		{name: "cancel answered 500", rules: rules{Before: func(c call) *proxied {
			if c.Kind == "cancel" {
				return answerJSON(500, `{"code":"internal_error","message":"Try later"}`)
			}
			return nil
		}}, differs: []string{Cancel, Cancelled}, seen: "HTTP 500 internal_error: Try later", check: func(t *testing.T, e *env, rep *Report) {
			if n := e.count("cancel"); n != 2 {
				t.Errorf("%d cancels, want the probe's and one more at cleanup", n)
			}
		}},
		{name: "cancel answered with HTML", rules: rules{After: func(c call, a *proxied) {
			if c.Kind == "cancel" {
				a.Status, a.Body = 502, []byte("<html>Bad Gateway</html>")
				a.Header.Set("Content-Type", "text/html")
			}
		}}, differs: []string{Cancel}, seen: "HTTP 502, text/html: <html>Bad Gateway</html>"},
		{name: "cancel answered 200 with HTML", rules: rules{After: func(c call, a *proxied) {
			if c.Kind == "cancel" {
				a.Body = []byte("<html>OK</html>")
				a.Header.Set("Content-Type", "text/html")
			}
		}}, differs: []string{Cancel}, seen: "HTTP 200 with a body that is not JSON (text/html), so the driver takes the cancel's outcome as unknown"},
		{name: "cancel answered 200 with an error body", rules: rules{Before: func(c call) *proxied {
			if c.Kind == "cancel" {
				return answerJSON(200, `{"code":"invalid_operation","message":"Payment cannot be cancelled"}`)
			}
			return nil
		}}, differs: []string{Cancel, Cancelled}, seen: "HTTP 200 invalid_operation: Payment cannot be cancelled"},
		{name: "create answered 200 with an error body", rules: rules{Before: func(c call) *proxied {
			if c.Kind == "create" {
				return answerJSON(200, `{"code":"validation_error","message":"PaymentMethod is unknown"}`)
			}
			return nil
		}}, differs: []string{Create}, unchecked: after(Create), seen: "HTTP 200 validation_error: PaymentMethod is unknown", check: noPayment},
		{name: "cancel accepted but the payment stays pending", setup: func(e *env) { e.sb.SetCancelMode(sandbox.CancelAcceptPending) },
			differs: []string{Cancelled}, seen: `still "Confirmation" after 6 reads over 15 s`},
		{name: "cancel ends Rejected", rules: rules{After: func() func(c call, a *proxied) {
			cancelled := false
			return func(c call, a *proxied) {
				if c.Kind == "cancel" {
					cancelled = true
				}
				if c.Kind == "get" && cancelled {
					m := a.JSON()
					m["status"] = "Rejected"
					a.SetJSON(m)
				}
			}
		}()}, differs: []string{Cancelled}, seen: "it ended Rejected"},
		{name: "error body of another shape", rules: rules{After: func(c call, a *proxied) {
			if c.Kind == "invalid" {
				a.SetJSON(map[string]any{"error": "bad request"})
			}
		}}, differs: []string{ErrorShape}, seen: "without a code"},
		{name: "error code undocumented", rules: rules{After: func(c call, a *proxied) {
			if c.Kind == "invalid" {
				a.SetJSON(map[string]any{"code": "bad_request", "message": "Bad"})
			}
		}}, differs: []string{ErrorShape}, seen: `the code "bad_request", not one of`},
		{name: "error errors not strings", rules: rules{After: func(c call, a *proxied) {
			if c.Kind == "invalid" {
				a.SetJSON(map[string]any{"code": "validation_error", "message": "Bad", "errors": map[string]any{"amount": "required"}})
			}
		}}, differs: []string{ErrorShape}, seen: "not a list of strings"},
		{name: "invalid request accepted", rules: rules{Before: func(c call) *proxied {
			if c.Kind == "invalid" {
				return answerJSON(200, `{"status":"ok"}`)
			}
			return nil
		}}, differs: []string{ErrorShape}, seen: "was accepted"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := newEnv(t, c.opts, c.rules)
			if c.setup != nil {
				c.setup(e)
			}
			rep := e.run(t, "")
			verdicts(t, rep, c.differs, c.unchecked)
			r, _ := rep.Result(c.differs[0])
			if !strings.Contains(r.Seen, c.seen) {
				t.Errorf("%s\nwant it to say %q", r.Line(), c.seen)
			}
			if !strings.HasPrefix(r.Line(), "DIFFERS  ") {
				t.Errorf("line %q", r.Line())
			}
			if c.check != nil {
				c.check(t, e, rep)
			}
		})
	}
}

// TestProbe_Holds: answers that differ from the sandbox's but that the
// driver copes with are OK.
func TestProbe_Holds(t *testing.T) {
	cases := []struct {
		name  string
		opts  sandbox.Options
		rules rules
		setup func(t *testing.T, e *env)
		check func(t *testing.T, e *env, rep *Report)
	}{
		{name: "a mock page in test mode", rules: rules{After: editPayment("create get", func(m map[string]any) {
			if c, ok := m["confirmation"].(map[string]any); ok {
				c["paymentUrl"] = "https://paymaster.ru/cpay/mock/sbp/0f1e2d3c"
			}
		})}, check: func(t *testing.T, e *env, rep *Report) {
			if r, _ := rep.Result(QRLink); r.Seen != "https://paymaster.ru/cpay/…" {
				t.Errorf("%s", r.Line())
			}
		}},
		{name: "the link after two reads", setup: func(t *testing.T, e *env) { e.sb.SetQRAfterGets(2) },
			check: func(t *testing.T, e *env, rep *Report) {
				if e.clock.Waited() != 3*time.Second || e.count("get") != 3+1 {
					t.Errorf("waited %s, %d GETs", e.clock.Waited(), e.count("get"))
				}
				if r, _ := rep.Result(Status); r.Seen != "Pending, then Confirmation" {
					t.Errorf("%s", r.Line())
				}
			}},
		{name: "errors answered 200 with the code", rules: rules{After: func(c call, a *proxied) {
			if a.Status >= 400 {
				a.Status = 200
			}
		}}, check: func(t *testing.T, e *env, rep *Report) {
			for _, id := range []string{Replay, ErrorShape} {
				if r, _ := rep.Result(id); !strings.Contains(r.Seen, "HTTP 200 ") {
					t.Errorf("%s", r.Line())
				}
			}
		}},
		{name: "list rows echo the description shortened", rules: rules{After: editPayment("list", func(m map[string]any) {
			inv := m["invoice"].(map[string]any)
			if d, _ := inv["description"].(string); strings.Contains(d, ", заказ ") {
				inv["description"] = d[strings.Index(d, "заказ "):]
			}
		})}, check: func(t *testing.T, e *env, rep *Report) {
			if r, ok := rep.Result(ListSecond + ":invoice.description"); ok && !strings.HasPrefix(r.Seen, `echoed changed, but with the order number: "заказ K07-PROBE-`) {
				t.Errorf("%s", r.Line())
			}
		}},
		{name: "amount as a string", rules: rules{After: editPayment("create", func(m map[string]any) {
			m["amount"].(map[string]any)["value"] = "1.0000"
		})}},
		{name: "replay answers the same payment", rules: replaySame(), check: func(t *testing.T, e *env, rep *Report) {
			if r, _ := rep.Result(Replay); r.Seen != "HTTP 200 with the same payment" {
				t.Errorf("%s", r.Line())
			}
		}},
		{name: "the list in pages", opts: sandbox.Options{PageSize: 1}, setup: func(t *testing.T, e *env) {
			gw, err := paymaster.New(paymaster.Config{BaseURL: e.sb.URL(), MerchantID: e.sb.MerchantID(), Token: testToken})
			if err != nil {
				t.Fatal(err)
			}
			for _, o := range []string{"OTHER-1", "OTHER-2"} {
				if _, err := gw.CreatePayment(context.Background(), plugin.CreateRequest{OrderNo: o, Amount: 500,
					Description: "other", IdempotencyKey: o}); err != nil {
					t.Fatal(err)
				}
			}
		}, check: func(t *testing.T, e *env, rep *Report) {
			if r, _ := rep.Result(ListFind); r.Seen != "3 rows, 3 pages" {
				t.Errorf("%s", r.Line())
			}
			if n := len(e.sb.Payments()); n != 3 {
				t.Errorf("%d payments", n)
			}
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := newEnv(t, c.opts, c.rules)
			if c.setup != nil {
				c.setup(t, e)
			}
			rep := e.run(t, "")
			ps := e.sb.Payments()
			ours := 0
			for _, p := range ps {
				if p.OrderNo == rep.OrderNo {
					ours++
					if p.Status != sandbox.StatusCancelled || !p.TestMode {
						t.Errorf("the probe's payment %+v", p)
					}
				}
			}
			if ours != 1 {
				t.Errorf("%d payments of the probe", ours)
			}
			verdicts(t, rep, nil, nil)
			if c.check != nil {
				c.check(t, e, rep)
			}
		})
	}
}

// TestProbe_Canceled: a run cut short after the create still cancels the
// payment it made.
func TestProbe_Canceled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	e := newEnv(t, sandbox.Options{}, rules{After: func(c call, a *proxied) {
		if c.Kind == "create" {
			cancel()
		}
	}})
	rep, err := Run(ctx, Config{BaseURL: e.url, MerchantID: e.sb.MerchantID(), Token: testToken, Clock: e.clock, Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	if rep.OK() {
		t.Error("a cut-short run is OK")
	}
	ps := e.sb.Payments()
	if len(ps) != 1 || ps[0].Status != sandbox.StatusCancelled {
		t.Errorf("payments %+v\n%s", ps, lines(rep))
	}
}

// replaySame answers a replayed create with the create's own answer.
func replaySame() rules {
	var (
		first *proxied
		key   string
	)
	return rules{
		Before: func(c call) *proxied {
			if c.Kind == "create" && first != nil && c.Key == key {
				return first
			}
			return nil
		},
		After: func(c call, a *proxied) {
			if c.Kind == "create" && first == nil {
				first, key = &proxied{Status: a.Status, Header: a.Header.Clone(), Body: a.Body}, c.Key
			}
		},
	}
}

// TestProbe_SecondField: every field besides invoice.orderNo in which the
// driver sends the order number gets its own line, OK when list rows echo
// it and DIFFERS when they do not. The driver's own fields are used when
// it has any; otherwise the test makes invoice.description one.
func TestProbe_SecondField(t *testing.T) {
	body, err := driverCreateBody(context.Background(), testMerchant, CreateRequest("K07", "K07-PROBE-1", time.Unix(1, 0), "k"))
	if err != nil {
		t.Fatal(err)
	}
	m, _ := decodeObject(body)
	fields := orderNoFields(m, "K07-PROBE-1")
	t.Logf("the driver sends the order number also in %v", fields)
	var echo func(row map[string]any, orderNo string)
	if len(fields) == 0 {
		// The driver has no second field yet: pretend it sends the order
		// number in invoice.description, and let the sandbox echo it.
		old := secondFields
		secondFields = func(map[string]any, string) []string { return []string{"invoice.description"} }
		t.Cleanup(func() { secondFields = old })
		fields = []string{"invoice.description"}
		echo = func(row map[string]any, orderNo string) {
			inv := row["invoice"].(map[string]any)
			inv["description"] = fmt.Sprint(inv["description"]) + " " + orderNo
		}
	}
	for _, f := range fields {
		id := ListSecond + ":" + f
		t.Run(f, func(t *testing.T) {
			var orderNo string
			keep := rules{After: func(c call, a *proxied) {
				if c.Kind == "create" {
					m, _ := decodeObject(c.Body)
					orderNo = str(m, "invoice.orderNo")
				}
				if echo != nil {
					editPayment("list", func(row map[string]any) { echo(row, orderNo) })(c, a)
				}
			}}
			e := newEnv(t, sandbox.Options{}, keep)
			rep := e.run(t, "")
			verdicts(t, rep, nil, nil)
			if r, ok := rep.Result(id); !ok || !strings.Contains(r.Assumption, "list rows echo "+f+" with the order number") {
				t.Fatalf("no line for %s:\n%s", f, lines(rep))
			}

			drop := rules{After: func(c call, a *proxied) {
				keep.After(c, a)
				editPayment("list", func(row map[string]any) { deletePath(row, f) })(c, a)
			}}
			e = newEnv(t, sandbox.Options{}, drop)
			rep = e.run(t, "")
			verdicts(t, rep, []string{id}, nil)
			if r, _ := rep.Result(id); r.Seen != "the row has no "+f {
				t.Errorf("%s", r.Line())
			}

			// And with no orderNo in the rows either, the orderNo line
			// says recovery relies on this field.
			both := rules{After: func(c call, a *proxied) {
				keep.After(c, a)
				editPayment("list", func(row map[string]any) { deletePath(row, "invoice.orderNo") })(c, a)
			}}
			e = newEnv(t, sandbox.Options{}, both)
			rep = e.run(t, "")
			verdicts(t, rep, []string{ListOrderNo}, nil)
			if r, _ := rep.Result(ListOrderNo); !strings.Contains(r.Seen, "then relies on ") || !strings.Contains(r.Seen[strings.Index(r.Seen, "relies on"):], f) {
				t.Errorf("%s", r.Line())
			}
		})
	}
}

func deletePath(m map[string]any, path string) {
	parts := strings.Split(path, ".")
	for _, k := range parts[:len(parts)-1] {
		next, ok := m[k].(map[string]any)
		if !ok {
			return
		}
		m = next
	}
	delete(m, parts[len(parts)-1])
}

package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"

	"github.com/sbpd/sbpd/config"
	"github.com/sbpd/sbpd/drivers/paymaster/sandbox"
	"github.com/sbpd/sbpd/drivers/tillapi"
	"github.com/sbpd/sbpd/plugin"
)

// apiCall is one request to the daemon and the status it must get.
type apiCall struct {
	method, path string
	body         string
	header       []string // name, value pairs
	status       int
	code         string // the error code of an error answer
	invalid      bool   // the document itself refuses this request
}

func (c apiCall) String() string { return c.method + " " + c.path }

// apiChecker checks requests to a running daemon and its answers against
// the OpenAPI document the daemon serves.
type apiChecker struct {
	t      *testing.T
	base   string
	doc    *openapi3.T
	router routers.Router
	opts   *openapi3filter.Options

	seen     map[string]bool            // "operationId status"
	states   map[string]bool            // payment states seen
	presence map[string]map[string]bool // Payment property → "absent", "null", "set"
}

// newAPIChecker loads the document from GET /api/v1/openapi.json, which
// must be tillapi.OpenAPI().
func newAPIChecker(t *testing.T, base string, header ...string) *apiChecker {
	t.Helper()
	req, _ := http.NewRequest("GET", base+"/api/v1/openapi.json", nil)
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	served, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != http.StatusOK || !bytes.Equal(served, tillapi.OpenAPI()) {
		t.Fatalf("GET /api/v1/openapi.json = %d, not tillapi.OpenAPI(): %.200s", res.StatusCode, served)
	}
	if ct := res.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Errorf("GET /api/v1/openapi.json: Content-Type %q", ct)
	}
	doc, err := openapi3.NewLoader().LoadFromData(served)
	if err != nil {
		t.Fatal(err)
	}
	if err := doc.Validate(context.Background()); err != nil {
		t.Fatalf("the served document is not valid: %v", err)
	}
	doc.Servers = nil // route by path: the daemon listens on a random port
	router, err := gorillamux.NewRouter(doc)
	if err != nil {
		t.Fatal(err)
	}
	openapi3filter.RegisterBodyDecoder("text/event-stream", openapi3filter.PlainBodyDecoder)
	return &apiChecker{t: t, base: base, doc: doc, router: router,
		opts: &openapi3filter.Options{
			IncludeResponseStatus: true,
			SkipSettingDefaults:   true,
			MultiError:            true,
			AuthenticationFunc: func(_ context.Context, in *openapi3filter.AuthenticationInput) error {
				if !strings.HasPrefix(in.RequestValidationInput.Request.Header.Get("Authorization"), "Bearer ") {
					return errors.New("no bearer token")
				}
				return nil
			},
		},
		seen: map[string]bool{}, states: map[string]bool{}, presence: map[string]map[string]bool{}}
}

func (v *apiChecker) newRequest(c apiCall) *http.Request {
	var body io.Reader = http.NoBody
	if c.body != "" {
		body = strings.NewReader(c.body)
	}
	req, err := http.NewRequest(c.method, v.base+c.path, body)
	if err != nil {
		v.t.Fatal(err)
	}
	if c.body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(c.header); i += 2 {
		req.Header.Set(c.header[i], c.header[i+1])
	}
	return req
}

// prepare validates the request of c against the document.
func (v *apiChecker) prepare(c apiCall) *openapi3filter.RequestValidationInput {
	v.t.Helper()
	req := v.newRequest(c)
	route, params, err := v.router.FindRoute(req)
	if err != nil {
		v.t.Fatalf("%s: not in the document: %v", c, err)
	}
	in := &openapi3filter.RequestValidationInput{Request: req, PathParams: params, Route: route, Options: v.opts}
	err = openapi3filter.ValidateRequest(context.Background(), in)
	if c.invalid && err == nil {
		v.t.Errorf("%s %s: the document allows this request, the daemon answers %d %s", c, c.body, c.status, c.code)
	} else if !c.invalid && err != nil {
		v.t.Errorf("%s %s: the document refuses this request: %v", c, c.body, err)
	}
	return in
}

// send sends c; safe to call from another goroutine.
func (v *apiChecker) send(c apiCall) (*http.Response, []byte, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	res, err := http.DefaultClient.Do(v.newRequest(c).WithContext(ctx))
	if err != nil {
		return nil, nil, err
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	return res, body, err
}

// verify checks the answer to c against the document.
func (v *apiChecker) verify(c apiCall, in *openapi3filter.RequestValidationInput, res *http.Response, body []byte) {
	t := v.t
	t.Helper()
	if res.StatusCode != c.status {
		t.Fatalf("%s %s: status %d, want %d: %s", c, c.body, res.StatusCode, c.status, body)
	}
	if err := openapi3filter.ValidateResponse(context.Background(), &openapi3filter.ResponseValidationInput{
		RequestValidationInput: in, Status: res.StatusCode, Header: res.Header,
		Body: io.NopCloser(bytes.NewReader(body)), Options: v.opts,
	}); err != nil {
		t.Errorf("%s: the answer does not match the document: %v\n%s", c, err, body)
	}
	v.seen[fmt.Sprintf("%s %d", in.Route.Operation.OperationID, res.StatusCode)] = true

	ct := res.Header.Get("Content-Type")
	switch {
	case strings.HasPrefix(ct, "text/event-stream"):
		payment := v.doc.Components.Schemas["Payment"].Value
		sc := bufio.NewScanner(bytes.NewReader(body))
		sc.Buffer(nil, 1<<20)
		n := 0
		for sc.Scan() {
			data, ok := strings.CutPrefix(sc.Text(), "data: ")
			if !ok {
				continue
			}
			var p map[string]any
			if err := json.Unmarshal([]byte(data), &p); err != nil {
				t.Fatalf("%s: event data is not JSON: %v", c, err)
			}
			if err := payment.VisitJSON(p, openapi3.MultiErrors()); err != nil {
				t.Errorf("%s: event data is not a Payment of the document: %v\n%s", c, err, data)
			}
			v.notePayment(p)
			n++
		}
		if n == 0 {
			t.Errorf("%s: no events", c)
		}
	case c.code != "":
		var e struct{ Error struct{ Code string } }
		json.Unmarshal(body, &e)
		if e.Error.Code != c.code {
			t.Errorf("%s: error code %q, want %q: %s", c, e.Error.Code, c.code, body)
		}
		raw, _ := in.Route.Operation.Responses.Status(res.StatusCode).Value.Extensions["x-error-codes"].([]any)
		if !slices.Contains(raw, any(e.Error.Code)) {
			t.Errorf("%s: error code %q is not among the documented %v", c, e.Error.Code, raw)
		}
	case strings.HasPrefix(ct, "application/json") && strings.HasPrefix(c.path, "/api/v1/payments"):
		var one map[string]any
		json.Unmarshal(body, &one)
		if list, ok := one["payments"].([]any); ok {
			for _, p := range list {
				v.notePayment(p.(map[string]any))
			}
		} else {
			v.notePayment(one)
		}
	}
}

// do sends c and checks it all; it returns the answer's body.
func (v *apiChecker) do(c apiCall) []byte {
	v.t.Helper()
	in := v.prepare(c)
	res, body, err := v.send(c)
	if err != nil {
		v.t.Fatalf("%s: %v", c, err)
	}
	v.verify(c, in, res, body)
	return body
}

// payment does c and decodes the payment it answers.
func (v *apiChecker) payment(c apiCall) plugin.Payment {
	v.t.Helper()
	var p plugin.Payment
	if err := json.Unmarshal(v.do(c), &p); err != nil {
		v.t.Fatalf("%s: %v", c, err)
	}
	return p
}

// notePayment records the state and which properties were absent, null
// or set.
func (v *apiChecker) notePayment(p map[string]any) {
	if s, ok := p["state"].(string); ok {
		v.states[s] = true
	}
	for name := range v.doc.Components.Schemas["Payment"].Value.Properties {
		if v.presence[name] == nil {
			v.presence[name] = map[string]bool{}
		}
		val, ok := p[name]
		switch {
		case !ok:
			v.presence[name]["absent"] = true
		case val == nil:
			v.presence[name]["null"] = true
		default:
			v.presence[name]["set"] = true
		}
	}
}

// TestOpenAPI_Daemon drives the real daemon (the PayMaster sandbox over
// HTTP, the SQLite journal, the fake clock) through every call of the till
// API and payments in every state the till meets, checking each request
// and answer against the document the daemon serves.
func TestOpenAPI_Daemon(t *testing.T) {
	h := newE2E(t, func(c *config.Config) { c.SBP.MixedPayment = true })
	v := newAPIChecker(t, h.d.URL())
	const pay = "/api/v1/payments"
	call := func(method, path, body string, status int) apiCall {
		return apiCall{method: method, path: path, body: body, status: status}
	}
	refused := func(method, path, body string, status int, code string) apiCall {
		return apiCall{method: method, path: path, body: body, status: status, code: code}
	}
	invalid := func(method, path, body string, status int, code string) apiCall {
		return apiCall{method: method, path: path, body: body, status: status, code: code, invalid: true}
	}
	start := func(check string, amount int64) string {
		return fmt.Sprintf(`{"check_id":%q,"amount":%d}`, check, amount)
	}

	v.do(call("GET", "/healthz", "", 200))
	v.do(call("GET", "/api/v1/openapi.json", "", 200))

	// A payment with its QR on screen; the same check again gets it back.
	p1 := v.payment(call("POST", pay, start("000153", 25990), 201))
	if p1.State != plugin.StateAwaitingPayment || p1.QRPayload == "" {
		t.Fatalf("started: %+v", p1)
	}
	if again := v.payment(call("POST", pay, start("000153", 25990), 200)); again.ID != p1.ID {
		t.Fatalf("the same check started payment %s besides %s", again.ID, p1.ID)
	}
	v.do(refused("POST", pay, start("000154", 100), 409, "another_payment_active"))
	v.do(refused("POST", pay, start("000153", 30000), 409, "check_in_progress"))
	v.do(invalid("POST", pay, `{"check_id":"000153","amount":25990`, 400, "invalid_json"))
	v.do(invalid("POST", pay, "", 400, "invalid_json"))
	v.do(invalid("POST", pay, `{"check_id":"000153","amount":259.90}`, 422, "invalid_amount"))
	v.do(invalid("POST", pay, `{"check_id":"000153","amount":"25990"}`, 422, "invalid_amount"))
	v.do(invalid("POST", pay, `{"check_id":"","amount":100}`, 422, "invalid_check_id"))
	v.do(invalid("POST", pay, `{"check_id":"000153","amount":100,"mixed":"no"}`, 422, "invalid_mixed"))
	v.do(invalid("POST", pay, `{"check_id":"000153","amount":100,"sum":100}`, 422, "unknown_field"))
	v.do(refused("POST", pay, `{"check_id":"1","amount":1}`+strings.Repeat(" ", 70000), 413, "body_too_large"))
	v.do(call("GET", pay+"/"+p1.ID, "", 200))
	v.do(call("GET", "/healthz", "", 200)) // with the active payment
	v.do(refused("GET", pay+"/01NOSUCHPAYMENT", "", 404, "payment_not_found"))
	v.do(refused("GET", pay+"/01NOSUCHPAYMENT/events", "", 404, "payment_not_found"))
	v.do(refused("POST", pay+"/01NOSUCHPAYMENT/retry", "", 404, "payment_not_found"))
	v.do(refused("POST", pay+"/01NOSUCHPAYMENT/cancel", "", 404, "payment_not_found"))

	// No verdict in time: the dialog; Повторить; then the shopper pays
	// while the till follows the event stream.
	h.until(p1.ID, plugin.StateStatusUnknown, poll, 41)
	if d := v.payment(call("GET", pay+"/"+p1.ID, "", 200)); d.Dialog == nil {
		t.Fatalf("status_unknown without the dialog: %+v", d)
	}
	v.do(call("POST", pay+"/"+p1.ID+"/retry", "", 200))
	events := call("GET", pay+"/"+p1.ID+"/events", "", 200)
	in := v.prepare(events)
	type answer struct {
		res  *http.Response
		body []byte
		err  error
	}
	streamed, opened := make(chan answer, 1), make(chan struct{})
	go func() {
		// Read the first event, which the daemon sends once it has
		// subscribed, then let the payment go on and read to the end.
		defer close(streamed)
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		res, err := http.DefaultClient.Do(v.newRequest(events).WithContext(ctx))
		if err != nil {
			close(opened)
			streamed <- answer{err: err}
			return
		}
		defer res.Body.Close()
		var got bytes.Buffer
		r := bufio.NewReader(res.Body)
		for {
			line, err := r.ReadString('\n')
			got.WriteString(line)
			if line == "\n" || err != nil {
				break
			}
		}
		close(opened)
		rest, err := io.ReadAll(r)
		got.Write(rest)
		streamed <- answer{res, got.Bytes(), err}
	}()
	<-opened
	if err := h.sb.Pay(p1.PayMasterID); err != nil {
		t.Fatal(err)
	}
	h.until(p1.ID, plugin.StatePaid, poll, 2)
	a := <-streamed
	if a.err != nil {
		t.Fatal(a.err)
	}
	v.verify(events, in, a.res, a.body)
	if n := bytes.Count(a.body, []byte("event: payment\n")); n < 2 {
		t.Errorf("the stream of a payment paid while followed has %d events:\n%s", n, a.body)
	}
	v.do(call("GET", pay+"/"+p1.ID+"/events", "", 200))  // a final payment: one event, then the end
	v.do(call("POST", pay, start("000153", 25990), 200)) // already paid: the paid payment
	v.do(refused("POST", pay, start("000153", 30000), 409, "check_already_paid"))
	v.do(refused("POST", pay+"/"+p1.ID+"/retry", "", 409, "invalid_state"))
	v.do(refused("POST", pay+"/"+p1.ID+"/cancel", "", 409, "invalid_state"))

	// Отменить: not paid, cancelled; pressing it again changes nothing.
	p2 := v.payment(call("POST", pay, start("000154", 4990), 201))
	v.do(call("POST", pay+"/"+p2.ID+"/cancel", "", 200))
	h.until(p2.ID, plugin.StateNotPaid, poll, 2)
	v.do(call("GET", pay+"/"+p2.ID, "", 200))
	v.do(call("POST", pay+"/"+p2.ID+"/cancel", "", 200))

	// Declined by the bank: not paid, insufficient funds.
	p3 := v.payment(call("POST", pay, start("000155", 129900), 201))
	h.sb.Decline(p3.PayMasterID, "InsufficientFunds")
	h.until(p3.ID, plugin.StateNotPaid, poll, 1)
	v.do(call("GET", pay+"/"+p3.ID, "", 200))

	// A technical failure: not paid with the error object.
	p4 := v.payment(call("POST", pay, start("000158", 500), 201))
	h.sb.Decline(p4.PayMasterID, "IssuerUnavailable")
	h.until(p4.ID, plugin.StateNotPaid, poll, 1)
	v.do(call("GET", pay+"/"+p4.ID, "", 200))

	// The shopper pays just as the cancel goes out: paid, late.
	h.sb.SetCancelMode(sandbox.CancelAcceptPending)
	p5 := v.payment(call("POST", pay, `{"check_id":"000157","amount":12345,"mixed":true}`, 201))
	v.do(call("POST", pay+"/"+p5.ID+"/cancel", "", 200))
	h.until(p5.ID, plugin.StateCanceling, poll, 1)
	v.do(call("GET", pay+"/"+p5.ID, "", 200))
	if err := h.sb.Pay(p5.PayMasterID); err != nil {
		t.Fatal(err)
	}
	if p := h.until(p5.ID, plugin.StatePaid, poll, 2); !p.LateSettle {
		t.Fatalf("not flagged late: %+v", p)
	}
	v.do(call("GET", pay+"/"+p5.ID, "", 200))

	// The cancel fails: needs attention, and the check cannot start again.
	// (Last: a payment in needs_attention keeps its runner, which would
	// take the fake clock's steps meant for the next payment.)
	h.sb.SetCancelMode(sandbox.CancelReject)
	p6 := v.payment(call("POST", pay, start("000156", 7450), 201))
	v.do(call("POST", pay+"/"+p6.ID+"/cancel", "", 200))
	h.until(p6.ID, plugin.StateNeedsAttention, poll, 2)
	v.do(call("GET", pay+"/"+p6.ID, "", 200))
	v.do(refused("POST", pay, start("000156", 7450), 409, "check_needs_attention"))

	// The journal search.
	v.do(call("GET", pay, "", 200))
	var found struct{ Payments []plugin.Payment }
	json.Unmarshal(v.do(call("GET", pay+"?state=paid", "", 200)), &found)
	if len(found.Payments) != 2 {
		t.Errorf("?state=paid found %d payments, want 2", len(found.Payments))
	}
	v.do(call("GET", pay+"?state=needs_attention&limit=10&offset=0", "", 200))
	found.Payments = nil
	json.Unmarshal(v.do(call("GET", pay+"?check_id=000153&from=2026-06-01&to=2026-06-01", "", 200)), &found)
	if len(found.Payments) != 1 || found.Payments[0].ID != p1.ID {
		t.Errorf("?check_id=000153 found %+v, want %s", found.Payments, p1.ID)
	}
	v.do(call("GET", pay+"?from=2026-06-01T10:00:00%2B03:00&to=2026-06-02T00:00:00Z&mode=1&mixed=false&limit=2&offset=1", "", 200))
	v.do(call("GET", pay+"?q="+p1.PayMasterID, "", 200))
	v.do(invalid("GET", pay+"?limit=0", "", 422, "invalid_query"))
	v.do(invalid("GET", pay+"?state=lost", "", 422, "invalid_query"))
	v.do(refused("GET", pay+"?status=paid", "", 422, "invalid_query"))

	v.do(call("GET", "/metrics", "", 200))
	v.do(call("GET", "/healthz", "", 200))

	// Every state the till acts on, and each Payment field both ways.
	for _, s := range []plugin.State{plugin.StateAwaitingPayment, plugin.StateStatusUnknown, plugin.StateCanceling,
		plugin.StatePaid, plugin.StateNotPaid, plugin.StateNeedsAttention} {
		if !v.states[string(s)] {
			t.Errorf("no answer had a payment in state %s", s)
		}
	}
	for name, schema := range v.doc.Components.Schemas["Payment"].Value.Properties {
		seen := v.presence[name]
		if !seen["set"] {
			t.Errorf("Payment.%s was never set", name)
		}
		if schema.Value.Nullable && !seen["null"] {
			t.Errorf("Payment.%s is nullable but was never null", name)
		}
	}
	for _, want := range []string{"startPayment 200", "startPayment 201", "startPayment 400", "startPayment 409",
		"startPayment 413", "startPayment 422", "getPayment 200", "getPayment 404", "paymentEvents 200",
		"paymentEvents 404", "retryPayment 200", "retryPayment 404", "retryPayment 409", "cancelPayment 200",
		"cancelPayment 404", "cancelPayment 409", "searchPayments 200", "searchPayments 422", "health 200",
		"metrics 200", "openapi 200"} {
		if !v.seen[want] {
			t.Errorf("never answered: %s", want)
		}
	}
}

// TestOpenAPI_DaemonToken checks the Bearer token of the document against
// a daemon with api.token set: every documented operation refuses a
// request without it or with a wrong one, and takes the right one.
func TestOpenAPI_DaemonToken(t *testing.T) {
	const token = "till-token-5c1e-7a90"
	h := newE2E(t, func(c *config.Config) { c.APIToken = token })
	auth := []string{"Authorization", "Bearer " + token}
	v := newAPIChecker(t, h.d.URL(), auth...)
	for path, item := range v.doc.Paths.Map() {
		for method := range item.Operations() {
			path := strings.ReplaceAll(path, "{id}", "01NOSUCHPAYMENT")
			body := ""
			if method == "POST" && path == "/api/v1/payments" {
				body = `{"check_id":"000153","amount":25990}`
			}
			v.do(apiCall{method: method, path: path, body: body, status: 401, code: "unauthorized"})
			v.do(apiCall{method: method, path: path, body: body, status: 401, code: "unauthorized",
				header: []string{"Authorization", "Bearer not-" + token}})
		}
	}
	with := func(method, path, body string, status int, code string) apiCall {
		return apiCall{method: method, path: path, body: body, status: status, code: code, header: auth}
	}
	p := v.payment(with("POST", "/api/v1/payments", `{"check_id":"000153","amount":25990}`, 201, ""))
	v.do(with("GET", "/api/v1/payments/"+p.ID, "", 200, ""))
	v.do(with("GET", "/api/v1/payments?check_id=000153", "", 200, ""))
	v.do(with("GET", "/healthz", "", 200, ""))
	v.do(with("GET", "/metrics", "", 200, ""))
	v.do(with("GET", "/api/v1/openapi.json", "", 200, ""))
}

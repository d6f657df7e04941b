package paymaster_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sbpd/sbpd/drivers/paymaster"
	"github.com/sbpd/sbpd/drivers/paymaster/sandbox"
	"github.com/sbpd/sbpd/plugin"
)

// The dialect from the public evidence (issue 13): what the driver sends,
// how it finds a create whose answer was lost when PayMaster's list rows do
// not echo invoice.orderNo, and how it reads error and cancel answers.

// rawCreate creates a payment on the sandbox directly, not through the
// driver, with this invoice.
func rawCreate(t *testing.T, e *env, invoice map[string]any) string {
	t.Helper()
	body, _ := json.Marshal(map[string]any{
		"merchantId": testMerchant, "testMode": true, "invoice": invoice,
		"amount":      map[string]any{"value": json.Number("1.00"), "currency": "RUB"},
		"paymentData": map[string]any{"paymentMethod": "sbp"},
	})
	req, _ := http.NewRequest("POST", e.url+"/api/v2/payments", bytes.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+testToken)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var p struct{ ID string }
	if err := json.NewDecoder(resp.Body).Decode(&p); err != nil || resp.StatusCode != 200 {
		t.Fatalf("create: HTTP %d %v", resp.StatusCode, err)
	}
	return p.ID
}

// The create request names the method "sbp" and carries the order number
// in invoice.params and in the description besides invoice.orderNo.
func TestDialect_CreateBody(t *testing.T) {
	e := newEnv(t, sandbox.Options{}, nil)
	e.sb.SetDialect(sandbox.Dialect{MethodExact: true}) // "SBP" would be refused
	url, reqs := spy(t, e.sb)
	cfg := e.cfg
	cfg.BaseURL = url
	g := mustGateway(t, cfg)

	req := request("K07-000153-1")
	req.Description = "Касса самообслуживания K07, чек 000153"
	params := map[string]string{"till": "K07", "check": "000153"}
	req.Params = params
	r, err := g.CreatePayment(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	var body struct {
		Invoice struct {
			Description string            `json:"description"`
			OrderNo     string            `json:"orderNo"`
			Params      map[string]string `json:"params"`
		} `json:"invoice"`
		PaymentData map[string]string `json:"paymentData"`
	}
	if err := json.Unmarshal([]byte(reqs()[0].Body), &body); err != nil {
		t.Fatal(err)
	}
	if m := body.PaymentData["paymentMethod"]; m != "sbp" || paymaster.PaymentMethodSBP != "sbp" {
		t.Errorf("paymentMethod %q, want sbp", m)
	}
	inv := body.Invoice
	if inv.OrderNo != req.OrderNo || inv.Params[paymaster.OrderNoParam] != req.OrderNo || inv.Params["till"] != "K07" || inv.Params["check"] != "000153" {
		t.Errorf("invoice %+v", inv)
	}
	if want := "Касса самообслуживания K07, чек 000153, заказ K07-000153-1"; inv.Description != want {
		t.Errorf("description %q, want %q", inv.Description, want)
	}
	if len(params) != 2 {
		t.Errorf("the caller's params were changed: %v", params)
	}
	if r.OrderNo != req.OrderNo || r.ID != e.onlyPayment(t).ID {
		t.Errorf("remote %+v", r)
	}
}

// Rows that lack invoice.orderNo are matched on invoice.params.orderNo or
// on the order number as a whole word of the description; a row that has
// invoice.orderNo is matched on it alone.
func TestDialect_FindPaymentSecondCarrier(t *testing.T) {
	e := newEnv(t, sandbox.Options{}, nil)
	a := rawCreate(t, e, map[string]any{"description": "чек 1, заказ F-1", "orderNo": "F-1", "params": map[string]string{"orderNo": "F-1"}})
	b := rawCreate(t, e, map[string]any{"description": "чек 10, заказ F-10", "orderNo": "F-10"})
	c := rawCreate(t, e, map[string]any{"description": "чек 2", "orderNo": "F-2", "params": map[string]string{"orderNo": "F-2"}})
	d := rawCreate(t, e, map[string]any{"description": "заказ F-3 (см. F-4)", "orderNo": "F-3"})

	find := func(orderNo string) string {
		t.Helper()
		r, ok, err := e.gw.FindPayment(ctx, orderNo, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		if ok && r.OrderNo != orderNo {
			t.Errorf("found %s for %s with order number %q", r.ID, orderNo, r.OrderNo)
		}
		return r.ID
	}
	for _, dialect := range []sandbox.Dialect{{}, {ListRowsWithoutOrderNo: true}} {
		e.sb.SetDialect(dialect)
		for orderNo, want := range map[string]string{"F-1": a, "F-10": b, "F-2": c, "F-3": d, "F": "", "F-1-": "", "10": ""} {
			if got := find(orderNo); got != want {
				t.Errorf("%+v: %s found %q, want %q", dialect, orderNo, got, want)
			}
		}
	}
	// Only the echoed invoice.orderNo counts when a row has it: F-4 is
	// named by d's description, whose order is F-3.
	e.sb.SetDialect(sandbox.Dialect{})
	if got := find("F-4"); got != "" {
		t.Errorf("F-4 found %s", got)
	}
	e.sb.SetDialect(sandbox.Dialect{ListRowsWithoutInvoice: true})
	if got := find("F-1"); got != "" {
		t.Errorf("without the invoice F-1 found %s", got)
	}
}

// The lookup pages the list by its cursor over the window around the
// payment's creation.
func TestDialect_FindPaymentPagesWindow(t *testing.T) {
	clock := fakeClock{clockworkAt(time.Date(2024, 6, 1, 10, 0, 0, 0, time.UTC))}
	e := newEnv(t, sandbox.Options{Clock: clock, PageSize: 2}, func(c *paymaster.Config) { c.Clock = clock })
	e.sb.SetDialect(sandbox.Dialect{ListRowsWithoutOrderNo: true})
	for i := range 5 { // an hour before: outside the window
		rawCreate(t, e, map[string]any{"description": "old", "orderNo": fmt.Sprint("O-", i)})
	}
	clock.Advance(time.Hour)
	var target string
	for i := range 7 {
		req := request(fmt.Sprint("W-", i))
		req.Expires = clock.Now().Add(5 * time.Minute)
		r, err := e.gw.CreatePayment(ctx, req)
		if err != nil {
			t.Fatal(err)
		}
		if i == 5 {
			target = r.ID
		}
	}
	lists := e.sb.Calls(sandbox.KindList)
	r, ok, err := e.gw.FindPayment(ctx, "W-5", clock.Now())
	if err != nil || !ok || r.ID != target || r.OrderNo != "W-5" {
		t.Fatalf("found %+v %v %v, want %s", r, ok, err, target)
	}
	if n := e.sb.Calls(sandbox.KindList) - lists; n != 4 {
		t.Errorf("%d list pages for 7 payments in the window at 2 a page, want 4", n)
	}
}

// A create whose answer is lost, at a PayMaster whose list rows lack
// invoice.orderNo and which refuses the reused key: found, two create
// requests in all.
func TestDialect_LostCreateFoundWithoutOrderNoEcho(t *testing.T) {
	e := newEnv(t, sandbox.Options{}, nil)
	e.sb.SetDialect(sandbox.Dialect{ListRowsWithoutOrderNo: true, KeyReuse: sandbox.KeyReuseRefused})
	e.sb.AddFault(sandbox.Fault{Method: "POST", AfterHandling: true, Drop: true, Times: 1})
	req := request("L-1")
	req.Description = "Касса самообслуживания K07, чек 1"
	r, err := e.gw.CreatePayment(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	if p := e.onlyPayment(t); r.ID != p.ID || r.OrderNo != "L-1" {
		t.Fatalf("recovered %+v, sandbox %+v", r, p)
	}
	if n := e.sb.Calls(sandbox.KindCreate); n != 2 {
		t.Errorf("%d create requests, want 2 (the lost one and the refused resend)", n)
	}
}

// With nothing in the list naming the order, a refused key is reported as
// such, and the key is never sent again: later calls only look.
func TestDialect_RefusedKeyNotFound(t *testing.T) {
	e := newEnv(t, sandbox.Options{}, nil)
	e.sb.SetDialect(sandbox.Dialect{ListRowsWithoutInvoice: true})
	e.sb.AddFault(sandbox.Fault{Method: "POST", AfterHandling: true, Drop: true, Times: 1})
	req := request("L-2")
	for i := range 10 {
		_, err := e.gw.CreatePayment(ctx, req)
		pe := wantError(t, err, plugin.EUnavailable, "idempotency_key_violation")
		var apiErr *paymaster.APIError
		if !errors.As(err, &apiErr) || apiErr.Status != http.StatusConflict || apiErr.Code != "idempotency_key_violation" {
			t.Fatalf("call %d: the refusal is not kept: %v", i, err)
		}
		if !strings.Contains(pe.Error(), `"L-2"`) {
			t.Errorf("call %d: %v", i, err)
		}
	}
	if n := e.sb.Calls(sandbox.KindCreate); n != 2 {
		t.Errorf("%d create requests, want 2: none after the refusal", n)
	}
	if n := e.sb.Calls(sandbox.KindList); n != 10 {
		t.Errorf("%d lists, want one a call", n)
	}
	e.onlyPayment(t)
	// The list shows the order again: found with no create request.
	e.sb.SetDialect(sandbox.Dialect{ListRowsWithoutOrderNo: true})
	r, err := e.gw.CreatePayment(ctx, req)
	if err != nil || r.ID != e.onlyPayment(t).ID {
		t.Fatalf("%+v %v", r, err)
	}
	if n := e.sb.Calls(sandbox.KindCreate); n != 2 {
		t.Errorf("%d create requests", n)
	}
}

// However the create fails, one key goes out in at most MaxCreatePosts
// requests; after that the gateway only looks the payment up.
func TestDialect_CreatePostsCapped(t *testing.T) {
	e := newEnv(t, sandbox.Options{}, nil)
	e.sb.AddFault(sandbox.Fault{Method: "POST", Status: 503})
	req := request("C-1")
	for range 6 {
		_, err := e.gw.CreatePayment(ctx, req)
		wantError(t, err, plugin.EUnavailable, "")
	}
	if n := e.sb.Calls(sandbox.KindCreate); n != paymaster.MaxCreatePosts {
		t.Errorf("%d create requests, want %d", n, paymaster.MaxCreatePosts)
	}
	e.sb.ClearFaults()
	_, err := e.gw.CreatePayment(ctx, req)
	pe := wantError(t, err, plugin.EUnavailable, "outcome_unknown")
	if !strings.Contains(pe.Error(), "not sent again") {
		t.Errorf("%v", err)
	}
	if n := e.sb.Calls(sandbox.KindCreate); n != paymaster.MaxCreatePosts || len(e.sb.Payments()) != 0 {
		t.Errorf("%d create requests, %d payments", n, len(e.sb.Payments()))
	}
	// Another key is another payment, with its own budget.
	if _, err := e.gw.CreatePayment(ctx, request("C-2")); err != nil {
		t.Fatal(err)
	}
}

// answering is a server that answers every request with status and body.
func answering(t *testing.T, status int, body string) (*paymaster.Gateway, func() int) {
	t.Helper()
	var mu sync.Mutex
	n := 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		mu.Lock()
		n++
		mu.Unlock()
		if strings.HasPrefix(body, "{") {
			w.Header().Set("Content-Type", "application/json")
		}
		w.WriteHeader(status)
		io.WriteString(w, body)
	}))
	t.Cleanup(srv.Close)
	g := mustGateway(t, paymaster.Config{BaseURL: srv.URL, MerchantID: testMerchant, Token: testToken,
		RetryMax: 1, RetryWaitMin: time.Millisecond, RetryWaitMax: time.Millisecond})
	return g, func() int { mu.Lock(); defer mu.Unlock(); return n }
}

// The error body's code is preferred over the HTTP status wherever there
// is one; the status speaks only when the body has no code.
func TestDialect_BodyCodePreferred(t *testing.T) {
	for _, c := range []struct {
		status     int
		body       string
		code, want string
	}{
		{401, `{"code":"payment_token_blocked","message":"blocked"}`, plugin.ERejected, "payment_token_blocked"},
		{403, `{"code":"validation_error","message":"MerchantId is unknown"}`, plugin.ERejected, "validation_error"},
		{401, `{"code":"not_authorized","message":"no"}`, plugin.ERejected, "not_authorized"},
		{401, ``, plugin.ERejected, "not_authorized"},
		{403, `<html>Forbidden</html>`, plugin.ERejected, "not_authorized"},
		{404, `{"code":"invalid_operation","message":"no"}`, plugin.ERejected, "invalid_operation"},
		{404, ``, plugin.ENotFound, "not_found"},
		{500, `{"code":"validation_error","message":"bad"}`, plugin.ERejected, "validation_error"},
		{502, `{"code":"gateway","message":"bad"}`, plugin.EUnavailable, "gateway"},
		{200, `{"code":"invalid_operation","message":"no","errors":["x"]}`, plugin.ERejected, "invalid_operation"},
	} {
		t.Run(fmt.Sprint(c.status, " ", c.body), func(t *testing.T) {
			g, _ := answering(t, c.status, c.body)
			_, err := g.GetPayment(ctx, "40211873")
			wantError(t, err, c.code, c.want)
			if c.want == "not_authorized" || c.code == plugin.ENotFound || c.code == plugin.EUnavailable {
				return
			}
			_, err = g.CreatePayment(ctx, request("B-1"))
			wantError(t, err, plugin.ERejected, c.want)
		})
	}
}

// A create answered 200 with a documented error code was refused: nothing
// to look up.
func TestDialect_CreateRefusedWith200(t *testing.T) {
	g, calls := answering(t, 200, `{"code":"validation_error","message":"Request is invalid","errors":["Amount.Value must be greater than 0"]}`)
	_, err := g.CreatePayment(ctx, request("B-2"))
	wantError(t, err, plugin.ERejected, "validation_error")
	if n := calls(); n != 1 {
		t.Errorf("%d requests, want the create alone", n)
	}
}

// A cancel is accepted by a 200 with an empty body. A 200 with anything
// that is not JSON leaves its outcome unknown; one with an error code is a
// refusal.
func TestDialect_CancelAnswers(t *testing.T) {
	for _, c := range []struct {
		name, body   string
		code, reason string
	}{
		{"empty", "", "", ""},
		{"blank", " \r\n", "", ""},
		{"json", `{"id":"40211873","status":"Cancelled"}`, "", ""},
		{"html", "<html><body>502 Bad Gateway</body></html>", plugin.EUnavailable, "bad_answer"},
		{"truncated json", `{"id":"40211873","sta`, plugin.EUnavailable, "bad_answer"},
		{"error code", `{"code":"invalid_operation","message":"Payment cannot be cancelled"}`, plugin.ERejected, "invalid_operation"},
	} {
		t.Run(c.name, func(t *testing.T) {
			g, _ := answering(t, 200, c.body)
			err := g.CancelPayment(ctx, "40211873")
			if c.code == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			pe := wantError(t, err, c.code, c.reason)
			if c.reason == "bad_answer" && !strings.Contains(pe.Error(), "outcome is unknown") {
				t.Errorf("%v", err)
			}
		})
	}
	t.Run("sandbox malformed", func(t *testing.T) {
		e := newEnv(t, sandbox.Options{}, nil)
		r, err := e.gw.CreatePayment(ctx, request("X-1"))
		if err != nil {
			t.Fatal(err)
		}
		e.sb.AddFault(sandbox.Fault{Method: "PUT", Malformed: true, Times: 1})
		wantError(t, e.gw.CancelPayment(ctx, r.ID), plugin.EUnavailable, "bad_answer")
	})
}

package tillapi

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/sbpd/sbpd/plugin"
)

func TestStart_Created(t *testing.T) {
	var got plugin.StartRequest
	pay := &fakePayments{StartFn: func(_ context.Context, req plugin.StartRequest) (plugin.Payment, bool, error) {
		got = req
		p := testPayment("01JD0000000000000000000001", plugin.StateAwaitingPayment)
		p.CheckID, p.Amount, p.Mixed = req.CheckID, req.Amount, req.Mixed
		return p, true, nil
	}}
	ts := newTestServer(t, &Server{Payments: pay})

	res := do(t, "POST", ts.URL+"/api/v1/payments", `{"check_id":"000154","amount":25990,"mixed":true}`,
		"Content-Type", "application/json")
	p := res.payment(t, http.StatusCreated)

	if want := (plugin.StartRequest{CheckID: "000154", Amount: 25990, Mixed: true}); got != want {
		t.Errorf("engine got %+v, want %+v", got, want)
	}
	if loc := res.Header.Get("Location"); loc != "/api/v1/payments/01JD0000000000000000000001" {
		t.Errorf("Location = %q", loc)
	}
	want := map[string]any{
		"id":           "01JD0000000000000000000001",
		"check_id":     "000154",
		"order_no":     "K07-000153-1",
		"amount":       25990.0,
		"mixed":        true,
		"mode":         1.0,
		"state":        "awaiting_payment",
		"state_code":   2.0,
		"paymaster_id": "40211873",
		"qr_payload":   "https://qr.nspk.ru/AD100004BAL7227F9BNP6KNE007J9B3K?type=02&bank=100000000111",
		"expires_at":   "2024-05-01T10:05:00Z",
		"message":      plugin.TextScanScreen,
		"dialog":       nil,
		"error":        nil,
		"created_at":   "2024-05-01T10:00:00Z",
		"updated_at":   "2024-05-01T10:00:00Z",
	}
	for k, v := range want {
		if p[k] != v {
			t.Errorf("%s = %#v, want %#v", k, p[k], v)
		}
	}
	if _, ok := p["IdempotencyKey"]; ok {
		t.Error("the idempotency key leaked into the answer")
	}
	if strings.Contains(string(res.Body), `\u0026`) {
		t.Errorf("the QR link is HTML-escaped: %s", res.Body)
	}
}

// Letters, digits and - _ . / make a check id; the engine gets it as sent.
func TestStart_CheckIDCharacters(t *testing.T) {
	var got []string
	pay := &fakePayments{StartFn: func(_ context.Context, req plugin.StartRequest) (plugin.Payment, bool, error) {
		got = append(got, req.CheckID)
		p := testPayment("01JD0000000000000000000001", plugin.StateAwaitingPayment)
		p.CheckID = req.CheckID
		return p, true, nil
	}}
	ts := newTestServer(t, &Server{Payments: pay})
	for _, id := range []string{"A-1_2.3/4", strings.Repeat("z", 64), "7"} {
		res := do(t, "POST", ts.URL+"/api/v1/payments", `{"check_id":"`+id+`","amount":25990}`, "Content-Type", "application/json")
		if p := res.payment(t, http.StatusCreated); p["check_id"] != id {
			t.Errorf("check_id %q answered as %v", id, p["check_id"])
		}
	}
	if len(got) != 3 || got[0] != "A-1_2.3/4" {
		t.Errorf("engine got %q", got)
	}
}

func TestStart_Active(t *testing.T) {
	pay := &fakePayments{StartFn: func(_ context.Context, req plugin.StartRequest) (plugin.Payment, bool, error) {
		return testPayment("01JDACTIVE", plugin.StateStatusUnknown), false, nil
	}}
	ts := newTestServer(t, &Server{Payments: pay})

	// A Content-Type with parameters is still JSON.
	for _, ct := range []string{"application/json", "application/json; charset=utf-8", "Application/JSON;charset=UTF-8"} {
		res := do(t, "POST", ts.URL+"/api/v1/payments", `{"check_id":"000153","amount":25990}`, "Content-Type", ct)
		p := res.payment(t, http.StatusOK)
		if p["id"] != "01JDACTIVE" || p["state_code"] != 3.0 || p["message"] != plugin.TextNotCompleted {
			t.Errorf("Content-Type %q: got %v", ct, p)
		}
		if res.Header.Get("Location") != "" {
			t.Errorf("Location set on 200")
		}
	}
}

func TestStart_BadInput(t *testing.T) {
	ok := `{"check_id":"000153","amount":25990,"mixed":false}`
	tests := []struct {
		name     string
		body     string
		status   int
		code     string
		contains []string // in the message
	}{
		{"empty body", "", 400, "invalid_json", []string{"empty"}},
		{"blank body", " \n ", 400, "invalid_json", []string{"empty"}},
		{"unclosed object", "{", 400, "invalid_json", []string{"byte 1"}},
		{"not JSON", "check_id=000153&amount=25990", 400, "invalid_json", []string{"not valid JSON", "byte"}},
		{"bad syntax", `{"check_id":"000153",}`, 400, "invalid_json", []string{"not valid JSON", "byte 22"}},
		{"array", "[]", 400, "invalid_json", []string{"JSON object", "an array"}},
		{"string", `"000153"`, 400, "invalid_json", []string{"a string"}},
		{"null", `null`, 400, "invalid_json", []string{"null"}},
		{"trailing garbage", ok + " x", 400, "invalid_json", []string{"more data", "byte 50"}},
		{"two objects", ok + ok, 400, "invalid_json", []string{"more data"}},
		{"unknown field", `{"check_id":"000153","amout":25990}`, 422, "unknown_field", []string{`"amout"`, "check_id, amount, mixed"}},
		{"unknown fields", `{"check_id":"000153","amount":1,"b":1,"a":2}`, 422, "unknown_field", []string{`"a", "b"`}},
		{"missing check_id", `{"amount":25990}`, 422, "invalid_check_id", []string{"check_id", plugin.CheckIDRule}},
		{"empty check_id", `{"check_id":"","amount":25990}`, 422, "invalid_check_id", []string{"check_id", plugin.CheckIDRule}},
		{"blank check_id", `{"check_id":"   ","amount":25990}`, 422, "invalid_check_id", []string{"check_id", plugin.CheckIDRule}},
		{"check_id 65 chars", `{"check_id":"` + strings.Repeat("7", 65) + `","amount":25990}`, 422, "invalid_check_id", []string{plugin.CheckIDRule}},
		{"check_id control char", `{"check_id":"0001\n53","amount":25990}`, 422, "invalid_check_id", []string{plugin.CheckIDRule}},
		{"check_id Cyrillic", `{"check_id":"Чек15","amount":25990}`, 422, "invalid_check_id", []string{plugin.CheckIDRule, "order number"}},
		{"check_id space", `{"check_id":"000 153","amount":25990}`, 422, "invalid_check_id", []string{plugin.CheckIDRule}},
		{"check_id padded", `{"check_id":" 000153","amount":25990}`, 422, "invalid_check_id", []string{plugin.CheckIDRule}},
		{"check_id numero sign", `{"check_id":"№15","amount":25990}`, 422, "invalid_check_id", []string{plugin.CheckIDRule}},
		{"check_id quote", `{"check_id":"15\"","amount":25990}`, 422, "invalid_check_id", []string{plugin.CheckIDRule}},
		{"check_id apostrophe", `{"check_id":"15'","amount":25990}`, 422, "invalid_check_id", []string{plugin.CheckIDRule}},
		{"check_id number", `{"check_id":153,"amount":25990}`, 422, "invalid_check_id", []string{"string", "got 153", plugin.CheckIDRule}},
		{"check_id null", `{"check_id":null,"amount":25990}`, 422, "invalid_check_id", []string{"string", plugin.CheckIDRule}},
		{"amount 0", `{"check_id":"000153","amount":0}`, 422, "invalid_amount", []string{"positive"}},
		{"amount -1", `{"check_id":"000153","amount":-1}`, 422, "invalid_amount", []string{"positive"}},
		{"amount fraction", `{"check_id":"000153","amount":259.9}`, 422, "invalid_amount", []string{amountRule, "got 259.9"}},
		{"amount string", `{"check_id":"000153","amount":"25990"}`, 422, "invalid_amount", []string{amountRule, `got "25990"`, "without quotes"}},
		{"amount exponent", `{"check_id":"000153","amount":1e3}`, 422, "invalid_amount", []string{amountRule, "got 1e3"}},
		{"amount null", `{"check_id":"000153","amount":null}`, 422, "invalid_amount", []string{amountRule, "null"}},
		{"amount true", `{"check_id":"000153","amount":true}`, 422, "invalid_amount", []string{amountRule, "boolean"}},
		{"amount missing", `{"check_id":"000153"}`, 422, "invalid_amount", []string{amountRule, "missing"}},
		{"amount over limit", `{"check_id":"000153","amount":100000001}`, 422, "invalid_amount", []string{"100000000"}},
		{"amount overflow", `{"check_id":"000153","amount":99999999999999999999}`, 422, "invalid_amount", []string{"out of range"}},
		{"mixed string", `{"check_id":"000153","amount":25990,"mixed":"yes"}`, 422, "invalid_mixed", []string{"true", "false", `got "yes"`}},
		{"mixed number", `{"check_id":"000153","amount":25990,"mixed":1}`, 422, "invalid_mixed", []string{"got 1"}},
		{"mixed null", `{"check_id":"000153","amount":25990,"mixed":null}`, 422, "invalid_mixed", []string{"got null"}},
		{"oversized body", `{"check_id":"000153","amount":25990` + strings.Repeat(" ", 64<<10) + `}`, 413, "body_too_large", []string{"65536 bytes"}},
	}
	// The engine must never see a bad request.
	ts := newTestServer(t, &Server{Payments: &fakePayments{}})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := do(t, "POST", ts.URL+"/api/v1/payments", tt.body, "Content-Type", "application/json")
			msg := res.wantError(t, tt.status, tt.code)
			for _, s := range tt.contains {
				if !strings.Contains(msg, s) {
					t.Errorf("message %q does not contain %q", msg, s)
				}
			}
		})
	}
}

func TestStart_MaxBodyBytes(t *testing.T) {
	pay := &fakePayments{StartFn: func(_ context.Context, req plugin.StartRequest) (plugin.Payment, bool, error) {
		return testPayment("01JD", plugin.StateCreating), true, nil
	}}
	ts := newTestServer(t, &Server{Payments: pay, MaxBodyBytes: 64})
	body := `{"check_id":"000153","amount":25990}` // 36 bytes

	do(t, "POST", ts.URL+"/api/v1/payments", body).payment(t, http.StatusCreated)

	big := body + strings.Repeat(" ", 40)
	msg := do(t, "POST", ts.URL+"/api/v1/payments", big).wantError(t, http.StatusRequestEntityTooLarge, "body_too_large")
	if !strings.Contains(msg, "64 bytes") {
		t.Errorf("message %q does not name the limit", msg)
	}

	// Without a Content-Length the limit holds while reading.
	req, err := http.NewRequest("POST", ts.URL+"/api/v1/payments", io.MultiReader(strings.NewReader(big)))
	if err != nil {
		t.Fatal(err)
	}
	req.ContentLength = -1
	req.Header.Set("Content-Type", "application/json")
	send(t, req).wantError(t, http.StatusRequestEntityTooLarge, "body_too_large")
}

// engineErrors are the engine's errors and the answers they map to.
var engineErrors = []struct {
	name   string
	err    error
	status int
	code   string
	msg    string // "" for any non-empty message
}{
	{"conflict with reason", &plugin.Error{Code: plugin.EConflict, Reason: "other_check_active", Message: "payment for check 000152 is in progress"},
		409, "other_check_active", "payment for check 000152 is in progress"},
	{"conflict", plugin.Errorf(plugin.EConflict, "payment is final"), 409, "conflict", "payment is final"},
	{"not found", plugin.Errorf(plugin.ENotFound, "no payment 01JD"), 404, "not_found", "no payment 01JD"},
	{"not ready", &plugin.Error{Code: plugin.ENotReady}, 503, "not_ready", ""},
	{"disabled", plugin.Errorf(plugin.EDisabled, "SBP is turned off"), 403, "disabled", "SBP is turned off"},
	{"storage", &plugin.Error{Code: plugin.EStorage, Message: "journal is not writable", Err: errors.New("disk I/O error")}, 503, "storage", "journal is not writable"},
	{"unavailable", &plugin.Error{Code: plugin.EUnavailable, Reason: "paymaster_timeout", Message: "PayMaster did not answer"}, 502, "paymaster_timeout", "PayMaster did not answer"},
	{"rejected", plugin.Errorf(plugin.ERejected, "PayMaster refused"), 502, "rejected", "PayMaster refused"},
	{"invalid", &plugin.Error{Code: plugin.EInvalid, Reason: "mixed_not_allowed", Message: "mixed payments are off"}, 422, "mixed_not_allowed", "mixed payments are off"},
	{"wrapped", fmt.Errorf("start: %w", plugin.Errorf(plugin.EConflict, "busy")), 409, "conflict", "busy"},
	{"internal", &plugin.Error{Code: plugin.EInternal, Message: "secret detail"}, 500, "internal", "internal error"},
	{"plain error", errors.New("sql: database is locked at /var/lib/secret"), 500, "internal", "internal error"},
}

func TestStart_EngineErrors(t *testing.T) {
	for _, tt := range engineErrors {
		t.Run(tt.name, func(t *testing.T) {
			pay := &fakePayments{StartFn: func(context.Context, plugin.StartRequest) (plugin.Payment, bool, error) {
				return plugin.Payment{}, false, tt.err
			}}
			logger, logs := captureLogs()
			ts := newTestServer(t, &Server{Payments: pay, Logger: logger})
			res := do(t, "POST", ts.URL+"/api/v1/payments", `{"check_id":"000153","amount":25990}`)
			msg := res.wantError(t, tt.status, tt.code)
			if tt.msg != "" && msg != tt.msg {
				t.Errorf("message = %q, want %q", msg, tt.msg)
			}
			if strings.Contains(string(res.Body), "secret") || strings.Contains(string(res.Body), "disk I/O") {
				t.Errorf("the cause leaked: %s", res.Body)
			}
			if tt.status >= 500 && !strings.Contains(logs.String(), tt.err.Error()) {
				t.Errorf("the error is not logged: %s", logs)
			}
		})
	}
}

func TestGet_OK(t *testing.T) {
	var gotID string
	pay := &fakePayments{GetFn: func(_ context.Context, id string) (plugin.Payment, error) {
		gotID = id
		p := testPayment(id, plugin.StateNotPaid)
		p.Reason = plugin.ReasonInsufficientFunds
		return p, nil
	}}
	ts := newTestServer(t, &Server{Payments: pay})
	p := do(t, "GET", ts.URL+"/api/v1/payments/01JDX", "").payment(t, http.StatusOK)
	if gotID != "01JDX" {
		t.Errorf("engine got id %q", gotID)
	}
	if p["id"] != "01JDX" || p["state"] != "not_paid" || p["state_code"] != 6.0 ||
		p["message"] != plugin.TextInsufficient || p["reason"] != "insufficient_funds" || p["error"] != nil {
		t.Errorf("got %v", p)
	}
}

func TestGet_NeedsAttention(t *testing.T) {
	pay := &fakePayments{GetFn: func(_ context.Context, id string) (plugin.Payment, error) {
		p := testPayment(id, plugin.StateNeedsAttention)
		p.Reason = plugin.ReasonCancelFailed
		return p, nil
	}}
	ts := newTestServer(t, &Server{Payments: pay})
	p := do(t, "GET", ts.URL+"/api/v1/payments/01JDX", "").payment(t, http.StatusOK)
	e, _ := p["error"].(map[string]any)
	if p["state_code"] != 7.0 || e["code"] != "cancel_failed" || e["message"] != plugin.TextNeedsAttention {
		t.Errorf("got %v", p)
	}
}

func TestGet_NotFound(t *testing.T) {
	pay := &fakePayments{GetFn: func(_ context.Context, id string) (plugin.Payment, error) {
		return plugin.Payment{}, plugin.Errorf(plugin.ENotFound, "no payment %s", id)
	}}
	ts := newTestServer(t, &Server{Payments: pay})
	msg := do(t, "GET", ts.URL+"/api/v1/payments/01JDNONE", "").wantError(t, http.StatusNotFound, "not_found")
	if msg != "no payment 01JDNONE" {
		t.Errorf("message = %q", msg)
	}
}

func TestRetry_OK(t *testing.T) {
	var gotID string
	pay := &fakePayments{RetryFn: func(_ context.Context, id string) (plugin.Payment, error) {
		gotID = id
		return testPayment(id, plugin.StateAwaitingPayment), nil
	}}
	ts := newTestServer(t, &Server{Payments: pay})
	// A body, if sent, is ignored.
	p := do(t, "POST", ts.URL+"/api/v1/payments/01JDR/retry", `{}`).payment(t, http.StatusOK)
	if gotID != "01JDR" || p["state"] != "awaiting_payment" || p["state_code"] != 2.0 || p["dialog"] != nil {
		t.Errorf("id %q, got %v", gotID, p)
	}
}

func TestCancel_OK(t *testing.T) {
	var gotID string
	pay := &fakePayments{CancelFn: func(_ context.Context, id string) (plugin.Payment, error) {
		gotID = id
		return testPayment(id, plugin.StateCanceling), nil
	}}
	ts := newTestServer(t, &Server{Payments: pay})
	p := do(t, "POST", ts.URL+"/api/v1/payments/01JDC/cancel", "").payment(t, http.StatusOK)
	if gotID != "01JDC" || p["state"] != "canceling" || p["state_code"] != 4.0 || p["message"] != plugin.TextCanceling {
		t.Errorf("id %q, got %v", gotID, p)
	}
}

func TestRetryCancel_Errors(t *testing.T) {
	for _, action := range []string{"retry", "cancel"} {
		for _, tt := range engineErrors {
			t.Run(action+"/"+tt.name, func(t *testing.T) {
				fail := func(context.Context, string) (plugin.Payment, error) { return plugin.Payment{}, tt.err }
				pay := &fakePayments{RetryFn: fail, CancelFn: fail}
				logger, _ := captureLogs()
				ts := newTestServer(t, &Server{Payments: pay, Logger: logger})
				do(t, "POST", ts.URL+"/api/v1/payments/01JD/"+action, "").wantError(t, tt.status, tt.code)
			})
		}
	}
}

func TestRetry_Dialog(t *testing.T) {
	// The engine answers a retry with the dialog state when PayMaster is
	// still unreachable; the dialog comes from Decorate.
	pay := &fakePayments{RetryFn: func(_ context.Context, id string) (plugin.Payment, error) {
		p := testPayment(id, plugin.StateStatusUnknown)
		p.Offline = true
		return p, nil
	}}
	ts := newTestServer(t, &Server{Payments: pay})
	p := do(t, "POST", ts.URL+"/api/v1/payments/01JD/retry", "").payment(t, http.StatusOK)
	d, _ := p["dialog"].(map[string]any)
	if p["message"] != plugin.TextNoConnection || d["text"] != plugin.TextNoConnection ||
		fmt.Sprint(d["actions"]) != "[retry cancel]" {
		t.Errorf("got %v", p)
	}
	if _, ok := p["Offline"]; ok {
		t.Error("Offline leaked")
	}
}

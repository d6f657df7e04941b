package sandbox_test

import (
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/sbpd/sbpd/drivers/paymaster/sandbox"
)

func TestServer_ControlAPI(t *testing.T) {
	s, base := MustStart(t, sandbox.Options{})
	a := mustCreate(t, base, "X-1", nil, "")
	b := mustCreate(t, base, "X-2", nil, "")
	c := mustCreate(t, base, "X-3", nil, "")
	d := mustCreate(t, base, "X-4", nil, "")
	e := mustCreate(t, base, "X-5", nil, "")

	if err := s.Pay(a); err != nil {
		t.Fatal(err)
	}
	if err := s.PayAmount(b, 100); err != nil {
		t.Fatal(err)
	}
	if err := s.Decline(c, "InsufficientFunds"); err != nil {
		t.Fatal(err)
	}
	if err := s.Expire(d); err != nil {
		t.Fatal(err)
	}
	if err := s.SetStatus(e, "Refunded"); err != nil {
		t.Fatal(err)
	}
	want := map[string][2]string{
		a: {"Settled", "Success"}, b: {"Settled", "Success"}, c: {"Rejected", "InsufficientFunds"},
		d: {"Cancelled", "PaymentExpired"}, e: {"Refunded", "Success"},
	}
	for id, w := range want {
		m := call(t, "GET", base+"/api/v2/payments/"+id, bearer, nil).JSON(t)
		if m["status"] != w[0] || m["resultCode"] != w[1] {
			t.Errorf("%s: %v/%v, want %v", id, m["status"], m["resultCode"], w)
		}
	}
	if m := call(t, "GET", base+"/api/v2/payments/"+b, bearer, nil).JSON(t); m["amount"].(map[string]any)["value"] != 1.0 {
		t.Errorf("PayAmount: amount %v, want 1.0000", m["amount"])
	}

	if err := s.Pay(a); !errors.Is(err, sandbox.ErrFinal) {
		t.Errorf("Pay of a settled payment: %v", err)
	}
	if err := s.Decline("nope", ""); !errors.Is(err, sandbox.ErrUnknownPayment) {
		t.Errorf("Decline of an unknown payment: %v", err)
	}
	if err := s.PayAmount(e, 0); err == nil {
		t.Error("PayAmount(0) accepted")
	}
	if err := s.SetStatus("nope", "X"); !errors.Is(err, sandbox.ErrUnknownPayment) {
		t.Errorf("SetStatus of an unknown payment: %v", err)
	}
	if err := s.Pay(e); err != nil { // an unknown status is not final
		t.Errorf("Pay after an unknown status: %v", err)
	}
}

func TestServer_ControlHTTP(t *testing.T) {
	s, base := MustStart(t, sandbox.Options{})
	ids := make([]string, 4)
	for i := range ids {
		ids[i] = mustCreate(t, base, "H-"+string(rune('a'+i)), nil, "")
	}
	ctl := func(method, path string, body any) answer { return call(t, method, base+"/sandbox"+path, "", body) }
	status := func(id string) (string, string) {
		p, _ := s.Payment(id)
		return p.Status, p.ResultCode
	}

	if a := ctl("POST", "/payments/"+ids[0]+"/pay", nil); a.Status != 200 || a.JSON(t)["status"] != "Settled" {
		t.Errorf("pay: HTTP %d %s", a.Status, a.Body)
	}
	if a := ctl("POST", "/payments/"+ids[1]+"/pay", `{"amount": 12345}`); a.Status != 200 || a.JSON(t)["paid_amount"] != 12345.0 {
		t.Errorf("pay amount: HTTP %d %s", a.Status, a.Body)
	}
	if a := ctl("POST", "/payments/"+ids[2]+"/decline", `{"result_code":"InsufficientFunds"}`); a.Status != 200 {
		t.Errorf("decline: HTTP %d %s", a.Status, a.Body)
	}
	if st, rc := status(ids[2]); st != "Rejected" || rc != "InsufficientFunds" {
		t.Errorf("decline: %s/%s", st, rc)
	}
	if a := ctl("POST", "/payments/"+ids[3]+"/status", `{"status":"Mystery"}`); a.Status != 200 {
		t.Errorf("status: HTTP %d %s", a.Status, a.Body)
	}
	if a := ctl("POST", "/payments/"+ids[3]+"/decline", ""); a.Status != 200 {
		t.Errorf("decline default: HTTP %d %s", a.Status, a.Body)
	}
	if st, rc := status(ids[3]); st != "Rejected" || rc != "CancelledByUser" {
		t.Errorf("decline default: %s/%s", st, rc)
	}
	id := mustCreate(t, base, "H-e", nil, "")
	if a := ctl("POST", "/payments/"+id+"/expire", nil); a.Status != 200 {
		t.Errorf("expire: HTTP %d %s", a.Status, a.Body)
	}
	if st, rc := status(id); st != "Cancelled" || rc != "PaymentExpired" {
		t.Errorf("expire: %s/%s", st, rc)
	}

	a := ctl("GET", "/payments", nil)
	var list []sandbox.Payment
	if err := json.Unmarshal(a.Body, &list); err != nil || len(list) != 5 || list[0].ID != ids[0] || list[0].Amount != 25990 {
		t.Errorf("payments: %v %s", err, a.Body)
	}
	if a := ctl("GET", "/payments/"+ids[0], nil); a.Status != 200 || a.JSON(t)["id"] != ids[0] {
		t.Errorf("payment: HTTP %d %s", a.Status, a.Body)
	}

	bad := []struct {
		name, method, path string
		body               any
		status             int
		want               string
	}{
		{"unknown payment", "POST", "/payments/1/pay", nil, 404, "no such payment"},
		{"final payment", "POST", "/payments/" + ids[0] + "/pay", nil, 409, "already final"},
		{"pay bad json", "POST", "/payments/" + id + "/pay", `{"amount":`, 400, "bad JSON"},
		{"pay unknown field", "POST", "/payments/" + id + "/pay", `{"sum": 1}`, 400, "unknown field"},
		{"pay zero", "POST", "/payments/" + ids[2] + "/pay", `{"amount": 0}`, 400, "positive"},
		{"decline wrong type", "POST", "/payments/" + id + "/decline", `{"result_code": 5}`, 400, "bad JSON"},
		{"status empty", "POST", "/payments/" + id + "/status", `{}`, 400, "status"},
		{"get unknown", "GET", "/payments/1", nil, 404, "no such payment"},
		{"fault empty", "POST", "/faults", "", 400, "body must be a fault"},
		{"fault bad latency", "POST", "/faults", `{"latency":"soon","status":500}`, 400, "not a duration"},
		{"fault bad status", "POST", "/faults", `{"status":1000}`, 400, "not an HTTP status"},
		{"fault two answers", "POST", "/faults", `{"status":500,"drop":true}`, 400, "one of"},
		{"fault no-op", "POST", "/faults", `{"method":"GET"}`, 400, "does nothing"},
		{"fault negative times", "POST", "/faults", `{"status":500,"times":-1}`, 400, "times"},
		{"fault bad path", "POST", "/faults", `{"status":500,"path":"api"}`, 400, "must start with /"},
		{"fault typo", "POST", "/faults", `{"stauts":500}`, 400, "unknown field"},
		{"config cancel", "POST", "/config", `{"cancel":"maybe"}`, 400, "accept, accept_pending, reject"},
		{"config qr", "POST", "/config", `{"qr_after_gets":-1}`, 400, "0 or more"},
		{"config type", "POST", "/config", `{"qr_after_gets":"2"}`, 400, "bad JSON"},
		{"unknown endpoint", "POST", "/reboot", nil, 404, "no control endpoint"},
	}
	for _, tt := range bad {
		a := ctl(tt.method, tt.path, tt.body)
		var e struct{ Error string }
		json.Unmarshal(a.Body, &e)
		if a.Status != tt.status || !strings.Contains(e.Error, tt.want) {
			t.Errorf("%s: HTTP %d %s, want %d mentioning %q", tt.name, a.Status, a.Body, tt.status, tt.want)
		}
	}

	// Faults and config over HTTP change behaviour.
	if a := ctl("POST", "/faults", `{"method":"get","path":"/api/v2/payments/","status":503,"retry_after":"1","times":1,"latency":"5ms"}`); a.Status != 200 {
		t.Fatalf("add fault: HTTP %d %s", a.Status, a.Body)
	}
	a = call(t, "GET", base+"/api/v2/payments/"+id, bearer, nil)
	if a.Status != 503 || a.Header.Get("Retry-After") != "1" {
		t.Errorf("faulted GET: HTTP %d, Retry-After %q", a.Status, a.Header.Get("Retry-After"))
	}
	if a := call(t, "GET", base+"/api/v2/payments/"+id, bearer, nil); a.Status != 200 {
		t.Errorf("GET after a times=1 fault: HTTP %d", a.Status)
	}
	ctl("POST", "/faults", `{"status":500}`)
	if a := call(t, "GET", base+"/api/v2/payments/"+id, bearer, nil); a.Status != 500 {
		t.Errorf("GET with a lasting fault: HTTP %d", a.Status)
	}
	if a := ctl("DELETE", "/faults", nil); a.Status != 200 {
		t.Errorf("clear faults: HTTP %d", a.Status)
	}
	if a := call(t, "GET", base+"/api/v2/payments/"+id, bearer, nil); a.Status != 200 {
		t.Errorf("GET after clearing: HTTP %d", a.Status)
	}

	if a := ctl("POST", "/config", `{"cancel":"reject","qr_after_gets":1}`); a.Status != 200 {
		t.Fatalf("config: HTTP %d %s", a.Status, a.Body)
	}
	id = mustCreate(t, base, "H-f", nil, "")
	if a := call(t, "PUT", base+"/api/v2/payments/"+id+"/cancel", bearer, nil); a.Status != http.StatusBadRequest {
		t.Errorf("cancel with reject mode: HTTP %d", a.Status)
	}
	if m := call(t, "GET", base+"/api/v2/payments/"+id, bearer, nil).JSON(t); m["status"] != "Pending" {
		t.Errorf("first GET with qr_after_gets=1: %v", m["status"])
	}
	if a := ctl("POST", "/config", `{"cancel":"accept_pending"}`); a.JSON(t)["cancel"] != "accept_pending" || a.JSON(t)["qr_after_gets"] != 1.0 {
		t.Errorf("config answer: %s", a.Body)
	}
}

func TestServer_StartClose(t *testing.T) {
	s := sandbox.New(sandbox.Options{})
	if s.URL() != "" {
		t.Errorf("URL before Start: %q", s.URL())
	}
	base, err := s.Start("")
	if err != nil || !strings.HasPrefix(base, "http://127.0.0.1:") || s.URL() != base {
		t.Fatalf("Start: %q, %v", base, err)
	}
	if _, err := s.Start(""); err == nil {
		t.Error("second Start succeeded")
	}
	// Defaults apply.
	a := call(t, "GET", base+"/api/v2/payments/1", "Bearer "+sandbox.DefaultToken, nil)
	if a.Status != 404 {
		t.Errorf("default token: HTTP %d", a.Status)
	}
	if s.Token() != sandbox.DefaultToken || s.MerchantID() != sandbox.DefaultMerchantID {
		t.Errorf("defaults: %q %q", s.Token(), s.MerchantID())
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	if _, err := s.Start(""); err == nil {
		t.Error("Start after Close succeeded")
	}
	if _, err := http.Get(base + "/sandbox/payments"); err == nil {
		t.Error("still serving after Close")
	}
	if _, err := sandbox.New(sandbox.Options{}).Start("256.0.0.1:x"); err == nil {
		t.Error("Start on a bad address succeeded")
	}
}

func TestParseCancelMode(t *testing.T) {
	for _, m := range []sandbox.CancelMode{sandbox.CancelAccept, sandbox.CancelAcceptPending, sandbox.CancelReject} {
		got, err := sandbox.ParseCancelMode(m.String())
		if err != nil || got != m {
			t.Errorf("ParseCancelMode(%q) = %v, %v", m.String(), got, err)
		}
	}
	if _, err := sandbox.ParseCancelMode("Accept"); err == nil {
		t.Error("ParseCancelMode accepted a wrong spelling")
	}
}

// TestRandomCredentials: each call gives a new token and merchant id, of
// the shapes PayMaster's are.
func TestRandomCredentials(t *testing.T) {
	tok1, m1 := sandbox.RandomCredentials()
	tok2, m2 := sandbox.RandomCredentials()
	if len(tok1) != 32 || tok1 == tok2 || m1 == m2 || len(m1) != 36 || m1[14] != '4' {
		t.Errorf("tokens %q %q, merchants %q %q", tok1, tok2, m1, m2)
	}
}

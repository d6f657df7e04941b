package sandbox_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"

	"github.com/sbpd/sbpd/drivers/paymaster/sandbox"
)

func TestServer_Auth(t *testing.T) {
	s, base := MustStart(t, sandbox.Options{Stickers: []string{"st1"}})
	id := mustCreate(t, base, "A-1", nil, "")
	endpoints := []struct{ method, path string }{
		{"POST", "/api/v2/payments"},
		{"GET", "/api/v2/payments/" + id},
		{"GET", "/api/v2/payments?merchantId=" + merchant},
		{"PUT", "/api/v2/payments/" + id + "/cancel"},
		{"GET", "/api/v2/stickers/st1"},
		{"GET", "/api/v2/nothing"},
	}
	for _, auth := range []string{"", "Bearer wrong", "Basic " + token, token, "Bearer"} {
		for _, e := range endpoints {
			a := call(t, e.method, base+e.path, auth, nil)
			if a.Status != http.StatusUnauthorized {
				t.Errorf("%s %s with %q: HTTP %d, want 401", e.method, e.path, auth, a.Status)
				continue
			}
			if code, _ := a.apiErr(t); code != "not_authorized" {
				t.Errorf("%s %s: code %q, want not_authorized", e.method, e.path, code)
			}
		}
	}
	if n := len(s.Payments()); n != 1 {
		t.Errorf("unauthorized requests changed the payments: %d, want 1", n)
	}
	if got := s.Calls(sandbox.KindCreate); got != 1+5 {
		t.Errorf("Calls(create) = %d, want 6", got)
	}
	// Scheme is case-insensitive, as in HTTP.
	if a := call(t, "GET", base+"/api/v2/payments/"+id, "bearer "+token, nil); a.Status != 200 {
		t.Errorf("lower-case bearer: HTTP %d", a.Status)
	}
}

func TestServer_Create(t *testing.T) {
	clock := fakeClock{clockwork.NewFakeClockAt(t0)}
	_, base := MustStart(t, sandbox.Options{Clock: clock})
	a := call(t, "POST", base+"/api/v2/payments", bearer, expiring("K07-1", t0.Add(5*time.Minute)), "Idempotency-Key", "k1")
	if a.Status != 200 {
		t.Fatalf("HTTP %d: %s", a.Status, a.Body)
	}
	if ct := a.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Errorf("Content-Type %q", ct)
	}
	if !strings.Contains(string(a.Body), `"value":259.9000`) {
		t.Errorf("amount is not echoed with 4 decimals as a number: %s", a.Body)
	}
	var p struct {
		ID           string `json:"id"`
		Created      string `json:"created"`
		TestMode     bool   `json:"testMode"`
		Status       string `json:"status"`
		ResultCode   string `json:"resultCode"`
		MerchantID   string `json:"merchantId"`
		Invoice      map[string]any
		Amount       struct{ Value, Currency string }
		PaymentData  struct{ PaymentMethod string }
		Confirmation *struct {
			Type          string
			UniversalLink bool
			PaymentURL    string
		}
	}
	if err := json.Unmarshal(a.Body, &p); err == nil {
		t.Fatal("amount decoded into a string: it must be a JSON number")
	}
	a.Body = []byte(strings.Replace(string(a.Body), `"value":259.9000`, `"value":"259.9000"`, 1))
	if err := json.Unmarshal(a.Body, &p); err != nil {
		t.Fatal(err)
	}
	if p.ID != "40211873" || p.Status != "Confirmation" || p.ResultCode != "Success" || p.MerchantID != merchant || !p.TestMode {
		t.Errorf("payment = %+v", p)
	}
	if p.Created != "2024-06-01T10:00:00Z" {
		t.Errorf("created = %q", p.Created)
	}
	if p.Invoice["orderNo"] != "K07-1" || p.Invoice["description"] != "Self-checkout K07, receipt 000153" || p.Invoice["expires"] != "2024-06-01T10:05:00Z" {
		t.Errorf("invoice = %v", p.Invoice)
	}
	if p.Amount.Value != "259.9000" || p.Amount.Currency != "RUB" || p.PaymentData.PaymentMethod != "SBP" {
		t.Errorf("amount %+v, paymentData %+v", p.Amount, p.PaymentData)
	}
	if p.Confirmation == nil || p.Confirmation.Type != "External" || !p.Confirmation.UniversalLink {
		t.Fatalf("confirmation = %+v", p.Confirmation)
	}
	// testMode: true answers a PayMaster mock page (TestServer_NSPKIDs32 has the live link).
	re := regexp.MustCompile(`^https://paymaster\.ru/cpay/mock/sbp/[0-9a-f]{32}$`)
	if !re.MatchString(p.Confirmation.PaymentURL) {
		t.Errorf("paymentUrl %q does not look like a test-mode mock page", p.Confirmation.PaymentURL)
	}

	// Ids increase; the method is case-insensitive; 4-decimal amounts are fine.
	body := expiring("K07-2", t0.Add(5*time.Minute))
	body["paymentData"] = map[string]any{"paymentMethod": "sbp"}
	body["amount"] = map[string]any{"value": json.Number("0.0500"), "currency": "RUB"}
	a = call(t, "POST", base+"/api/v2/payments", bearer, body)
	if a.Status != 200 {
		t.Fatalf("HTTP %d: %s", a.Status, a.Body)
	}
	if m := a.JSON(t); m["id"] != "40211874" || m["amount"].(map[string]any)["value"] != 0.05 {
		t.Errorf("second payment: %s", a.Body)
	}
}

func TestServer_Create_Validation(t *testing.T) {
	s, base := MustStart(t, sandbox.Options{Stickers: []string{"st1"}})
	set := func(path string, v any) map[string]any {
		b := createBody("V-1")
		parts := strings.Split(path, ".")
		m := b
		for _, p := range parts[:len(parts)-1] {
			m = m[p].(map[string]any)
		}
		if v == nil {
			delete(m, parts[len(parts)-1])
		} else {
			m[parts[len(parts)-1]] = v
		}
		return b
	}
	tests := []struct {
		name string
		body any
		want string
	}{
		{"merchant", set("merchantId", "other"), "MerchantId"},
		{"no merchant", set("merchantId", nil), "MerchantId"},
		{"no description", set("invoice.description", nil), "Invoice.Description is required"},
		{"blank description", set("invoice.description", "  "), "Invoice.Description is required"},
		{"no order", set("invoice.orderNo", ""), "Invoice.OrderNo is required"},
		{"bad expires", set("invoice.expires", "tomorrow"), "Invoice.Expires"},
		{"past expires", set("invoice.expires", "2020-01-01T00:00:00Z"), "Invoice.Expires must be in the future"},
		{"no invoice", set("invoice", nil), "Invoice is required"},
		{"zero amount", set("amount.value", json.Number("0.00")), "greater than 0"},
		{"negative amount", set("amount.value", json.Number("-1.00")), "greater than 0"},
		{"three decimals", set("amount.value", json.Number("259.901")), "at most 2 decimal places"},
		{"exponent", set("amount.value", json.Number("2.5e2")), "plain decimal"},
		{"string amount", set("amount.value", "259.90"), "not a string"},
		{"no amount value", set("amount.value", nil), "Amount.Value is required"},
		{"no amount", set("amount", nil), "Amount is required"},
		{"currency", set("amount.currency", "USD"), "Amount.Currency must be RUB"},
		{"method", set("paymentData.paymentMethod", "BankCard"), "PaymentData.PaymentMethod must be SBP"},
		{"no paymentData", set("paymentData", nil), "PaymentData is required"},
		{"unknown sticker", set("paymentData.stickerId", "nope"), `StickerId "nope" is not a registered sticker`},
		{"not JSON", "{not json", "not valid JSON"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := call(t, "POST", base+"/api/v2/payments", bearer, tt.body, "Idempotency-Key", "key-"+tt.name)
			if a.Status != http.StatusBadRequest {
				t.Fatalf("HTTP %d, want 400: %s", a.Status, a.Body)
			}
			code, errs := a.apiErr(t)
			if code != "validation_error" {
				t.Errorf("code %q", code)
			}
			if !strings.Contains(strings.Join(errs, "|"), tt.want) {
				t.Errorf("errors %q do not mention %q", errs, tt.want)
			}
		})
	}
	if n := len(s.Payments()); n != 0 {
		t.Errorf("invalid requests created %d payments", n)
	}
	// A key used by a refused request is still free.
	mustCreate(t, base, "V-2", nil, "key-merchant")
	// Every problem is listed at once.
	b := createBody("")
	b["amount"] = map[string]any{"value": json.Number("0"), "currency": "EUR"}
	a := call(t, "POST", base+"/api/v2/payments", bearer, b)
	if _, errs := a.apiErr(t); len(errs) != 3 {
		t.Errorf("errors = %q, want 3 (order, amount, currency)", errs)
	}
}

func TestServer_IdempotencyKey(t *testing.T) {
	s, base := MustStart(t, sandbox.Options{})
	id := mustCreate(t, base, "I-1", nil, "same-key")
	for _, order := range []string{"I-1", "I-2"} {
		a := call(t, "POST", base+"/api/v2/payments", bearer, createBody(order), "Idempotency-Key", "same-key")
		if a.Status != http.StatusConflict {
			t.Fatalf("reused key: HTTP %d: %s", a.Status, a.Body)
		}
		if code, _ := a.apiErr(t); code != "idempotency_key_violation" {
			t.Errorf("code %q", code)
		}
	}
	ps := s.Payments()
	if len(ps) != 1 || ps[0].ID != id || ps[0].IdempotencyKey != "same-key" {
		t.Errorf("payments = %+v", ps)
	}
	// Without a key nothing is deduplicated.
	mustCreate(t, base, "I-3", nil, "")
	mustCreate(t, base, "I-3", nil, "")
	if got := s.Handled(sandbox.KindCreate); got != 5 {
		t.Errorf("Handled(create) = %d, want 5", got)
	}
}

func TestServer_Sticker(t *testing.T) {
	s, base := MustStart(t, sandbox.Options{Stickers: []string{"a1b2c3d4e5f6"}})
	body := createBody("S-1")
	body["paymentData"] = map[string]any{"paymentMethod": "SBP", "stickerId": "a1b2c3d4e5f6"}
	a := call(t, "POST", base+"/api/v2/payments", bearer, body)
	m := a.JSON(t)
	if a.Status != 200 || m["status"] != "Pending" || m["confirmation"] != nil {
		t.Fatalf("sticker payment: HTTP %d %s", a.Status, a.Body)
	}
	first := m["id"].(string)
	body["invoice"].(map[string]any)["orderNo"] = "S-2"
	second := mustCreate(t, base, "S-2", body, "")
	p, _ := s.Payment(first)
	if p.Status != "Cancelled" || p.ResultCode != "OperationNotAllowed" {
		t.Errorf("older activation: %s/%s, want Cancelled/OperationNotAllowed", p.Status, p.ResultCode)
	}
	if p, _ := s.Payment(second); p.Status != "Pending" || p.StickerID != "a1b2c3d4e5f6" {
		t.Errorf("newer activation: %+v", p)
	}

	a = call(t, "GET", base+"/api/v2/stickers/a1b2c3d4e5f6", bearer, nil)
	m = a.JSON(t)
	if a.Status != 200 || m["stickerType"] != "Sbp" || m["cashlink"] != true || m["status"] != "Active" {
		t.Errorf("sticker: %s", a.Body)
	}
	if !regexp.MustCompile(`^https://qr\.nspk\.ru/AS[0-9A-Z]{30}\?type=01&`).MatchString(m["payload"].(string)) {
		t.Errorf("payload %q", m["payload"])
	}
	if a := call(t, "GET", base+"/api/v2/stickers/zzz", bearer, nil); a.Status != 404 {
		t.Errorf("unknown sticker: HTTP %d", a.Status)
	}
}

func TestServer_Get(t *testing.T) {
	s, base := MustStart(t, sandbox.Options{})
	id := mustCreate(t, base, "G-1", nil, "")
	a := call(t, "GET", base+"/api/v2/payments/"+id, bearer, nil)
	if a.Status != 200 || a.JSON(t)["id"] != id {
		t.Errorf("get: HTTP %d %s", a.Status, a.Body)
	}
	a = call(t, "GET", base+"/api/v2/payments/999", bearer, nil)
	if a.Status != 404 || len(a.Body) != 0 {
		t.Errorf("unknown id: HTTP %d %s, want 404 with no body", a.Status, a.Body)
	}
	if s.PaymentCalls(id, sandbox.KindGet) != 1 || s.PaymentCalls("999", sandbox.KindGet) != 1 {
		t.Errorf("PaymentCalls: %d, %d", s.PaymentCalls(id, sandbox.KindGet), s.PaymentCalls("999", sandbox.KindGet))
	}
	if a := call(t, "DELETE", base+"/api/v2/payments/"+id, bearer, nil); a.Status != 404 {
		t.Errorf("unknown endpoint: HTTP %d", a.Status)
	}
}

func TestServer_List(t *testing.T) {
	clock := fakeClock{clockwork.NewFakeClockAt(t0)}
	s, base := MustStart(t, sandbox.Options{Clock: clock, PageSize: 2})
	var ids []string
	for i := range 5 {
		ids = append(ids, mustCreate(t, base, fmt.Sprint("L-", i), nil, ""))
		clock.Advance(time.Minute)
	}
	list := func(start, end time.Time, cursor string) answer {
		u := fmt.Sprintf("%s/api/v2/payments?merchantId=%s&start=%s&end=%s", base, merchant,
			start.Format(time.RFC3339), end.Format(time.RFC3339))
		if cursor != "" {
			u += "&cursor=" + cursor
		}
		return call(t, "GET", u, bearer, nil)
	}
	var got []string
	cursor, pages := "", 0
	for {
		a := list(t0, t0.Add(time.Hour), cursor)
		if a.Status != 200 {
			t.Fatalf("list: HTTP %d %s", a.Status, a.Body)
		}
		var l struct {
			Items []struct {
				ID string `json:"id"`
			} `json:"items"`
			Cursor string `json:"cursor"`
		}
		json.Unmarshal(a.Body, &l)
		pages++
		for _, it := range l.Items {
			got = append(got, it.ID)
		}
		if l.Cursor == "" {
			break
		}
		cursor = l.Cursor
	}
	if pages != 3 || strings.Join(got, ",") != strings.Join(ids, ",") {
		t.Errorf("%d pages with %v, want 3 pages with %v", pages, got, ids)
	}

	// The window filters by created, both ends included.
	a := list(t0.Add(time.Minute), t0.Add(2*time.Minute), "")
	if !strings.Contains(string(a.Body), ids[1]) || !strings.Contains(string(a.Body), ids[2]) ||
		strings.Contains(string(a.Body), ids[0]) || strings.Contains(string(a.Body), `"cursor"`) {
		t.Errorf("window list: %s", a.Body)
	}
	a = list(t0.Add(-time.Hour), t0.Add(-time.Minute), "")
	if string(a.Body) != `{"items":[]}` {
		t.Errorf("empty list: %s", a.Body)
	}

	for name, u := range map[string]string{
		"bad cursor": fmt.Sprintf("%s/api/v2/payments?merchantId=%s&start=%s&end=%s&cursor=zz", base, merchant, t0.Format(time.RFC3339), t0.Format(time.RFC3339)),
		"no start":   fmt.Sprintf("%s/api/v2/payments?merchantId=%s&end=%s", base, merchant, t0.Format(time.RFC3339)),
		"bad end":    fmt.Sprintf("%s/api/v2/payments?merchantId=%s&start=%s&end=later", base, merchant, t0.Format(time.RFC3339)),
		"other shop": fmt.Sprintf("%s/api/v2/payments?merchantId=x&start=%s&end=%s", base, t0.Format(time.RFC3339), t0.Format(time.RFC3339)),
	} {
		a := call(t, "GET", u, bearer, nil)
		if code, _ := a.apiErr(t); a.Status != 400 || code != "validation_error" {
			t.Errorf("%s: HTTP %d %s", name, a.Status, a.Body)
		}
	}
	if got := s.Calls(sandbox.KindList); got != 3+2+4 {
		t.Errorf("Calls(list) = %d, want 9", got)
	}
}

func TestServer_Cancel(t *testing.T) {
	s, base := MustStart(t, sandbox.Options{})
	cancel := func(id string) answer { return call(t, "PUT", base+"/api/v2/payments/"+id+"/cancel", bearer, nil) }

	t.Run("accept", func(t *testing.T) {
		id := mustCreate(t, base, "C-1", nil, "")
		a := cancel(id)
		if a.Status != 200 || len(a.Body) != 0 {
			t.Fatalf("cancel: HTTP %d %q", a.Status, a.Body)
		}
		if p, _ := s.Payment(id); p.Status != "Cancelled" || p.ResultCode != "CancelledByUser" || !p.CancelAccepted || p.CancelCalls != 1 {
			t.Errorf("after cancel: %+v", p)
		}
		a = cancel(id)
		if code, _ := a.apiErr(t); a.Status != 400 || code != "invalid_operation" {
			t.Errorf("second cancel: HTTP %d %s", a.Status, a.Body)
		}
		if got := s.PaymentCalls(id, sandbox.KindCancel); got != 2 {
			t.Errorf("PaymentCalls(cancel) = %d", got)
		}
	})
	t.Run("accept pending", func(t *testing.T) {
		s.SetCancelMode(sandbox.CancelAcceptPending)
		defer s.SetCancelMode(sandbox.CancelAccept)
		id := mustCreate(t, base, "C-2", nil, "")
		if a := cancel(id); a.Status != 200 {
			t.Fatalf("cancel: HTTP %d %s", a.Status, a.Body)
		}
		if p, _ := s.Payment(id); p.Status != "Confirmation" || !p.CancelAccepted {
			t.Errorf("after accepted-pending cancel: %+v", p)
		}
		if err := s.Pay(id); err != nil {
			t.Fatal(err)
		}
		a := call(t, "GET", base+"/api/v2/payments/"+id, bearer, nil)
		if m := a.JSON(t); m["status"] != "Settled" || m["resultCode"] != "Success" {
			t.Errorf("late settle: %s", a.Body)
		}
	})
	t.Run("reject", func(t *testing.T) {
		s.SetCancelMode(sandbox.CancelReject)
		defer s.SetCancelMode(sandbox.CancelAccept)
		id := mustCreate(t, base, "C-3", nil, "")
		a := cancel(id)
		if code, _ := a.apiErr(t); a.Status != 400 || code != "invalid_operation" {
			t.Errorf("cancel: HTTP %d %s", a.Status, a.Body)
		}
		if p, _ := s.Payment(id); p.Status != "Confirmation" || p.CancelAccepted {
			t.Errorf("after rejected cancel: %+v", p)
		}
	})
	t.Run("settled", func(t *testing.T) {
		id := mustCreate(t, base, "C-4", nil, "")
		s.Pay(id)
		if a := cancel(id); a.Status != 400 {
			t.Errorf("cancel of a settled payment: HTTP %d", a.Status)
		}
	})
	t.Run("unknown", func(t *testing.T) {
		if a := cancel("1"); a.Status != 404 {
			t.Errorf("HTTP %d", a.Status)
		}
	})
}

func TestServer_Expiry(t *testing.T) {
	clock := fakeClock{clockwork.NewFakeClockAt(t0)}
	s, base := MustStart(t, sandbox.Options{Clock: clock})
	id := mustCreate(t, base, "E-1", expiring("E-1", t0.Add(5*time.Minute)), "")
	noExpiry := createBody("E-2")
	delete(noExpiry["invoice"].(map[string]any), "expires")
	id2 := mustCreate(t, base, "E-2", noExpiry, "")
	get := func(id string) map[string]any {
		return call(t, "GET", base+"/api/v2/payments/"+id, bearer, nil).JSON(t)
	}
	clock.Advance(4*time.Minute + 59*time.Second)
	if m := get(id); m["status"] != "Confirmation" {
		t.Errorf("before expiry: %v", m["status"])
	}
	clock.Advance(time.Second)
	if m := get(id); m["status"] != "Cancelled" || m["resultCode"] != "PaymentExpired" || m["confirmation"] != nil {
		t.Errorf("after expiry: %v/%v", m["status"], m["resultCode"])
	}
	if m := get(id2); m["status"] != "Confirmation" {
		t.Errorf("a payment without expires expired: %v", m["status"])
	}
	if err := s.Pay(id); err == nil {
		t.Error("paid an expired payment")
	}
}

func TestServer_QRAfterGets(t *testing.T) {
	s, base := MustStart(t, sandbox.Options{})
	s.SetQRAfterGets(2)
	a := call(t, "POST", base+"/api/v2/payments", bearer, createBody("Q-1"))
	m := a.JSON(t)
	if m["status"] != "Pending" || m["confirmation"] != nil {
		t.Fatalf("create: %s", a.Body)
	}
	id := m["id"].(string)
	for i := 1; i <= 3; i++ {
		m := call(t, "GET", base+"/api/v2/payments/"+id, bearer, nil).JSON(t)
		hasQR := m["confirmation"] != nil
		if want := i > 2; hasQR != want || (m["status"] == "Confirmation") != want {
			t.Errorf("GET %d: status %v, confirmation %v", i, m["status"], m["confirmation"])
		}
	}
	s.SetQRAfterGets(0)
	if m := call(t, "POST", base+"/api/v2/payments", bearer, createBody("Q-2")).JSON(t); m["confirmation"] == nil {
		t.Error("QR hidden after SetQRAfterGets(0)")
	}
}

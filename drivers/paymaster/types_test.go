package paymaster

import (
	"strings"
	"testing"
	"time"

	"github.com/sbpd/sbpd/plugin"
)

func TestDecodePayment(t *testing.T) {
	data := `{
		"id": "40211873", "created": "2024-06-01T10:05:02Z", "testMode": false,
		"status": "Confirmation", "resultCode": "Success", "message": "ok",
		"merchantId": "m", "newTopLevel": {"nested": [1, 2, {"x": null}]},
		"amount": {"value": 259.9000, "currency": "RUB", "extra": true},
		"invoice": {"description": "d", "orderNo": "K07-1", "expires": "2024-06-01T10:15:00Z", "params": {"a": "b"}},
		"customer": {"ip": "10.0.0.1"},
		"paymentData": {"paymentMethod": "SBP", "paymentInstrumentTitle": "Sberbank", "cardInfo": {}},
		"confirmation": {"type": "External", "universalLink": true, "instruction": "scan", "paymentUrl": "https://qr.nspk.ru/AD1?type=02"}
	}`
	r, err := decodePayment([]byte(data))
	if err != nil {
		t.Fatal(err)
	}
	want := plugin.Remote{
		ID: "40211873", OrderNo: "K07-1", Status: plugin.RemoteConfirmation, ResultCode: "Success", Message: "ok",
		Amount: 25990, QRPayload: "https://qr.nspk.ru/AD1?type=02", Created: time.Date(2024, 6, 1, 10, 5, 2, 0, time.UTC),
	}
	if r != want {
		t.Errorf("decoded\n%+v, want\n%+v", r, want)
	}

	minimal, err := decodePayment([]byte(`{"id": 12769, "status": "Whatever", "created": "yesterday"}`))
	if err != nil || minimal.ID != "12769" || minimal.Status != "Whatever" || !minimal.Created.IsZero() || minimal.QRPayload != "" {
		t.Errorf("minimal: %+v, %v", minimal, err)
	}
	if r, _ := decodePayment([]byte(`{"id":"1","created":"2024-06-01T13:05:02.123+03:00"}`)); !r.Created.Equal(time.Date(2024, 6, 1, 10, 5, 2, 123e6, time.UTC)) {
		t.Errorf("created with offset: %v", r.Created)
	}

	bad := map[string]string{
		`{"status": "Pending"}`: "no id",
		`{"id": ""}`:            "empty id",
		`{"id": null}`:          "no id",
		`{"id": {"a": 1}}`:      "neither a string nor a number",
		`{"id": "1", "amount": {"value": 1.001}}`:                "fractions of a kopeck",
		`{"id": "1", "amount": {"value": -5}}`:                   "negative",
		`{"id": "1", "amount": {"value": 5, "currency": "USD"}}`: "currency",
		`{"id": "1", "amount": {"value": "abc"}}`:                "decode payment",
		`{"id": "1"`: "decode payment",
		`[]`:         "decode payment",
	}
	for in, want := range bad {
		if _, err := decodePayment([]byte(in)); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("decodePayment(%s): %v, want an error about %q", in, err, want)
		}
	}
}

func TestAPIError(t *testing.T) {
	e := decodeAPIError(400, []byte(`{"code":"validation_error","message":"Request is invalid, see errors","errors":["Amount.Value must be greater than 0","Invoice.OrderNo is required"],"traceId":"x"}`), "tok")
	want := "paymaster: validation_error: Request is invalid, see errors (Amount.Value must be greater than 0; Invoice.OrderNo is required) [HTTP 400]"
	if e.Error() != want || e.Status != 400 || len(e.Errors) != 2 {
		t.Errorf("got %q\nwant %q", e.Error(), want)
	}
	e = decodeAPIError(404, []byte(`{"code":"not_found"}`), "tok")
	if e.Error() != "paymaster: not_found: no message [HTTP 404]" {
		t.Errorf("no message: %q", e.Error())
	}
	e = decodeAPIError(502, []byte("<html><body>Bad Gateway</body></html>"), "tok")
	if e.Code != "" || e.Error() != "paymaster: error answer is not PayMaster JSON: <html><body>Bad Gateway</body></html> [HTTP 502]" {
		t.Errorf("HTML: %q", e.Error())
	}
	e = decodeAPIError(500, nil, "tok")
	if e.Error() != "paymaster: empty error answer [HTTP 500]" {
		t.Errorf("empty: %q", e.Error())
	}
	e = decodeAPIError(500, []byte(strings.Repeat("я", 300)), "tok")
	if !strings.HasSuffix(e.Message, "…") || len(e.Message) > 300 || !strings.Contains(e.Message, "яя") {
		t.Errorf("long body not cut: %d bytes", len(e.Message))
	}
	// A server that echoes the token does not make us print it.
	e = decodeAPIError(401, []byte(`{"code":"not_authorized","message":"bad token secret-123","errors":["Bearer secret-123"]}`), "secret-123")
	if strings.Contains(e.Error(), "secret-123") {
		t.Errorf("token leaked: %q", e.Error())
	}
	e = decodeAPIError(400, []byte(`proxy says: Authorization: Bearer secret-123`), "secret-123")
	if strings.Contains(e.Error(), "secret-123") {
		t.Errorf("token leaked: %q", e.Error())
	}
}

func TestOrderRefs(t *testing.T) {
	for _, c := range []struct {
		refs    orderRefs
		orderNo string
		want    bool
	}{
		{orderRefs{orderNo: "K07-1-1"}, "K07-1-1", true},
		{orderRefs{orderNo: "K07-1-1", param: "X", description: "заказ X"}, "X", false}, // the echo alone counts
		{orderRefs{param: "K07-1-1"}, "K07-1-1", true},
		{orderRefs{param: "K07-1-10", description: "заказ K07-1-1"}, "K07-1-1", false},
		{orderRefs{description: "Касса K07, чек 1, заказ K07-1-1"}, "K07-1-1", true},
		{orderRefs{description: "заказ K07-1-1, чек 1"}, "K07-1-1", true},
		{orderRefs{description: "заказ K07-1-1"}, "K07-1", false},
		{orderRefs{description: "заказ K07-1-10"}, "K07-1-1", false},
		{orderRefs{description: "заказ K07-1-1ы"}, "K07-1-1", false},
		{orderRefs{description: "подзаказ K07-1-1"}, "K07-1-1", false},
		{orderRefs{description: "заказ K07-1-10, заказ K07-1-1"}, "K07-1-1", true},
		{orderRefs{description: "чек K07-1-1"}, "K07-1-1", false},
		{orderRefs{description: "заказ "}, "", false},
	} {
		if got := c.refs.names(c.orderNo); got != c.want {
			t.Errorf("%+v names %q: %t, want %t", c.refs, c.orderNo, got, c.want)
		}
	}
	if got := withOrderNo("Касса K07, чек 1", "K07-1-1"); got != "Касса K07, чек 1, заказ K07-1-1" {
		t.Errorf("withOrderNo: %q", got)
	}
	if got := withOrderNo("заказ K07-1-1", "K07-1-1"); got != "заказ K07-1-1" {
		t.Errorf("withOrderNo added it twice: %q", got)
	}
}

// A row without invoice.orderNo takes its order number from
// invoice.params; params that are not strings do not fail the payment.
func TestDecodeRowParams(t *testing.T) {
	r, refs, err := decodeRow([]byte(`{"id":"1","status":"Pending","invoice":{"description":"d, заказ K-1","params":{"orderNo":"K-1","n":5,"o":{}}}}`))
	if err != nil || r.OrderNo != "K-1" || refs.param != "K-1" || refs.orderNo != "" || refs.description != "d, заказ K-1" {
		t.Fatalf("%+v %+v %v", r, refs, err)
	}
	for _, params := range []string{`[1,2]`, `"orderNo"`, `null`, `{"orderNo":7}`} {
		r, refs, err := decodeRow([]byte(`{"id":"1","invoice":{"params":` + params + `}}`))
		if err != nil || r.OrderNo != "" || refs.param != "" {
			t.Errorf("params %s: %+v %+v %v", params, r, refs, err)
		}
	}
}

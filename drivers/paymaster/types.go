package paymaster

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/sbpd/sbpd/plugin"
)

// Wire types of the API. Only the fields sbpd uses are declared; unknown
// fields are ignored when decoding.

// PaymentMethodSBP is paymentData.paymentMethod of an SBP payment, spelt
// as every PayMaster source writes the alias.
const PaymentMethodSBP = "sbp"

// OrderNoParam is the key of invoice.params under which every create also
// carries the order number, so that a payment can be found in list rows
// that do not echo invoice.orderNo.
const OrderNoParam = "orderNo"

// documentedCodes are the error codes PayMaster's API documentation lists.
// An answer whose body carries one of them is that error, whatever its
// HTTP status.
var documentedCodes = map[string]bool{
	plugin.GatewayInvalid:       true, // validation_error
	plugin.GatewayNotAuthorized: true, // not_authorized
	"idempotency_key_violation": true,
	"invalid_operation":         true,
	"payment_token_revoked":     true,
	"payment_token_blocked":     true,
}

type amountJSON struct {
	Value    json.Number `json:"value"`
	Currency string      `json:"currency"`
}

type invoiceJSON struct {
	Description string            `json:"description"`
	OrderNo     string            `json:"orderNo,omitempty"`
	Expires     string            `json:"expires,omitempty"`
	Params      map[string]string `json:"params,omitempty"`
}

type paymentDataJSON struct {
	PaymentMethod string `json:"paymentMethod"`
	StickerID     string `json:"stickerId,omitempty"`
}

type createRequestJSON struct {
	MerchantID  string          `json:"merchantId"`
	TestMode    bool            `json:"testMode"`
	Invoice     invoiceJSON     `json:"invoice"`
	Amount      amountJSON      `json:"amount"`
	PaymentData paymentDataJSON `json:"paymentData"`
}

type confirmationJSON struct {
	Type       string `json:"type"`
	PaymentURL string `json:"paymentUrl"`
}

// paymentJSON is the payment object returned by create, get and list.
type paymentJSON struct {
	ID         json.RawMessage `json:"id"` // a string, but tolerate a number
	Created    string          `json:"created"`
	Status     string          `json:"status"`
	ResultCode string          `json:"resultCode"`
	Message    string          `json:"message"`
	Amount     *struct {
		Value    json.Number `json:"value"`
		Currency string      `json:"currency"`
	} `json:"amount"`
	Invoice *struct {
		OrderNo     string          `json:"orderNo"`
		Description string          `json:"description"`
		Params      json.RawMessage `json:"params"` // string values are read; anything else is ignored
	} `json:"invoice"`
	Confirmation *confirmationJSON `json:"confirmation"`
}

type listJSON struct {
	Items  []json.RawMessage `json:"items"`
	Cursor string            `json:"cursor"`
}

// APIError is an error answer of the API: a non-2xx status with the body
// {"code", "message", "errors"}. When the body is not that JSON, Code is
// empty and Message describes what came back.
type APIError struct {
	Status  int // HTTP status
	Code    string
	Message string
	Errors  []string
}

func (e *APIError) Error() string { return "paymaster: " + e.Detail() }

// HTTPStatus is the answer's status, for a diagnosis (plugin/doctor.Answer).
func (e *APIError) HTTPStatus() int { return e.Status }

// Detail is PayMaster's own words: the code, the message, the field
// errors and the status, e.g. "not_authorized: … [HTTP 401]".
func (e *APIError) Detail() string {
	var b strings.Builder
	if e.Code != "" {
		b.WriteString(e.Code)
		b.WriteString(": ")
	}
	b.WriteString(e.Message)
	if len(e.Errors) > 0 {
		b.WriteString(" (")
		b.WriteString(strings.Join(e.Errors, "; "))
		b.WriteString(")")
	}
	fmt.Fprintf(&b, " [HTTP %d]", e.Status)
	return b.String()
}

// decodeAPIError makes an *APIError of a non-2xx answer. Any text that
// came from the server has the token cut out, in case a broken proxy
// echoes the request headers.
func decodeAPIError(status int, body []byte, token string) *APIError {
	e := &APIError{Status: status}
	var w struct {
		Code    string   `json:"code"`
		Message string   `json:"message"`
		Errors  []string `json:"errors"`
	}
	if err := json.Unmarshal(body, &w); err == nil && (w.Code != "" || w.Message != "") {
		e.Code = plugin.Redact(w.Code, token)
		e.Message = plugin.Redact(w.Message, token)
		for _, s := range w.Errors {
			e.Errors = append(e.Errors, plugin.Redact(s, token))
		}
		if e.Message == "" {
			e.Message = "no message"
		}
		return e
	}
	text := strings.TrimSpace(string(body))
	if text == "" {
		e.Message = "empty error answer"
	} else {
		e.Message = "error answer is not PayMaster JSON: " + snippet(plugin.Redact(text, token))
	}
	return e
}

// orderRefs are the places of a payment object that may name its order
// number.
type orderRefs struct {
	orderNo     string // invoice.orderNo
	param       string // invoice.params.orderNo (OrderNoParam)
	description string // invoice.description
}

// names reports whether the payment's order number is orderNo. A payment
// that echoes invoice.orderNo is judged by it alone; one that does not (no
// public source shows list rows echoing it) by invoice.params.orderNo, or
// else by its description naming "заказ <orderNo>" (see withOrderNo).
func (o orderRefs) names(orderNo string) bool {
	switch {
	case orderNo == "":
		return false
	case o.orderNo != "":
		return o.orderNo == orderNo
	case o.param != "":
		return o.param == orderNo
	}
	return namesWord(o.description, descOrder+orderNo)
}

// descOrder introduces the order number in a description.
const descOrder = "заказ "

// orderRune reports whether r may be part of an order number: a letter, a
// digit or one of - _ . /.
func orderRune(r rune) bool {
	return unicode.IsLetter(r) || unicode.IsDigit(r) || strings.ContainsRune("-_./", r)
}

// namesWord reports whether word occurs in text with no order-number
// character right before or after it: "заказ K07-1-1" names K07-1-1, but
// not K07-1 or K07-1-11.
func namesWord(text, word string) bool {
	if word == "" {
		return false
	}
	for from := 0; from < len(text); {
		i := strings.Index(text[from:], word)
		if i < 0 {
			return false
		}
		start, end := from+i, from+i+len(word)
		before, _ := utf8.DecodeLastRuneInString(text[:start])
		after, _ := utf8.DecodeRuneInString(text[end:])
		if (start == 0 || !orderRune(before)) && (end == len(text) || !orderRune(after)) {
			return true
		}
		_, size := utf8.DecodeRuneInString(text[start:])
		from = start + size
	}
	return false
}

// withOrderNo is the description to send: desc, with ", заказ <orderNo>"
// added unless it is there already.
func withOrderNo(desc, orderNo string) string {
	if namesWord(desc, descOrder+orderNo) {
		return desc
	}
	return desc + ", " + descOrder + orderNo
}

// documentedError is the code of a body that is an API error with one of
// the documented codes, or "". PayMaster's v1 API answered 200 to
// everything, so a 2xx answer may carry one too.
func documentedError(body []byte) string {
	var w struct {
		Code string `json:"code"`
	}
	if json.Unmarshal(body, &w) != nil || !documentedCodes[w.Code] {
		return ""
	}
	return w.Code
}

// decodePayment decodes one payment object and maps it to plugin.Remote.
// It fails if the object has no id or carries an amount it cannot read.
func decodePayment(data []byte) (plugin.Remote, error) {
	r, _, err := decodeRow(data)
	return r, err
}

// decodeRow is decodePayment that also returns where the object names its
// order number. Remote.OrderNo is invoice.orderNo, or else
// invoice.params.orderNo.
func decodeRow(data []byte) (plugin.Remote, orderRefs, error) {
	var p paymentJSON
	if err := json.Unmarshal(data, &p); err != nil {
		return plugin.Remote{}, orderRefs{}, fmt.Errorf("paymaster: decode payment: %w", err)
	}
	id, err := decodeID(p.ID)
	if err != nil {
		return plugin.Remote{}, orderRefs{}, err
	}
	r := plugin.Remote{
		ID:         id,
		Status:     plugin.RemoteStatus(p.Status),
		ResultCode: p.ResultCode,
		Message:    p.Message,
	}
	var refs orderRefs
	if p.Invoice != nil {
		refs.orderNo, refs.description = p.Invoice.OrderNo, p.Invoice.Description
		var params map[string]any
		if json.Unmarshal(p.Invoice.Params, &params) == nil {
			refs.param, _ = params[OrderNoParam].(string)
		}
		r.OrderNo = refs.orderNo
		if r.OrderNo == "" {
			r.OrderNo = refs.param
		}
	}
	if p.Amount != nil && p.Amount.Value != "" {
		if r.Amount, err = ParseAmount(p.Amount.Value); err != nil {
			return plugin.Remote{}, orderRefs{}, fmt.Errorf("paymaster: payment %s: %w", id, err)
		}
		if c := p.Amount.Currency; c != "" && !strings.EqualFold(c, "RUB") {
			return plugin.Remote{}, orderRefs{}, fmt.Errorf("paymaster: payment %s: currency %q, want RUB", id, c)
		}
	}
	if p.Confirmation != nil {
		r.QRPayload = p.Confirmation.PaymentURL
	}
	if p.Created != "" {
		r.Created, _ = parseTime(p.Created) // a bad date is not worth failing a payment over
	}
	return r, refs, nil
}

func decodeID(raw json.RawMessage) (string, error) {
	if len(raw) == 0 || string(raw) == "null" {
		return "", fmt.Errorf("paymaster: payment has no id")
	}
	var s string
	if err := json.Unmarshal(raw, &s); err == nil {
		if strings.TrimSpace(s) == "" {
			return "", fmt.Errorf("paymaster: payment has an empty id")
		}
		return s, nil
	}
	var n json.Number
	if err := json.Unmarshal(raw, &n); err == nil {
		return n.String(), nil
	}
	return "", fmt.Errorf("paymaster: payment id %s is neither a string nor a number", snippet(string(raw)))
}

var timeLayouts = []string{time.RFC3339Nano, "2006-01-02T15:04:05.999999999", "2006-01-02 15:04:05"}

func parseTime(s string) (time.Time, error) {
	for _, l := range timeLayouts {
		if t, err := time.Parse(l, s); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, fmt.Errorf("paymaster: bad date %q", s)
}

func formatTime(t time.Time) string { return t.UTC().Format(time.RFC3339) }

func snippet(s string) string {
	const max = 200
	if len(s) <= max {
		return s
	}
	cut := max
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}

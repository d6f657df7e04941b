package paymaster

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/sbpd/sbpd/plugin"
)

// Wire types of the API. Only the fields sbpd uses are declared; unknown
// fields are ignored when decoding.

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
		OrderNo string `json:"orderNo"`
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

func (e *APIError) Error() string {
	var b strings.Builder
	b.WriteString("paymaster: ")
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
		e.Code = redact(w.Code, token)
		e.Message = redact(w.Message, token)
		for _, s := range w.Errors {
			e.Errors = append(e.Errors, redact(s, token))
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
		e.Message = "error answer is not PayMaster JSON: " + snippet(redact(text, token))
	}
	return e
}

// decodePayment decodes one payment object and maps it to plugin.Remote.
// It fails if the object has no id or carries an amount it cannot read.
func decodePayment(data []byte) (plugin.Remote, error) {
	var p paymentJSON
	if err := json.Unmarshal(data, &p); err != nil {
		return plugin.Remote{}, fmt.Errorf("paymaster: decode payment: %w", err)
	}
	id, err := decodeID(p.ID)
	if err != nil {
		return plugin.Remote{}, err
	}
	r := plugin.Remote{
		ID:         id,
		Status:     plugin.RemoteStatus(p.Status),
		ResultCode: p.ResultCode,
		Message:    p.Message,
	}
	if p.Invoice != nil {
		r.OrderNo = p.Invoice.OrderNo
	}
	if p.Amount != nil && p.Amount.Value != "" {
		if r.Amount, err = ParseAmount(p.Amount.Value); err != nil {
			return plugin.Remote{}, fmt.Errorf("paymaster: payment %s: %w", id, err)
		}
		if c := p.Amount.Currency; c != "" && !strings.EqualFold(c, "RUB") {
			return plugin.Remote{}, fmt.Errorf("paymaster: payment %s: currency %q, want RUB", id, c)
		}
	}
	if p.Confirmation != nil {
		r.QRPayload = p.Confirmation.PaymentURL
	}
	if p.Created != "" {
		r.Created, _ = parseTime(p.Created) // a bad date is not worth failing a payment over
	}
	return r, nil
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

func redact(s, token string) string {
	if token == "" {
		return s
	}
	return strings.ReplaceAll(s, token, "[REDACTED]")
}

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

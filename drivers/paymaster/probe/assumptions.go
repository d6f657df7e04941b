package probe

import "strings"

// The assumptions the driver makes about PayMaster, in the order the probe
// prints them. This table is the one place to change when the driver
// changes: add a row here, check it in probe.go (p.set with the row's ID),
// and describe it in docs/paymaster.md.
//
// A text may hold {method} (the paymentData.paymentMethod the driver
// sends), {field} (a field besides invoice.orderNo in which the driver
// sends the order number) and {bound} (how long the probe waits for the QR
// link and for the outcome of the cancel).
var assumptions = []struct {
	ID   string
	Text string
}{
	{BaseURL, "PayMaster answers at paymaster.base_url with JSON (GET /api/v2/payments)"},
	{Bearer, "the token is accepted as \"Authorization: Bearer <token>\" with merchantId (the list answers 200 with items)"},
	{Create, "create (POST /api/v2/payments, testMode, paymentMethod \"{method}\", Idempotency-Key) answers 200 with a payment id"},
	{TestMode, "the payment is a test payment (testMode: true echoed)"},
	{Amount, "the amount is echoed as 1.00 RUB (a decimal number or string, any number of zero decimals)"},
	{Status, "a fresh payment's status is one of the six documented (Pending, Confirmation, Authorized, Settled, Cancelled, Rejected) and not final"},
	{Get, "GET /api/v2/payments/{id} answers 200 with the same payment"},
	{QRLink, "the QR link (confirmation.paymentUrl, any absolute URL) appears within {bound}"},
	{Replay, "a create replayed with the same Idempotency-Key answers the same payment or refuses with idempotency_key_violation, never a second payment"},
	{ListFind, "the list (merchantId, start, end, next page by cursor; rows in items) holds the payment"},
	{ListOrderNo, "list rows carry invoice.orderNo (how the driver finds a create whose answer was lost)"},
	{ListSecond, "list rows echo {field} with the order number (the driver's second way to find a lost create)"},
	{Cancel, "cancel of an unpaid payment (PUT /api/v2/payments/{id}/cancel, no body) answers 200"},
	{Cancelled, "after the cancel the payment ends Cancelled within {bound}"},
	{ErrorShape, "an invalid request is refused with the body {code, message, errors} and one of the six documented codes (the driver reads the code, whatever the HTTP status)"},
}

// Assumption IDs: the first column of the table above.
const (
	BaseURL     = "base_url"
	Bearer      = "bearer"
	Create      = "create"
	TestMode    = "test_mode"
	Amount      = "amount"
	Status      = "status"
	Get         = "get"
	QRLink      = "qr_link"
	Replay      = "replay"
	ListFind    = "list_find"
	ListOrderNo = "list_order_no"
	ListSecond  = "list_second" // one result per field; its ID is "list_second:<field>"
	Cancel      = "cancel"
	Cancelled   = "cancelled"
	ErrorShape  = "error_shape"
)

// documentedCodes are the error codes PayMaster's documentation lists.
var documentedCodes = []string{
	"validation_error", "not_authorized", "idempotency_key_violation",
	"invalid_operation", "payment_token_revoked", "payment_token_blocked",
}

// Assumptions lists the IDs of the table, in order.
func Assumptions() []string {
	ids := make([]string, len(assumptions))
	for i, a := range assumptions {
		ids[i] = a.ID
	}
	return ids
}

func assumptionText(id string, r *strings.Replacer) string {
	for _, a := range assumptions {
		if a.ID == id {
			return r.Replace(a.Text)
		}
	}
	return id
}

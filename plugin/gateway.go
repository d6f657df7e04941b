package plugin

import (
	"context"
	"strings"
	"time"
)

// Gateway is what the flow needs from PayMaster. Implementations retry
// transport failures themselves in a way that is safe for money and return
// an *Error with code EUnavailable when the outcome is unknown, or
// ERejected when PayMaster answered with an error.
type Gateway interface {
	// CreatePayment asks for an SBP payment. req.IdempotencyKey is sent
	// with every try; if PayMaster says the key was used, the payment is
	// found by req.OrderNo instead of creating another.
	CreatePayment(ctx context.Context, req CreateRequest) (Remote, error)
	// GetPayment reads a payment's status.
	GetPayment(ctx context.Context, id string) (Remote, error)
	// CancelPayment sends one cancel. Success does not mean cancelled.
	CancelPayment(ctx context.Context, id string) error
	// FindPayment looks a payment up by its order number among those
	// created around the given time. ok is false if there is none.
	FindPayment(ctx context.Context, orderNo string, around time.Time) (r Remote, ok bool, err error)
}

// Sticker is a kiosk's NFC/QR sticker at PayMaster (mode 2), as the
// driver reads it and doctor checks it.
type Sticker struct {
	ID       string
	Type     string // stickerType, e.g. "Sbp"
	Cashlink bool   // a cash-register link: each purchase activates it with an amount
	Status   string // "Active"; the inactive spelling is not documented
	Payload  string // the SBP link printed as the QR or written to the NFC tag
}

// Active reports whether the sticker can take payments.
func (s Sticker) Active() bool { return strings.EqualFold(s.Status, "Active") }

// CreateRequest is one SBP payment request.
type CreateRequest struct {
	OrderNo        string
	Amount         int64 // kopecks
	Description    string
	Expires        time.Time
	StickerID      string // mode 2: activate this cash-link sticker
	IdempotencyKey string
	Params         map[string]string
}

// RemoteStatus is PayMaster's status string. Unknown values are kept
// verbatim and treated as pending.
type RemoteStatus string

const (
	RemotePending      RemoteStatus = "Pending"
	RemoteConfirmation RemoteStatus = "Confirmation"
	RemoteAuthorized   RemoteStatus = "Authorized"
	RemoteSettled      RemoteStatus = "Settled"
	RemoteCancelled    RemoteStatus = "Cancelled"
	RemoteRejected     RemoteStatus = "Rejected"
)

// Final reports whether PayMaster will not change this status again.
func (s RemoteStatus) Final() bool {
	return s == RemoteSettled || s == RemoteCancelled || s == RemoteRejected
}

// Known reports whether s is one of the documented statuses.
func (s RemoteStatus) Known() bool {
	switch s {
	case RemotePending, RemoteConfirmation, RemoteAuthorized, RemoteSettled, RemoteCancelled, RemoteRejected:
		return true
	}
	return false
}

// Remote is a payment as PayMaster reports it.
type Remote struct {
	ID         string
	OrderNo    string
	Status     RemoteStatus
	ResultCode string // Success, InsufficientFunds, PaymentExpired, CancelledByUser, ...
	Message    string
	Amount     int64  // kopecks
	QRPayload  string // confirmation.paymentUrl; empty until PayMaster provides it
	Created    time.Time
}

// ReasonFor maps a failed remote payment to the shopper-facing reason.
func ReasonFor(r Remote, cancelRequested bool) Reason {
	switch r.ResultCode {
	case "InsufficientFunds":
		return ReasonInsufficientFunds
	case "PaymentExpired":
		return ReasonExpired
	case "CancelledByUser":
		if cancelRequested {
			return ReasonCancelled
		}
		return ReasonDeclinedInApp
	}
	if r.Status == RemoteCancelled && cancelRequested {
		return ReasonCancelled
	}
	return ReasonTechnical
}

// Reasons (the Reason of a *Error) a Gateway gives beyond its processor's
// own codes: for a call that got no answer, or one that is not the API's,
// and for the refusals a diagnosis must tell apart. The driver sets them,
// the diagnosis (plugin/doctor) reads them: one spelling for both.
const (
	GatewayDNS           = "dns"                // the host name does not resolve
	GatewayTLS           = "tls"                // the TLS handshake or the certificate failed
	GatewayTimeout       = "timeout"            // no answer in time
	GatewayRefused       = "connection_refused" // nothing listens at the address
	GatewayCanceled      = "canceled"           // the caller gave up (its context ended) before an answer
	GatewayNoAnswer      = "no_answer"          // any other transport failure
	GatewayBadAnswer     = "bad_answer"         // an answer that is not the API's (a proxy, a captive portal)
	GatewayNotAuthorized = "not_authorized"     // the credentials (token, merchant id) are refused
	GatewayNotFound      = "not_found"          // no such object, or no API at that URL (HTTP 404)
	GatewayInvalid       = "validation_error"   // the processor refused the request's values, e.g. an unknown merchant id
)

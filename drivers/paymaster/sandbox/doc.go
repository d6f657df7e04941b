// Package sandbox emulates the PayMaster REST API v2 over real HTTP, for
// tests, `sbpd demo` and `sbpd sandbox`. It implements the calls sbpd
// uses, answering like the real API as described in
// shared/reference/paymaster-api.md:
//
//	POST /api/v2/payments              create an SBP payment (dynamic QR, or a cash-link sticker activation)
//	GET  /api/v2/payments/{id}         read a payment
//	GET  /api/v2/payments?merchantId=&start=&end=[&cursor=]  list payments, PageSize a page
//	PUT  /api/v2/payments/{id}/cancel  cancel (200, empty body)
//	GET  /api/v2/stickers/{id}         read a configured sticker
//
// Options.Stickers are cash-register links (cashlink: true); a payment
// activates one with paymentData.stickerId. Options.PlainStickers are
// static stickers (cashlink: false) that no payment can activate.
// SetStickerActive turns a sticker "Inactive" and back. Every API answer's
// Date header is Options.Clock's time, so a clock check can be tested.
//
// Every /api/v2/ request needs "Authorization: Bearer <Options.Token>",
// otherwise it is answered 401 not_authorized. Errors have the API's shape
// {"code", "message", "errors"}: 400 validation_error, 400
// invalid_operation, 401 not_authorized, 404 not_found and 409
// idempotency_key_violation (a reused Idempotency-Key creates nothing).
//
// Payment life in the sandbox:
//
//   - A new QR payment is "Confirmation" with an External confirmation whose
//     paymentUrl is a dynamic NSPK link; with SetQRAfterGets(n) the first n
//     GETs of it answer "Pending" without a confirmation. A sticker payment is
//     "Pending" with no confirmation; activating a sticker again cancels its
//     older pending payment (Cancelled, resultCode "OperationNotAllowed").
//   - Pay makes it Settled/Success, PayAmount Settled with another amount,
//     Decline Rejected with a result code, Expire Cancelled/PaymentExpired.
//   - A payment not final whose invoice.expires has passed on Options.Clock
//     becomes Cancelled/PaymentExpired when it is next read.
//   - Cancel (CancelAccept, the default) makes it Cancelled with resultCode
//     "CancelledByUser", the documented code for a cancelled payment, which
//     plugin.ReasonFor reads as "cancelled" when sbpd asked for the cancel.
//     CancelAcceptPending answers 200 but leaves the payment pending, so a
//     later Pay settles it; CancelReject answers 400 invalid_operation. A final
//     payment always answers 400 invalid_operation.
//
// Control errors answer {"error": "..."}: 400 for bad input, 404 for an
// unknown payment, 409 for a payment that is already final.
//
// Faults (AddFault) delay, fail (5xx, 429 with Retry-After), drop the
// connection or truncate the answer, before the API handles the request or
// after it ("accepted but never answered"). Calls, Handled and PaymentCalls
// count what arrived, so a test can assert that a retried create made
// exactly one payment.
//
// The same controls are served without auth under /sandbox/ for the demo
// page and integrators:
//
//	POST   /sandbox/payments/{id}/pay      optional body {"amount": kopecks}
//	POST   /sandbox/payments/{id}/decline  optional body {"result_code": "InsufficientFunds"}; default CancelledByUser
//	POST   /sandbox/payments/{id}/expire
//	POST   /sandbox/payments/{id}/status   body {"status": "Whatever"}
//	GET    /sandbox/payments               every payment, oldest first
//	GET    /sandbox/payments/{id}          one payment
//	POST   /sandbox/faults                 a Fault as JSON, durations as strings: {"method":"GET","status":503,"retry_after":"1","times":2,"latency":"1.5s"}
//	DELETE /sandbox/faults
//	POST   /sandbox/config                 {"cancel": "accept|accept_pending|reject", "qr_after_gets": N}
package sandbox

// Package sandbox emulates the PayMaster REST API v2 over real HTTP, for
// tests, `sbpd demo` and `sbpd sandbox`. It implements the calls sbpd
// uses, answering like the real API as PayMaster's public API v2
// documentation describes it (what it documents and what the sandbox models
// or invents is listed at the end):
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
// otherwise it is answered 401 not_authorized. Error bodies have the
// documented shape {"code", "message", "errors"} and carry only documented
// codes: 400 validation_error (a create or list the sandbox finds invalid),
// 400 invalid_operation (a cancel it refuses), 401 not_authorized and 409
// idempotency_key_violation (a reused Idempotency-Key creates nothing). The
// HTTP statuses are the sandbox's choice: PayMaster documents none for
// errors. A payment, sticker or endpoint the sandbox does not know is
// answered 404 with no body: no documented code names a missing resource,
// so the sandbox sends none rather than invent one.
//
// Payment life in the sandbox:
//
//   - A new QR payment is "Confirmation" with an External confirmation whose
//     paymentUrl is, in test mode (the create's testMode: true), a PayMaster
//     mock page https://paymaster.ru/cpay/mock/sbp/<32 hex>, and otherwise a
//     dynamic NSPK link https://qr.nspk.ru/AD<30>?type=02&bank=…&sum=<kopecks>&cur=RUB&crc=…
//     whose id (AD…) is 32 characters in all; with SetQRAfterGets(n) the first n
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
//
// # Documented, modelled, invented
//
// Documented by PayMaster (API v2 reference and its copies): the paths and
// methods above, Bearer auth, Idempotency-Key on POST, the request fields,
// amounts echoed as JSON numbers with four decimals (259.9000), the status
// strings and result codes, a fresh payment answering Confirmation/Success,
// the External confirmation type with paymentUrl, cancel's empty 200, list
// rows in "items" paged by a cursor, the error body {code, message, errors}
// and its six codes: validation_error, not_authorized,
// idempotency_key_violation, invalid_operation, payment_token_revoked,
// payment_token_blocked (the sandbox never sends the last two).
//
// Modelled on scarce evidence:
//   - The test-mode mock page: the one public example (an SBP payment token
//     in test mode) shows only a …/cpay/mock/sbp/… path; the 32 hex digits
//     after it follow PayMaster's invoice pages (cpay/<32 hex>).
//   - The NSPK links: real ones seen in the wild (qr.nspk.ru/AD… dynamic,
//     AS… static, ids of 32 characters); the bank, sum and crc parameters
//     are filled in, but no bank app would accept the link.
//   - An SBP create answering the link in confirmation.paymentUrl, and the
//     list echoing invoice.orderNo in its rows: no public source shows either.
//
// Invented, as no source says: every HTTP status of an error (400, 401,
// 404, 409), the empty-bodied 404 for an unknown payment, sticker or
// endpoint, refusing a reused Idempotency-Key rather than replaying the
// first answer, accepting a cancel of an unpaid SBP payment, invoice.expires
// ending the payment as Cancelled/PaymentExpired, the list cursor's form
// and page size, the payment ids (40211873 and up), the sticker
// superseding rule, and the bodies of injected faults (codes internal_error,
// too_many_requests and sandbox_fault: they stand for a failing server or
// proxy, not for an answer of the API).
package sandbox

// Package paymaster is the client of the PayMaster REST API v2
// (https://paymaster.ru/docs/ru/api; what sbpd relies on, and how sure it is
// of each point, is in docs/paymaster.md) and implements plugin.Gateway.
//
// It speaks five calls of the API:
//
//	POST /api/v2/payments              create an SBP payment (dynamic QR or a cash-link sticker)
//	GET  /api/v2/payments/{id}         read a payment (the polling call)
//	PUT  /api/v2/payments/{id}/cancel  cancel a payment (no body, 200 with an empty body)
//	GET  /api/v2/payments?merchantId=&start=&end=[&cursor=]  list payments of a period
//	GET  /api/v2/stickers/{id}         read a sticker (Sticker: is it an active cash link?)
//
// Ping and Sticker are read-only and exist for diagnostics (`sbpd doctor`):
// Ping lists the last minute's payments to prove that PayMaster answers and
// accepts the token, and returns the answer's Date header for a clock
// check; its errors tell a refused token (plugin.GatewayNotAuthorized) from DNS,
// TLS, timeout and refused-connection failures.
//
// Every request carries "Authorization: Bearer <token>". The token is never
// put into a URL, an error or a log line.
//
// The dialect follows the public evidence: paymentData.paymentMethod is
// "sbp" (PaymentMethodSBP); the QR link (confirmation.paymentUrl) is kept
// as opaque text, whatever its form (an NSPK link, or PayMaster's mock page
// in test mode); the code of an error body ({code, message, errors}) is
// preferred over the HTTP status, which PayMaster does not document, and a
// 2xx answer carrying one of the six documented codes is that error.
//
// Retries are money-safe. GET and PUT are retried on network errors, 5xx and
// 429 with an exponential backoff that honours Retry-After. The create POST
// is retried only by resending the identical body with the identical
// Idempotency-Key, and at most MaxCreatePosts times in all for one key.
// When the outcome of a create is unknown (retries exhausted, a 2xx that
// does not decode) or PayMaster reports idempotency_key_violation, the
// payment is looked up in the payment list instead of creating another
// one: the list is paged by its cursor from FindWindow before the key's
// first create to FindWindow after now, and a row is matched on
// invoice.orderNo when it echoes one, else on invoice.params.orderNo
// (OrderNoParam) or "заказ <order number>" in its description, both of
// which every create carries. After an idempotency_key_violation the key
// is not sent again: later calls only look.
//
// A cancel answered 2xx with a body that is not JSON leaves its outcome
// unknown (EUnavailable, bad_answer), as no answer does; the caller reads
// the payment back.
//
// Money is integer kopecks. Amounts go over the wire as JSON numbers with two
// decimals (259.90) and come back with any number of decimals (259.9000);
// both directions use string arithmetic, never float (see FormatAmount and
// ParseAmount).
//
// The package sandbox next to this one emulates the API over real HTTP for
// tests and demos.
package paymaster

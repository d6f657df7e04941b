// Package paymaster is the client of the PayMaster REST API v2
// (https://paymaster.ru/docs/ru/api, summarised for sbpd in
// shared/reference/paymaster-api.md) and implements plugin.Gateway.
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
// check; its errors tell a refused token (ReasonNotAuthorized) from DNS,
// TLS, timeout and refused-connection failures.
//
// Every request carries "Authorization: Bearer <token>". The token is never
// put into a URL, an error or a log line.
//
// Retries are money-safe. GET and PUT are retried on network errors, 5xx and
// 429 with an exponential backoff that honours Retry-After. The create POST
// is retried only by resending the identical body with the identical
// Idempotency-Key. When the outcome of a create is unknown (retries
// exhausted, a 2xx that does not decode) or PayMaster reports
// idempotency_key_violation, the payment is looked up by its order number in
// the payment list instead of creating another one.
//
// Money is integer kopecks. Amounts go over the wire as JSON numbers with two
// decimals (259.90) and come back with any number of decimals (259.9000);
// both directions use string arithmetic, never float (see FormatAmount and
// ParseAmount).
//
// The package sandbox next to this one emulates the API over real HTTP for
// tests and demos.
package paymaster

// Package notify delivers final payments to the accounting system: after a
// payment is paid or not paid, sbpd POSTs it to notify.url, signed with
// notify.secret, and retries with exponential backoff until the receiver
// accepts it or notify.max_attempts tries have failed. The queue lives in
// the journal (drivers/sqlite's outbox), behind the Queue interface, so it
// survives restarts. Deliverer sleeps only through plugin.Clock.
//
// # The receiver contract
//
// sbpd sends one request per delivery attempt:
//
//	POST <notify.url>
//	Content-Type: application/json
//	User-Agent: sbpd-notify
//	X-Sbpd-Delivery-Id: 01J0Y3V6Q6Z7…:paid
//	X-Sbpd-Timestamp: 2026-06-01T10:00:03Z
//	X-Sbpd-Signature: sha256=<hex>
//
//	{"delivery_id":"01J0Y3V6Q6Z7…:paid","id":"01J0Y3V6Q6Z7…","check_id":"4711",
//	 "order_no":"K07-4711-1","amount":25990,"state":"paid","state_code":5, …}
//
// The body is the payment object of the till API (design.md section 4),
// with delivery_id added. Amount is in kopecks.
//
//   - Answer any 2xx once the payment is stored; anything else (or no
//     answer within the timeout) means "try again later". sbpd retries with
//     exponential backoff (5 s, 10 s, 20 s, … at most 1 h apart) up to
//     notify.max_attempts times (default 50); after that the payment shows
//     in `sbpd journal stuck` until someone runs `sbpd journal resync ID`.
//   - Deliveries are at least once. X-Sbpd-Delivery-Id (also delivery_id
//     in the body) is "<payment id>:<state>": the same for every retry and
//     for a resync, so store it and answer 2xx without doing anything when
//     you see it again. A payment whose outcome a technician changed gets a
//     new delivery id for the new state.
//   - X-Sbpd-Signature is "sha256=" and the lower-case hex HMAC-SHA256 of
//     the exact request body bytes, keyed with notify.secret. Compute it over
//     the raw body before parsing and compare in constant time; Verify does
//     both. Without notify.secret the header is not sent.
//   - X-Sbpd-Timestamp is when the attempt was made (RFC 3339, UTC); it is
//     informational and not signed.
//   - A payment a person entered in the accounting system by hand (`sbpd
//     journal mark-entered`) is never sent.
package notify

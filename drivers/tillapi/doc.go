// Package tillapi is sbpd's local HTTP JSON API: the calls the kiosk's till
// software makes to start an SBP payment, follow it, and pass on the
// shopper's Повторить/Отменить choice (docs/integrator.md).
//
// The API, all under Content-Type application/json; charset=utf-8:
//
//	POST /api/v1/payments              {"check_id":"000153","amount":25990,"mixed":false}
//	                                   201 with the new payment, 200 with the active one for the same check
//	GET  /api/v1/payments/{id}         the payment
//	GET  /api/v1/payments/{id}/events  text/event-stream: "event: payment" with the payment as JSON,
//	                                   now and on every change; the stream ends after paid/not_paid
//	POST /api/v1/payments/{id}/retry   the shopper chose Повторить
//	POST /api/v1/payments/{id}/cancel  the shopper chose Отменить
//	GET  /api/v1/payments?state=&check_id=&from=&to=&q=&limit=&offset=
//	                                   journal search: {"payments":[...],"limit":50,"offset":0}
//	GET  /healthz                      {"status":"ok"|"degraded", ...component reports}, 200 or 503
//	GET  /api/v1/openapi.json          the OpenAPI 3.0 document of all of the above (openapi.json,
//	                                   checked against the running API by the tests)
//	GET  /metrics                      Prometheus metrics, when Server.Metrics is set
//
// Amounts are integer kopecks; a fractional, quoted or exponent amount is
// refused rather than rounded, and a field named twice is refused. Every error is
// {"error":{"code":"...","message":"..."}}: the code is stable and machine
// readable (invalid_json, unknown_field, invalid_amount, conflict, ...), the
// message says what was wrong and what is allowed.
//
// Server holds the engine (Payments), the journal search (Searcher) and the
// health report (HealthFunc) as small interfaces; cmd/sbpd wires the real
// ones. When Token is set every API route, /healthz and /metrics need
// "Authorization: Bearer <token>"; Listen refuses to listen beyond loopback
// without a token.
//
// Every route, the Extra ones included, obeys the browser rules of guard.go
// first: a Host that does not name sbpd (Server.Listen, Server.Hosts,
// localhost, loopback, the address the connection reached) gets 421, a
// request a browser marks as from another web page (Origin, Sec-Fetch-Site)
// 403, a body not sent as application/json 415; HTML pages get a
// Content-Security-Policy unless they set their own. Limits caps
// connections (serve on Server.Listener) and event streams per peer and in
// all, and sets the header, body, idle and write deadlines (serve with
// Server.HTTPServer).
//
// Event streams stay open until the payment is final or the client goes away.
// To end them at shutdown, give http.Server a BaseContext that is cancelled
// before calling Shutdown.
package tillapi

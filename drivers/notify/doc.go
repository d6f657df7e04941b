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
//	X-Sbpd-Timestamp: 1780308003
//	X-Sbpd-Signature: v1=<64 hex digits>
//
//	{"delivery_id":"01J0Y3V6Q6Z7…:paid","id":"01J0Y3V6Q6Z7…","check_id":"4711",
//	 "order_no":"K07-4711-1","amount":25990,"state":"paid","state_code":5, …}
//
// The body is the payment object of the till API (docs/integrator.md),
// with delivery_id added. Amount is in kopecks.
//
//   - Answer any 2xx once the payment is stored; anything else (or no
//     answer within the timeout) means "try again later". sbpd retries with
//     exponential backoff (5 s, 10 s, 20 s, … at most 1 h apart) up to
//     notify.max_attempts times (default 50); after that the payment shows
//     in `sbpd journal stuck` until someone runs `sbpd journal resync ID`.
//   - A redirect (any 3xx) is never followed: it is a failed attempt,
//     retried like any other, whose reason `sbpd journal show` and `sbpd
//     journal stuck` give as "redirect 302 to https://acct.example refused:
//     sbpd does not follow redirects; set notify.url to the final address"
//     (the target's scheme and host only). Following it would send the
//     signed body to an address nobody configured, or turn the POST into a
//     GET whose 200 would count as delivered. Set notify.url to the address
//     that answers the POST itself.
//   - Deliveries are at least once. X-Sbpd-Delivery-Id (also delivery_id
//     in the body) is "<payment id>:<state>": the same for every retry and
//     for a resync, so store it and answer 2xx without doing anything when
//     you see it again. A payment whose outcome a technician changed gets a
//     new delivery id for the new state.
//   - X-Sbpd-Timestamp is when the attempt was made by the kiosk's clock,
//     in Unix seconds (decimal digits). Every attempt, retry and resync is
//     signed afresh.
//   - X-Sbpd-Signature is "v1=" and the lower-case hex HMAC-SHA256, keyed
//     with notify.secret, of the X-Sbpd-Timestamp value as sent, a dot, and
//     the exact request body bytes: v1=hex(HMAC-SHA256(notify.secret,
//     timestamp + "." + body)). The timestamp is signed, so it cannot be
//     changed to make an old request look new. Without notify.secret the
//     header is not sent.
//   - A payment a person entered in the accounting system by hand (`sbpd
//     journal mark-entered`) is never sent.
//
// # Checking a request
//
// Accept a request only if both hold, else answer 401 and store nothing:
//
//  1. the signature recomputed over the raw body, before parsing it,
//     equals X-Sbpd-Signature, compared in constant time (not with == or
//     strcmp, whose time tells how much of a guess was right);
//  2. X-Sbpd-Timestamp is within 5 minutes (DefaultTolerance) of your
//     clock, before or after, so that a request captured on the way and
//     sent again later is refused. Keep the kiosk's and the receiver's
//     clocks on NTP. Inside the window, the delivery id drops a replay.
//
// Verify does both:
//
//	body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
//	if err != nil || notify.Verify(secret, body, r.Header.Get(notify.HeaderTimestamp),
//		r.Header.Get(notify.HeaderSignature), time.Now(), notify.DefaultTolerance) != nil {
//		http.Error(w, "bad signature", http.StatusUnauthorized)
//		return
//	}
//
// The same check in Go without this module:
//
//	func genuine(secret string, body []byte, ts, sig string, now time.Time) bool {
//		sec, err := strconv.ParseInt(ts, 10, 64)
//		if err != nil || now.Sub(time.Unix(sec, 0)).Abs() > 5*time.Minute {
//			return false
//		}
//		m := hmac.New(sha256.New, []byte(secret))
//		m.Write([]byte(ts + "."))
//		m.Write(body)
//		return hmac.Equal([]byte(sig), []byte("v1="+hex.EncodeToString(m.Sum(nil))))
//	}
//
// and in Python:
//
//	import hashlib, hmac, time
//
//	def genuine(secret: bytes, body: bytes, ts: str, sig: str) -> bool:
//	    if not (ts.isascii() and ts.isdigit() and len(ts) <= 18) or abs(time.time() - int(ts)) > 300:
//	        return False
//	    mac = hmac.new(secret, ts.encode() + b"." + body, hashlib.sha256)
//	    return hmac.compare_digest(sig.encode(), b"v1=" + mac.hexdigest().encode())
package notify

// Package display is the kiosk screen: what the shopper sees while sbpd
// takes an SBP payment. It implements plugin.Screen twice: Screen, an
// embedded web page fed by server-sent events (the kiosk's browser shows
// it), and Terminal, the same screens drawn in a text terminal for headless
// kiosks and development (sbpd serve --screen terminal). Screens shows a
// change on both.
//
// # The page
//
// Screen.Routes serves, with nothing from the network (kiosks are often
// offline):
//
//	GET /                                the page (web/index.html, screen.css, screen.js)
//	GET /screen/events                   text/event-stream of the payment on show
//	GET /screen/qr/{id}                  the QR of the payment on show as a PNG; ?ppm=N pixels a module
//	GET /screen/current.json             the payment on show, or null
//	POST /screen/payments/{id}/retry     the shopper tapped Повторить (see below)
//	POST /screen/payments/{id}/cancel    the shopper tapped Отменить, in the dialog or before it
//
// The stream starts with "retry: 500" (the browser reconnects half a second
// after losing the daemon, e.g. across a restart) and the state on show,
// then sends every change the engine commits:
//
//	event: screen    {"now": ms since the Unix epoch on the daemon's clock (Screen.Now),
//	                 "cancel_button": false with Screen.HideCancel}: before every idle
//	                 and payment event, so the page counts down on the daemon's time
//	event: idle      no payment yet
//	event: qr        {"id": ..., "src": "data:image/png;base64,..."}: the QR, sent once
//	                 per stream just before the change that puts it on screen
//	event: payment   the payment as the till API returns it; the event's id is the
//	                 moment the change reached the screen, in µs since the Unix epoch
//
// A comment every Heartbeat keeps proxies from closing an idle stream.
//
// The page picks one view per payment (ViewOf): waiting with a spinner
// (creating), the QR (mode 1 and the remainder of a mixed payment,
// "Осталось оплатить по СБП"), the printed-QR hint (mode 0), the
// sticker/NFC hint (mode 2), the Повторить/Отменить dialog (status_unknown),
// canceling, paid, not paid, needs attention, and idle. Its text is the
// payment's message (or the dialog's), the amount as "1 234,50 ₽" (Amount)
// and the words of view.go: never an id, a code or English. The views
// that show what is to be paid (waiting, QR, printed QR, sticker and the
// dialog) carry a neutral «СБП» badge over the amount (text, no
// third-party logo); the outcomes and idle do not. The QR and printed-QR
// screens count down "Код действует ещё M:SS", the sticker screen
// "Оплатить можно ещё M:SS", to the payment's expires_at on the daemon's
// clock: its time in the last "event: screen" plus the page's monotonic
// time since (performance.now(), which a stepped kiosk clock does not
// move; tests move it through window.sbpdScreen.now). No countdown shows
// before the daemon's time is known or for a payment without an expiry.
// At zero the instruction gives way to "Срок действия кода истёк.
// Проверяем, прошла ли оплата…" (sticker: "Время оплаты истекло.
// Проверяем, прошла ли оплата…") while sbpd asks PayMaster. They also have
// their own Отменить unless Screen.HideCancel (screen.cancel_button =
// false), which ignores taps for 800 ms after it appears and after the
// dialog's button was answered, so that the second tap of a double tap on
// Повторить, where the QR screen's Отменить comes up, cancels nothing. The dialog adds
// "Если вы уже оплатили, не оплачивайте ещё раз — нажмите «Повторить»"
// under its question. Paid shows the amount and "Заберите чек"; not paid
// says what happened and what to do next for every reason alike (NotPaid),
// the shopper's own cancel with a neutral sign, not an error; needs
// attention shows "Заказ № K07-000153-1, 14:05" (OrderLine): the order
// number and the time the payment started, in large type, for the
// administrator. Every text is glued (Glue): no line
// ends with a short preposition, and amounts and times never break.
//
// It is laid out for landscape screens, the SetSCO 4:3 (1024×768) and
// widescreen kiosks (QR or pictogram beside the text), and for portrait
// ones (stacked), with touch targets of at least 15 mm, type of at least
// 24 px, every text at 4.5:1 or more against its background (disabled
// buttons included), lang="ru" and buttons named by their visible words.
// The page records how long each change took to paint
// (window.sbpdScreen.paints) for BenchmarkScreenPaint.
//
// # The QR
//
// QRPNG draws with go-qrcode at error correction M, dark on white, with the
// four-module quiet zone, every module a whole number of pixels. The page
// gets the QR at one pixel a module and scales it by the largest whole
// factor that fits (CSS image-rendering: pixelated), so the modules keep
// sharp edges at any kiosk size.
//
// # Повторить and Отменить
//
// The buttons POST to the screen's own routes, /screen/payments/{id}/retry
// and /cancel, on the page's own origin, and are disabled while the request
// is on its way (15 s at most). The page carries no credentials, and needs
// none: those routes act only on the payment on show, Повторить only while
// the dialog asks (status_unknown), Отменить also while the payment awaits
// the shopper (awaiting_payment: the QR, printed-QR and sticker screens'
// own Отменить) and again while canceling, when the engine answers with
// the payment and sends nothing: one cancel reaches PayMaster however often
// it is tapped. Any other id is a 409 "not_on_screen", any other state a
// 409 "no_dialog", Отменить in awaiting_payment with HideCancel a 409
// "no_cancel_button", and nothing reaches the engine. They call
// Screen.Actions (the flow engine's Retry and Cancel, the same as the till
// API's retry and cancel) and answer with the payment as the till API does,
// or with its error mapped the same way; the page takes the new state from
// the event stream. Without Actions they answer 501 and the till software
// must relay the shopper's choice to the till API. A request another web
// page makes is refused before it reaches these routes: the till API's
// server (drivers/tillapi) serves every route, the screen's included, and
// answers 421 to a Host that does not name sbpd, 403 to an Origin that is
// not sbpd's own or a Sec-Fetch-Site of same-site or cross-site, and 415 to
// a body that is not JSON, so no other page open in the kiosk's browser can
// tap for the shopper, not even through DNS rebinding.
//
// # Beyond loopback
//
// With Screen.LocalOnly (the daemon sets it with api.token, which a till
// API beyond loopback requires) every screen route, the page, its stream,
// the QR and the buttons, answers only the kiosk's own browser: a peer
// outside 127.0.0.0/8 and ::1 gets 403 "the kiosk screen is served only to
// this kiosk's own browser (loopback)", so nobody else on the store network
// sees the amount and QR in progress or taps the buttons. The peer is the
// connection's address; X-Forwarded-For is not trusted. The kiosk's browser
// opens the page at a loopback address (http://127.0.0.1:8765/ when sbpd
// listens on 0.0.0.0), or, when sbpd listens on one LAN address only, at
// that address: a peer whose address is the one its connection reached is
// this machine too.
//
// By design the screen's buttons need no token even then: the screen is
// the kiosk's own page, guarded by the browser rules above, so any process
// on the kiosk itself can press them (only on the payment on show, and in
// the states the screen offers the button), as the shopper can.
package display

package display

import (
	"embed"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/sbpd/sbpd/plugin"
)

//go:embed web
var web embed.FS

// Screen holds the payment on show and the pages watching it.
type Screen struct {
	// Heartbeat is how often an idle event stream gets a comment, so that
	// proxies and the browser notice a dead daemon. Default 15s.
	Heartbeat time.Duration
	// QRSize is the smallest side in pixels of /screen/qr/{id} without
	// ?ppm=. Default 512.
	QRSize int
	// Retry is the EventSource reconnection delay sent to the page: how
	// soon a page finds the daemon again after a restart. Default 500ms.
	Retry time.Duration
	// Actions takes the shopper's Повторить and Отменить from the page's
	// buttons (POST /screen/payments/{id}/retry and /cancel), for the
	// payment on show while its dialog is. Nil: those routes answer 501
	// and the till software must relay the choice to the till API. The
	// daemon sets it to the flow engine. Read at every request, so it may
	// be set after Routes, before the page's first tap.
	Actions Actions
	// Status is the HTTP status of the buttons' answer to an engine error
	// with this plugin code: the till API's mapping, which the daemon sets
	// (tillapi.ErrorStatus), so that both answer alike. A 500, or a nil
	// Status, answers "internal error" and shows nothing of the cause.
	Status func(code string) int
	// LocalOnly serves every screen route only to the kiosk's own
	// browser: a loopback peer (127.0.0.0/8, ::1), or one whose address is
	// the address its connection reached; others get 403. The daemon sets
	// it with api.token, when the till API may listen beyond loopback. The
	// peer is the connection's address: X-Forwarded-For is not trusted.
	// Read at every request, like Actions.
	LocalOnly bool
	// Embeddable lets a page of sbpd's own origin show the kiosk page in a
	// frame (the demo page does); otherwise no page may frame it.
	Embeddable bool
	// HideCancel hides the page's own Отменить on the QR, printed-QR and
	// sticker screens (template setting screen.cancel_button = false, for
	// tills that draw their own) and refuses its request there; the
	// dialog's Отменить stays. Read at every request.
	HideCancel bool
	// Now is the daemon's clock, whose time the stream sends the page (the
	// "screen" event) so that the countdown to the payment's expires_at,
	// which that clock set, is right whatever the kiosk's own clock says.
	// Nil: the wall clock.
	Now func() time.Time

	mu      sync.Mutex
	current *plugin.Payment
	shownAt time.Time // wall clock, when current reached the screen
	clients map[chan frame]struct{}
	qrURI   struct{ payload, uri string } // the last QR sent down the streams
}

// frame is one change on its way to a page.
type frame struct {
	p  plugin.Payment
	at time.Time
}

var _ plugin.Screen = (*Screen)(nil)

// New returns an empty screen.
func New() *Screen {
	return &Screen{Heartbeat: 15 * time.Second, QRSize: 512, Retry: 500 * time.Millisecond,
		clients: map[chan frame]struct{}{}}
}

// covers reports whether p may replace cur on a screen: not an older
// payment's late change while another payment holds the kiosk.
func covers(cur *plugin.Payment, p plugin.Payment) bool {
	return cur == nil || cur.ID == p.ID || !cur.State.Active() || p.State.Active()
}

// Show makes p the payment on show, unless it is an older payment's late
// change while another payment holds the kiosk.
func (s *Screen) Show(p plugin.Payment) {
	at := time.Now()
	s.mu.Lock()
	defer s.mu.Unlock()
	if !covers(s.current, p) {
		return // a background payment's verdict must not cover the shopper's QR
	}
	s.current, s.shownAt = &p, at
	for ch := range s.clients {
		offer(ch, frame{p, at})
	}
}

// offer puts f in a one-slot mailbox, replacing a stale frame a slow page
// has not taken yet.
func offer[T any](ch chan T, f T) {
	for {
		select {
		case ch <- f:
			return
		default:
		}
		select {
		case <-ch:
		default:
		}
	}
}

// Current returns the payment on show.
func (s *Screen) Current() (plugin.Payment, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.current == nil {
		return plugin.Payment{}, false
	}
	return *s.current, true
}

// EventsPattern is the route of the page's event stream, which the server
// caps and times as a stream.
const EventsPattern = "GET /screen/events"

// Routes returns the screen's handlers by pattern, for the daemon's mux.
// Each reads LocalOnly and Actions at request time.
func (s *Screen) Routes() map[string]http.Handler {
	page := map[string]http.Handler{
		"GET /{$}":                 s.page(s.file("web/index.html", "text/html; charset=utf-8")),
		"GET /screen/screen.js":    s.file("web/screen.js", "text/javascript; charset=utf-8"),
		"GET /screen/screen.css":   s.file("web/screen.css", "text/css; charset=utf-8"),
		EventsPattern:              http.HandlerFunc(s.events),
		"GET /screen/qr/{id}":      http.HandlerFunc(s.qr),
		"GET /screen/current.json": http.HandlerFunc(s.currentJSON),
	}
	routes := make(map[string]http.Handler, len(page)+2)
	for p, h := range page {
		routes[p] = s.localOnly(h, false)
	}
	for _, action := range []string{actionRetry, actionCancel} {
		routes["POST /screen/payments/{id}/"+action] = s.localOnly(s.act(action), true)
	}
	return routes
}

// PageCSP is the kiosk page's Content-Security-Policy: its own script,
// style, QR images (data: URIs from the stream) and event stream, nothing
// inline, no framing unless Embeddable.
const PageCSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
	"connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors "

// page adds the kiosk page's security headers.
func (s *Screen) page(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hdr := w.Header()
		if s.Embeddable {
			hdr.Set("Content-Security-Policy", PageCSP+"'self'")
			hdr.Set("X-Frame-Options", "SAMEORIGIN")
		} else {
			hdr.Set("Content-Security-Policy", PageCSP+"'none'")
			hdr.Set("X-Frame-Options", "DENY")
		}
		hdr.Set("X-Content-Type-Options", "nosniff")
		hdr.Set("Referrer-Policy", "no-referrer")
		h.ServeHTTP(w, r)
	})
}

func (s *Screen) file(name, contentType string) http.Handler {
	body, err := web.ReadFile(name)
	if err != nil {
		panic(err) // embedded at build time
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", contentType)
		w.Header().Set("Cache-Control", "no-cache")
		w.Write(body)
	})
}

func (s *Screen) currentJSON(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	p, ok := s.Current()
	if !ok {
		w.Write([]byte("null"))
		return
	}
	json.NewEncoder(w).Encode(p)
}

// events streams the payment on show: the current one at once, then every
// change. Each payment event's id is the moment the change reached the
// screen, in microseconds since the Unix epoch, so the page can tell how
// long it took to paint it. The browser's EventSource reconnects by itself,
// Retry after the connection is lost (a daemon restart).
func (s *Screen) events(w http.ResponseWriter, r *http.Request) {
	flusher, ok := w.(http.Flusher)
	if !ok {
		http.Error(w, "streaming unsupported", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-cache")
	w.Header().Set("X-Accel-Buffering", "no")
	ch := make(chan frame, 1)
	s.mu.Lock()
	s.clients[ch] = struct{}{}
	cur, at := s.current, s.shownAt
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		delete(s.clients, ch)
		s.mu.Unlock()
	}()
	retry := s.Retry
	if retry <= 0 {
		retry = 500 * time.Millisecond
	}
	fmt.Fprintf(w, "retry: %d\n\n", retry.Milliseconds())
	sentQR := ""
	if cur != nil {
		sentQR = s.writeFrame(w, frame{*cur, at}, sentQR)
	} else {
		s.writeScreen(w)
		fmt.Fprintf(w, "id: %s\nevent: idle\ndata: {}\n\n", stamp(time.Now()))
	}
	flusher.Flush()
	hb := s.Heartbeat
	if hb <= 0 {
		hb = 15 * time.Second
	}
	beat := time.NewTicker(hb)
	defer beat.Stop()
	for {
		select {
		case <-r.Context().Done():
			return
		case f := <-ch:
			sentQR = s.writeFrame(w, f, sentQR)
			flusher.Flush()
		case <-beat.C:
			fmt.Fprint(w, ": ping\n\n")
			flusher.Flush()
		}
	}
}

// ScreenEvent is the data of the stream's "event: screen", sent before
// every payment and idle event: the daemon's time now, in milliseconds since
// the Unix epoch, for the page to correct its own clock by, and whether the
// page shows its own Отменить outside the dialog.
type ScreenEvent struct {
	Now          int64 `json:"now"`
	CancelButton bool  `json:"cancel_button"`
}

// writeScreen writes the stream's "event: screen".
func (s *Screen) writeScreen(w http.ResponseWriter) {
	now := time.Now
	if s.Now != nil {
		now = s.Now
	}
	b, _ := json.Marshal(ScreenEvent{Now: now().UnixMilli(), CancelButton: !s.HideCancel})
	fmt.Fprintf(w, "event: screen\ndata: %s\n\n", b)
}

// writeFrame writes one change as "event: payment" with the payment as
// JSON, after an "event: screen" with the daemon's time. When the change
// puts a QR on screen that this stream has not sent yet, an "event: qr"
// with the image as a data: URI goes first, so the page shows the QR with
// the text, without another request.
// It returns the QR payload the stream has sent.
func (s *Screen) writeFrame(w http.ResponseWriter, f frame, sentQR string) string {
	s.writeScreen(w)
	if ViewOf(f.p) == ViewQR && f.p.QRPayload != sentQR {
		if uri, err := s.qrDataURI(f.p.QRPayload); err == nil {
			b, _ := json.Marshal(map[string]string{"id": f.p.ID, "src": uri})
			fmt.Fprintf(w, "event: qr\ndata: %s\n\n", b)
			sentQR = f.p.QRPayload
		}
	}
	b, _ := json.Marshal(f.p)
	fmt.Fprintf(w, "id: %s\nevent: payment\ndata: %s\n\n", stamp(f.at), b)
	return sentQR
}

// qrDataURI is the QR of payload at one pixel a module, as a data: URI; the
// last one is kept for the other pages watching.
func (s *Screen) qrDataURI(payload string) (string, error) {
	s.mu.Lock()
	if s.qrURI.payload == payload {
		defer s.mu.Unlock()
		return s.qrURI.uri, nil
	}
	s.mu.Unlock()
	png, err := QRPNG(payload, 1, 0)
	if err != nil {
		return "", err
	}
	uri := "data:image/png;base64," + base64.StdEncoding.EncodeToString(png)
	s.mu.Lock()
	s.qrURI.payload, s.qrURI.uri = payload, uri
	s.mu.Unlock()
	return uri, nil
}

func stamp(t time.Time) string { return strconv.FormatInt(t.UnixMicro(), 10) }

// qr draws the QR of the payment on show (see QRPNG): only that one, the
// screen is not a QR service for arbitrary text. ?ppm=N asks for N pixels a
// module (1-32); the page asks for 1 and scales it up by a whole factor.
func (s *Screen) qr(w http.ResponseWriter, r *http.Request) {
	p, ok := s.Current()
	if !ok || p.ID != r.PathValue("id") || p.QRPayload == "" {
		http.Error(w, "no QR for this payment", http.StatusNotFound)
		return
	}
	ppm := 0
	if v := r.URL.Query().Get("ppm"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > maxModulePixels {
			http.Error(w, "ppm must be a whole number of pixels a module, 1 to 32", http.StatusBadRequest)
			return
		}
		ppm = n
	}
	size := s.QRSize
	if size <= 0 {
		size = 512
	}
	png, err := QRPNG(p.QRPayload, ppm, size)
	if err != nil {
		http.Error(w, "cannot draw the QR", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "image/png")
	w.Header().Set("Cache-Control", "no-store")
	w.Write(png)
}

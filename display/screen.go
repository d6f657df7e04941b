package display

import (
	"embed"
	"encoding/json"
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/skip2/go-qrcode"

	"github.com/sbpd/sbpd/plugin"
)

//go:embed web
var web embed.FS

// Screen holds the payment on show and the pages watching it.
type Screen struct {
	// Heartbeat is how often an idle event stream gets a comment, so that
	// proxies and the browser notice a dead daemon. Default 15s.
	Heartbeat time.Duration
	// QRSize is the QR image's side in pixels. Default 512.
	QRSize int

	mu      sync.Mutex
	current *plugin.Payment
	clients map[chan plugin.Payment]struct{}
}

var _ plugin.Screen = (*Screen)(nil)

// New returns an empty screen.
func New() *Screen {
	return &Screen{Heartbeat: 15 * time.Second, QRSize: 512, clients: map[chan plugin.Payment]struct{}{}}
}

// Show makes p the payment on show, unless it is an older payment's late
// change while another payment holds the kiosk.
func (s *Screen) Show(p plugin.Payment) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.current != nil && s.current.ID != p.ID && s.current.State.Active() && !p.State.Active() {
		return // a background payment's verdict must not cover the shopper's QR
	}
	s.current = &p
	for ch := range s.clients {
		select {
		case ch <- p:
		default: // slow page: drop the stale state, keep the newest
			select {
			case <-ch:
			default:
			}
			select {
			case ch <- p:
			default:
			}
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

// Routes returns the screen's handlers by pattern, for the daemon's mux.
func (s *Screen) Routes() map[string]http.Handler {
	return map[string]http.Handler{
		"GET /{$}":                 s.file("web/index.html", "text/html; charset=utf-8"),
		"GET /screen/screen.js":    s.file("web/screen.js", "text/javascript; charset=utf-8"),
		"GET /screen/screen.css":   s.file("web/screen.css", "text/css; charset=utf-8"),
		"GET /screen/events":       http.HandlerFunc(s.events),
		"GET /screen/qr/{id}":      http.HandlerFunc(s.qr),
		"GET /screen/current.json": http.HandlerFunc(s.currentJSON),
	}
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
	p, ok := s.Current()
	if !ok {
		w.Write([]byte("null"))
		return
	}
	json.NewEncoder(w).Encode(p)
}

// events streams the payment on show: the current one at once, then every
// change. The browser's EventSource reconnects by itself after a restart.
func (s *Screen) events(w http.ResponseWriter, r *http.Request) {
	flusher, ok := w.(http.Flusher)
	if !ok {
		http.Error(w, "streaming unsupported", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-cache")
	w.Header().Set("X-Accel-Buffering", "no")
	ch := make(chan plugin.Payment, 1)
	s.mu.Lock()
	s.clients[ch] = struct{}{}
	cur := s.current
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		delete(s.clients, ch)
		s.mu.Unlock()
	}()
	fmt.Fprint(w, "retry: 1000\n\n")
	if cur != nil {
		writeEvent(w, *cur)
	} else {
		fmt.Fprint(w, "event: idle\ndata: {}\n\n")
	}
	flusher.Flush()
	beat := time.NewTicker(s.Heartbeat)
	defer beat.Stop()
	for {
		select {
		case <-r.Context().Done():
			return
		case p := <-ch:
			writeEvent(w, p)
			flusher.Flush()
		case <-beat.C:
			fmt.Fprint(w, ": ping\n\n")
			flusher.Flush()
		}
	}
}

func writeEvent(w http.ResponseWriter, p plugin.Payment) {
	b, _ := json.Marshal(p)
	fmt.Fprintf(w, "event: payment\ndata: %s\n\n", b)
}

// qr draws the QR of a payment the screen knows, with the standard quiet
// zone. Only the payment on show can be drawn: the screen is not a QR
// service for arbitrary text.
func (s *Screen) qr(w http.ResponseWriter, r *http.Request) {
	p, ok := s.Current()
	if !ok || p.ID != r.PathValue("id") || p.QRPayload == "" {
		http.Error(w, "no QR for this payment", http.StatusNotFound)
		return
	}
	png, err := qrcode.Encode(p.QRPayload, qrcode.Medium, s.QRSize)
	if err != nil {
		http.Error(w, "cannot draw the QR", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "image/png")
	w.Header().Set("Cache-Control", "no-store")
	w.Write(png)
}

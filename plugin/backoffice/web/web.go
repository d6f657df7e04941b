package web

import (
	"context"
	"embed"
	"io"
	"io/fs"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/sbpd/sbpd/plugin"
	"github.com/sbpd/sbpd/plugin/backoffice"
)

// Prefix is where the back office is mounted.
const Prefix = "/backoffice/"

// Check is one line of doctor's checklist.
type Check struct {
	Name    string
	Status  string // ok, warn, fail, skip
	Message string
	Fix     string
}

// Setting is one setting in force: its value (secrets masked by the
// caller, and again here) and where it comes from.
type Setting struct {
	Key    string
	Value  string
	Source string
	Secret bool
}

// Options are what the back office serves and needs.
type Options struct {
	// Service is the kiosk's back office; its Journal is searched for the
	// list. Required.
	Service *backoffice.Service
	// Current, when set, is asked at every request for the back office of
	// the settings in force (its till, its secrets, its PayMaster), as the
	// CLI builds one per command; Service is the one until it answers.
	Current func() *backoffice.Service
	// Token, when set (api.token), must be given at the login form.
	Token string
	// Clock times sessions; nil is the wall clock.
	Clock plugin.Clock
	// Zone is the zone times are read and shown in (as the CLI's):
	// nil is time.Local.
	Zone *time.Location
	// SessionTTL is how long a login lasts; DefaultSessionTTL when zero.
	SessionTTL time.Duration
	// Version is sbpd's version, shown on the kiosk page.
	Version string
	// Export writes the payments f selects as format ("csv" or "xlsx"),
	// streamed; nil: no export.
	Export func(ctx context.Context, w io.Writer, f plugin.Filter, format string) (int64, error)
	// Doctor runs the kiosk's checks; nil: none.
	Doctor func(ctx context.Context) []Check
	// Settings are the settings in force; nil: none shown.
	Settings func() []Setting
	// Printer says the printer's status in a line; nil: no printer.
	Printer func(ctx context.Context) string
}

// Defaults and bounds.
const (
	DefaultSessionTTL = 8 * time.Hour
	MaxSessions       = 256      // sessions kept; the oldest goes first
	maxForm           = 16 << 10 // bytes of a form
	maxName           = 64       // characters of a person's name
)

// Server is the back office's HTTP handler.
type Server struct {
	o        Options
	mux      *http.ServeMux
	sessions *sessions
	// exporting lets one export run at a time: each holds a read of the
	// journal and a download's memory.
	exporting gate
	// heavy lets one reconciliation or doctor's run go at a time.
	heavy gate
}

//go:embed assets
var assets embed.FS

// New returns the back office for o. It panics without a Service (a
// wiring mistake).
func New(o Options) *Server {
	if o.Service == nil {
		panic("web: Options.Service is nil")
	}
	if o.Clock == nil {
		o.Clock = plugin.RealClock{}
	}
	if o.Zone == nil {
		o.Zone = time.Local
	}
	if o.SessionTTL <= 0 {
		o.SessionTTL = DefaultSessionTTL
	}
	s := &Server{o: o, mux: http.NewServeMux(), sessions: newSessions(o.Clock, o.SessionTTL), exporting: newGate(), heavy: newGate()}
	static, _ := fs.Sub(assets, "assets/static")
	files := http.StripPrefix(Prefix+"static/", http.FileServerFS(static))
	s.mux.HandleFunc("GET "+Prefix+"static/", func(w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.URL.Path, "/") { // a folder: no listing
			http.NotFound(w, r)
			return
		}
		files.ServeHTTP(w, r)
	})
	s.mux.HandleFunc("POST "+Prefix+"login", s.login)
	s.mux.HandleFunc("POST "+Prefix+"logout", s.authed(s.logout))
	s.mux.HandleFunc("GET "+Prefix+"{$}", s.authed(s.list))
	s.mux.HandleFunc("GET "+Prefix+"export", s.authed(s.export))
	s.mux.HandleFunc("GET "+Prefix+"payments/{id}", s.authed(s.payment))
	s.mux.HandleFunc("GET "+Prefix+"payments/{id}/{act}", s.authed(s.confirm))
	s.mux.HandleFunc("POST "+Prefix+"payments/{id}/{act}", s.authed(s.act))
	s.mux.HandleFunc("GET "+Prefix+"reconcile", s.authed(s.reconcile))
	s.mux.HandleFunc("POST "+Prefix+"reconcile", s.authed(s.reconcileRun))
	s.mux.HandleFunc("GET "+Prefix+"stuck", s.authed(s.stuck))
	s.mux.HandleFunc("GET "+Prefix+"kiosk", s.authed(s.kiosk))
	s.mux.HandleFunc("POST "+Prefix+"kiosk", s.authed(s.kioskRun))
	s.mux.HandleFunc(Prefix, s.authed(s.notFound))
	return s
}

// ServeHTTP serves the back office; a form's body is bounded.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Body != nil {
		r.Body = http.MaxBytesReader(w, r.Body, maxForm)
	}
	h := w.Header()
	h.Set("Cache-Control", "no-store")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Content-Security-Policy", "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
	// Not no-referrer: under it a browser sends "Origin: null" with a
	// form, which the daemon's browser rules refuse as another page's.
	h.Set("Referrer-Policy", "same-origin")
	if crossSite(r) {
		s.refuseCrossSite(w, r)
		return
	}
	s.mux.ServeHTTP(w, r)
}

// svc is the back office of the settings in force.
func (s *Server) svc() *backoffice.Service {
	if s.o.Current != nil {
		if cur := s.o.Current(); cur != nil {
			return cur
		}
	}
	return s.o.Service
}

// scrub removes every secret from text about to be shown.
func (s *Server) scrub(text string) string {
	return plugin.Redact(plugin.Redact(text, s.o.Token), s.svc().Secrets...)
}

// Memo is a Current that builds the back office once for each value of
// key (the settings in force: a new one after each reload) and keeps it
// until key changes. A build's error (say, PayMaster's settings missing:
// the acts that ask it are refused) is logged as a warning to log (nil:
// none); its back office is used.
func Memo[K comparable](key func() K, build func(K) (*backoffice.Service, error), log *slog.Logger) func() *backoffice.Service {
	var (
		mu   sync.Mutex
		last K
		svc  *backoffice.Service
	)
	return func() *backoffice.Service {
		k := key()
		mu.Lock()
		defer mu.Unlock()
		if svc == nil || k != last {
			built, err := build(k)
			if err != nil && log != nil {
				log.Warn("back office: its acts that ask PayMaster are refused", "error", err.Error())
			}
			last, svc = k, built
		}
		return svc
	}
}

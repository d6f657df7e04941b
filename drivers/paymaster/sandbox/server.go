package sandbox

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/sbpd/sbpd/plugin"
)

// Defaults for zero Options fields.
const (
	DefaultToken      = "sandbox-token"
	DefaultMerchantID = "6f1c2e9a-4b7d-4e3a-9c51-2d8f0b7a6e14"
	DefaultPageSize   = 50
	DefaultAddr       = "127.0.0.1:0"

	firstID     = 40211873
	maxRequests = 10000 // Requests keeps at most this many, dropping the oldest half when full
)

// Options configures a Server.
type Options struct {
	Token      string       // the bearer token every /api/v2/ request must carry; default DefaultToken
	MerchantID string       // the one merchant the sandbox knows; default DefaultMerchantID
	Clock      plugin.Clock // creation times and expiry; nil means plugin.RealClock{}
	Stickers   []string     // ids of the cash-link stickers that exist (cashlink: true, Active)
	// PlainStickers are ids of static stickers that are not cash links
	// (cashlink: false): GET shows them, a payment cannot activate them.
	PlainStickers []string
	PageSize      int          // list page size; default 50
	Logger        *slog.Logger // nil discards
	// APIOnly makes Start serve only /api/v2/: the controls (/sandbox/)
	// are mounted behind another server's guard through Handler (the demo).
	APIOnly bool
	// Wrap, if set, wraps what Start serves, e.g. with the till API's
	// browser rules (sbpd sandbox), so that no web page drives the bank.
	Wrap func(http.Handler) http.Handler
}

// Server is the emulator. Its methods are safe for concurrent use.
type Server struct {
	opts    Options
	clock   plugin.Clock
	log     *slog.Logger
	handler http.Handler
	done    chan struct{} // closed by Close; ends fault latencies

	mu          sync.Mutex
	payments    map[string]*payment
	order       []*payment        // creation order = id order
	keys        map[string]string // Idempotency-Key → payment id
	nextID      int64
	stickers    map[string]*stickerState
	cancelMode  CancelMode
	qrAfterGets int
	faults      []*activeFault
	received    map[string]int
	handled     map[string]int
	perPayment  map[string]map[string]int // payment id → kind → received
	requests    []Request

	srv      *http.Server
	url      string
	started  bool
	closed   bool
	closeErr error
}

// Request is one /api/v2/ request as the sandbox received it.
type Request struct {
	Kind           string // create, get, list, cancel, sticker or other
	Method         string
	Path           string
	PaymentID      string // for get and cancel
	IdempotencyKey string
	Faults         []string // the faults applied, described
}

// Request kinds counted by Calls and Handled.
const (
	KindCreate  = "create"
	KindGet     = "get"
	KindList    = "list"
	KindCancel  = "cancel"
	KindSticker = "sticker"
	KindOther   = "other"
)

// New returns a Server with opts; it serves nothing until Start or Handler.
func New(opts Options) *Server {
	if opts.Token == "" {
		opts.Token = DefaultToken
	}
	if opts.MerchantID == "" {
		opts.MerchantID = DefaultMerchantID
	}
	if opts.PageSize <= 0 {
		opts.PageSize = DefaultPageSize
	}
	s := &Server{
		opts:       opts,
		clock:      opts.Clock,
		log:        opts.Logger,
		done:       make(chan struct{}),
		payments:   map[string]*payment{},
		keys:       map[string]string{},
		nextID:     firstID,
		stickers:   map[string]*stickerState{},
		received:   map[string]int{},
		handled:    map[string]int{},
		perPayment: map[string]map[string]int{},
	}
	if s.clock == nil {
		s.clock = plugin.RealClock{}
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	s.log = s.log.With("component", "paymaster-sandbox")
	for _, id := range opts.Stickers {
		s.stickers[id] = &stickerState{cashlink: true, active: true}
	}
	for _, id := range opts.PlainStickers {
		s.stickers[id] = &stickerState{active: true}
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/api/v2/", s.serveAPI)
	s.controlRoutes(mux)
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "PayMaster sandbox: the API is under /api/v2/, the controls under /sandbox/", http.StatusNotFound)
	})
	s.handler = mux
	return s
}

// Token is the bearer token the sandbox accepts.
func (s *Server) Token() string { return s.opts.Token }

// MerchantID is the merchant id the sandbox accepts.
func (s *Server) MerchantID() string { return s.opts.MerchantID }

// Handler serves the API and the controls, for use in another server.
func (s *Server) Handler() http.Handler { return s.handler }

// Start listens on addr (DefaultAddr if empty) and serves real HTTP in the
// background. It returns the base URL, e.g. http://127.0.0.1:40123.
func (s *Server) Start(addr string) (baseURL string, err error) {
	if addr == "" {
		addr = DefaultAddr
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	switch {
	case s.closed:
		return "", errors.New("sandbox: start: the server is closed")
	case s.started:
		return "", fmt.Errorf("sandbox: start: already serving at %s", s.url)
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return "", fmt.Errorf("sandbox: listen on %s: %w", addr, err)
	}
	h := s.handler
	if s.opts.APIOnly {
		api := http.NewServeMux()
		api.HandleFunc("/api/v2/", s.serveAPI)
		api.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
			http.Error(w, "PayMaster sandbox: the API is under /api/v2/; the controls are served by sbpd demo", http.StatusNotFound)
		})
		h = api
	}
	if s.opts.Wrap != nil {
		h = s.opts.Wrap(h)
	}
	s.srv = &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	s.url = "http://" + ln.Addr().String()
	s.started = true
	go func() {
		if err := s.srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			s.log.Error("sandbox: serve", "error", err)
		}
	}()
	s.log.Info("sandbox: serving", "url", s.url)
	return s.url, nil
}

// URL is the base URL Start returned, or "" before Start.
func (s *Server) URL() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.url
}

// Close stops serving and drops open connections. It is safe to call more
// than once.
func (s *Server) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return s.closeErr
	}
	s.closed = true
	close(s.done)
	srv := s.srv
	s.mu.Unlock()
	var err error
	if srv != nil {
		err = srv.Close()
	}
	s.mu.Lock()
	s.closeErr = err
	s.mu.Unlock()
	return err
}

// classify names the API call of a request and the payment it is about.
// escaped is the escaped path below /api/v2/.
func classify(method, escaped string) (kind, id string) {
	parts := strings.Split(strings.Trim(escaped, "/"), "/")
	unescape := func(p string) string {
		if u, err := url.PathUnescape(p); err == nil {
			return u
		}
		return p
	}
	switch {
	case len(parts) == 1 && parts[0] == "payments" && method == http.MethodPost:
		return KindCreate, ""
	case len(parts) == 1 && parts[0] == "payments" && method == http.MethodGet:
		return KindList, ""
	case len(parts) == 2 && parts[0] == "payments" && parts[1] != "" && method == http.MethodGet:
		return KindGet, unescape(parts[1])
	case len(parts) == 3 && parts[0] == "payments" && parts[1] != "" && parts[2] == "cancel" && method == http.MethodPut:
		return KindCancel, unescape(parts[1])
	case len(parts) == 2 && parts[0] == "stickers" && parts[1] != "" && method == http.MethodGet:
		return KindSticker, unescape(parts[1])
	}
	return KindOther, ""
}

// receive counts and records a request and picks the faults that apply to it.
func (s *Server) receive(r *http.Request, kind, id string) []Fault {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.received[kind]++
	if id != "" {
		if s.perPayment[id] == nil {
			s.perPayment[id] = map[string]int{}
		}
		s.perPayment[id][kind]++
	}
	faults := s.pickFaults(r.Method, r.URL.Path)
	rec := Request{Kind: kind, Method: r.Method, Path: r.URL.Path, PaymentID: id,
		IdempotencyKey: r.Header.Get("Idempotency-Key")}
	for _, f := range faults {
		rec.Faults = append(rec.Faults, f.String())
	}
	if len(s.requests) >= maxRequests {
		s.requests = append(s.requests[:0], s.requests[len(s.requests)-maxRequests/2:]...)
	}
	s.requests = append(s.requests, rec)
	return faults
}

func (s *Server) serveAPI(w http.ResponseWriter, r *http.Request) {
	// The Date header follows Options.Clock, so a test can skew it.
	w.Header().Set("Date", s.clock.Now().UTC().Format(http.TimeFormat))
	escaped := strings.TrimPrefix(r.URL.EscapedPath(), "/api/v2")
	kind, id := classify(r.Method, escaped)
	faults := s.receive(r, kind, id)
	s.log.Debug("sandbox: request", "method", r.Method, "path", r.URL.Path, "kind", kind, "faults", len(faults))

	var pre, post []Fault
	for _, f := range faults {
		if f.AfterHandling {
			post = append(post, f)
		} else {
			pre = append(pre, f)
		}
	}
	for _, f := range pre {
		if !s.applyFault(w, r, f, nil) {
			return
		}
	}
	if len(post) == 0 {
		s.handleAPI(w, r, kind, id)
		return
	}
	rec := newRecorder()
	s.handleAPI(rec, r, kind, id)
	for _, f := range post {
		if !s.applyFault(w, r, f, rec) {
			return
		}
	}
	rec.flush(w)
}

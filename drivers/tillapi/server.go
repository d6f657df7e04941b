package tillapi

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"runtime/debug"
	"strconv"
	"strings"
	"time"

	"github.com/sbpd/sbpd/plugin"
)

// Payments is the flow engine as the till API needs it.
type Payments interface {
	Start(ctx context.Context, req plugin.StartRequest) (p plugin.Payment, created bool, err error)
	Get(ctx context.Context, id string) (plugin.Payment, error)
	Retry(ctx context.Context, id string) (plugin.Payment, error)
	Cancel(ctx context.Context, id string) (plugin.Payment, error)
	// Subscribe delivers the payment on every change until stop is called; the channel is closed by stop.
	Subscribe(id string) (updates <-chan plugin.Payment, stop func())
}

// Searcher is the journal search.
type Searcher interface {
	Search(ctx context.Context, f plugin.Filter) ([]*plugin.Payment, error)
}

// HealthFunc reports component health for /healthz: name → status object;
// ok=false makes /healthz answer 503.
type HealthFunc func(ctx context.Context) (report map[string]any, ok bool)

// Defaults for the zero values of Server's fields.
const (
	DefaultMaxBodyBytes int64 = 64 << 10
	DefaultHeartbeat          = 15 * time.Second
)

// healthTimeout bounds one HealthFunc call so a hung component cannot hang
// /healthz.
const healthTimeout = 5 * time.Second

// Server is the till API. Set the fields, then call Handler once; changes
// made after Handler have no effect on the handler it returned.
type Server struct {
	Payments Payments   // required
	Search   Searcher   // nil: the search route answers 501
	Health   HealthFunc // nil: /healthz reports liveness only
	// Token, when not empty, is required as "Authorization: Bearer <Token>"
	// on every /api/v1 route and /healthz. It is never logged.
	Token        string
	Logger       *slog.Logger // nil: discard
	MaxBodyBytes int64        // request body limit; 0 means DefaultMaxBodyBytes
	// Heartbeat is how often an idle event stream gets a ": ping" comment,
	// so proxies and the till see the connection alive; 0 means
	// DefaultHeartbeat.
	Heartbeat time.Duration
	// Extra are routes the daemon mounts next to the API, e.g. "GET /" for
	// the kiosk screen or "GET /metrics", keyed by net/http pattern. They are
	// served as given: no token check, no JSON error rewriting.
	Extra map[string]http.Handler
	// Metrics, if set, serves GET /metrics (Prometheus), behind the token
	// like the API: the counts tell a store's sales.
	Metrics http.Handler
	// Listen is the configured listen address; its host is a name the
	// Host header may carry (see guard.go for the browser rules).
	Listen string
	// Hosts are more names the Host header may carry (the setting
	// api.hosts), besides localhost, loopback addresses, the listen host
	// and the address the connection reached.
	Hosts []string
	// Streams are the Extra patterns that are event streams (the kiosk
	// page's), timed like the API's own and capped by the same Limits but
	// counted apart: the till's streams never take the page's place, nor
	// the page's the till's.
	Streams []string
	// Limits bound connections, event streams and how long a request may
	// take to arrive and its answer to leave; zero fields take
	// DefaultLimits.
	Limits Limits
	// Clock times the window of wrong tokens (TokenFailures); nil is the
	// wall clock.
	Clock plugin.Clock
	// Forms are path prefixes of Extra pages that take HTML forms
	// (application/x-www-form-urlencoded) from sbpd's own pages, e.g.
	// "/backoffice/"; every other route takes JSON bodies only.
	Forms []string
}

// Handler returns the HTTP handler of the API and the Extra routes. It
// panics if Payments is nil or an Extra pattern is invalid or clashes with
// an API route, as http.ServeMux does: both are wiring mistakes.
func (s *Server) Handler() http.Handler {
	if s.Payments == nil {
		panic("tillapi: Server.Payments is nil")
	}
	h := &handler{
		payments:   s.Payments,
		search:     s.Search,
		health:     s.Health,
		log:        s.Logger,
		maxBody:    s.MaxBodyBytes,
		heartbeat:  s.Heartbeat,
		api:        http.NewServeMux(),
		extra:      http.NewServeMux(),
		rules:      newRules(s.Listen, s.Hosts),
		limits:     s.Limits.withDefaults(),
		streams:    map[string]bool{"GET /api/v1/payments/{id}/events": true},
		pageStream: map[string]bool{},
	}
	for _, p := range s.Streams {
		h.streams[p], h.pageStream[p] = true, true
	}
	h.rules.forms = s.Forms
	h.slots = newStreamSlots(h.limits)
	h.pageSlots = newStreamSlots(h.limits)
	if s.Token != "" {
		sum := sha256.Sum256([]byte(s.Token))
		h.tokenSum = &sum
	}
	clock := s.Clock
	if clock == nil {
		clock = plugin.RealClock{}
	}
	h.failures = &plugin.Failures{PerSource: MaxWrongTokens, Total: MaxWrongTokensTotal, MaxSources: maxWrongTokenSources,
		Window: WrongTokenWindow, Clock: clock}
	if h.log == nil {
		h.log = slog.New(slog.DiscardHandler)
	}
	if h.maxBody <= 0 {
		h.maxBody = DefaultMaxBodyBytes
	}
	if h.heartbeat <= 0 {
		h.heartbeat = DefaultHeartbeat
	}

	h.api.Handle("POST /api/v1/payments", h.auth(h.start))
	h.api.Handle("GET /api/v1/payments", h.auth(h.searchPayments))
	h.api.Handle("GET /api/v1/payments/{id}", h.auth(h.get))
	h.api.Handle("GET /api/v1/payments/{id}/events", h.auth(h.events))
	h.api.Handle("POST /api/v1/payments/{id}/retry", h.auth(h.retry))
	h.api.Handle("POST /api/v1/payments/{id}/cancel", h.auth(h.cancel))
	h.api.Handle("GET /healthz", h.auth(h.healthz))
	h.api.Handle("GET /api/v1/openapi.json", h.auth(h.openapi))
	if s.Metrics != nil {
		h.api.Handle("GET /metrics", h.auth(s.Metrics.ServeHTTP))
	}

	for pattern, eh := range s.Extra {
		if inAPI(patternPath(pattern)) {
			h.api.Handle(pattern, eh)
		} else {
			h.extra.Handle(pattern, eh)
		}
	}
	return h
}

// handler is the immutable state behind Server.Handler.
type handler struct {
	payments  Payments
	search    Searcher
	health    HealthFunc
	tokenSum  *[sha256.Size]byte
	failures  *plugin.Failures // wrong tokens, by source
	log       *slog.Logger
	maxBody   int64
	heartbeat time.Duration
	api       *http.ServeMux // the API and any Extra route under it
	extra     *http.ServeMux // everything else

	rules      rules
	limits     Limits
	streams    map[string]bool // patterns of event streams
	pageStream map[string]bool // those of them only a page's EventSource opens (Server.Streams)
	slots      *streamSlots    // the API's event streams
	pageSlots  *streamSlots    // the kiosk page's streams, counted apart
}

// inAPI reports whether a path belongs to the API's space, where unknown
// routes get JSON errors and the token is checked.
func inAPI(path string) bool {
	return path == "/healthz" || path == "/metrics" || path == "/api" || strings.HasPrefix(path, "/api/")
}

// patternPath returns the path part of a ServeMux pattern
// "[METHOD ][HOST]/[PATH]".
func patternPath(pattern string) string {
	if i := strings.IndexAny(pattern, " \t"); i >= 0 {
		pattern = strings.TrimLeft(pattern[i:], " \t")
	}
	if i := strings.IndexByte(pattern, '/'); i >= 0 {
		return pattern[i:]
	}
	return pattern
}

func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	rec := &recorder{ResponseWriter: w, write: h.limits.Write}
	begin := time.Now()
	defer func() {
		if v := recover(); v != nil {
			if v == http.ErrAbortHandler {
				panic(v)
			}
			h.log.Error("till api: handler panic", "method", r.Method, "path", plugin.Clip(r.URL.Path),
				"panic", fmt.Sprint(v), "stack", string(debug.Stack()))
			if rec.status == 0 {
				writeError(rec, http.StatusInternalServerError, plugin.EInternal, "internal error")
			}
		}
		h.logRequest(r, rec, time.Since(begin))
	}()

	mux := h.extra
	if inAPI(r.URL.Path) {
		mux = h.api
	}
	_, pattern := mux.Handler(r)
	if gerr := h.rules.guard(r, mux == h.extra && !h.streams[pattern]); gerr != nil {
		// The connection of a refused request is not kept for another.
		rec.Header().Set("Connection", "close")
		writeError(rec, gerr.status, gerr.code, gerr.message)
		return
	}
	if hasBody(r) {
		r.Body = h.bodyDeadline(rec, r.Body)
	}
	if pattern == "" && h.unrouted(mux, rec, r) {
		return
	}
	if h.pageStream[pattern] && !strings.Contains(r.Header.Get("Accept"), "text/event-stream") {
		// The page's EventSource says so; a frame or a window another page
		// opens on the stream (to hold a place) does not.
		rec.Header().Set("Connection", "close")
		writeError(rec, http.StatusNotAcceptable, "not_an_event_stream",
			"this route is the kiosk page's event stream: open it with EventSource (Accept: text/event-stream)")
		return
	}
	if h.streams[pattern] {
		slots, which := h.slots, "till API event streams"
		if h.pageStream[pattern] {
			slots, which = h.pageSlots, "kiosk page event streams"
		}
		peer := peerKey(peerOf(r.RemoteAddr))
		if !slots.take(peer) {
			rec.Header().Set("Retry-After", "5")
			writeError(rec, http.StatusTooManyRequests, "too_many_streams", fmt.Sprintf(
				"too many %s are open (at most %d in all, %d from one address): close one before opening another",
				which, h.limits.Streams, h.limits.StreamsPerPeer))
			return
		}
		defer slots.give(peer)
		rec.stream = true
	}
	mux.ServeHTTP(rec, r)
}

// unrouted answers a request no pattern matches with a JSON 404 or 405 and
// reports true; it reports false for anything else ServeMux would do
// (a redirect to the cleaned path), which the caller then serves.
func (h *handler) unrouted(mux *http.ServeMux, w http.ResponseWriter, r *http.Request) bool {
	probe := &probeWriter{header: http.Header{}}
	mh, _ := mux.Handler(r)
	mh.ServeHTTP(probe, r)
	switch probe.status {
	case http.StatusNotFound:
		if mux == h.api && !h.authorized(w, r) {
			return true
		}
		w.Header().Set("Connection", "close") // a wrong URL does not keep a connection
		writeError(w, http.StatusNotFound, plugin.ENotFound,
			fmt.Sprintf("no such route: %s %s; the till API is under /api/v1/payments", plugin.Clip(r.Method), plugin.Clip(r.URL.Path)))
		return true
	case http.StatusMethodNotAllowed:
		if mux == h.api && !h.authorized(w, r) {
			return true
		}
		allow := probe.header.Get("Allow")
		w.Header().Set("Allow", allow)
		w.Header().Set("Connection", "close")
		writeError(w, http.StatusMethodNotAllowed, "method_not_allowed",
			fmt.Sprintf("method %s is not allowed on %s; allowed: %s", plugin.Clip(r.Method), plugin.Clip(r.URL.Path), allow))
		return true
	}
	return false
}

// auth wraps an API handler with the bearer token check.
func (h *handler) auth(next http.HandlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if h.authorized(w, r) {
			next(w, r)
		}
	})
}

// Wrong bearer tokens: after MaxWrongTokens from one source (every
// loopback address being one, plugin.SourceOf) within WrongTokenWindow, or
// MaxWrongTokensTotal from all, every request with a token is refused
// (429 too_many_attempts) until the window ends.
const (
	MaxWrongTokens       = 10
	MaxWrongTokensTotal  = 100
	WrongTokenWindow     = 10 * time.Minute
	maxWrongTokenSources = 1024
)

// authorized checks the bearer token, answering 401 and reporting false when
// it is missing or wrong, 429 when it is wrong and too many wrong ones came
// from the same source or from all. The right token always passes: a
// process sending wrong tokens must not lock the till out of its payments
// (api.token is long enough that guessing it online is hopeless; the limit
// keeps the flood short and visible). The comparison is of SHA-256 sums,
// so it takes the same time whatever the length of the token sent.
func (h *handler) authorized(w http.ResponseWriter, r *http.Request) bool {
	if h.tokenSum == nil {
		return true
	}
	got, ok := bearer(r.Header.Get("Authorization"))
	src := plugin.SourceOf(r.RemoteAddr)
	if ok {
		sum := sha256.Sum256([]byte(got))
		if subtle.ConstantTimeCompare(sum[:], h.tokenSum[:]) == 1 {
			trust(r) // the till's connection: kept before others when the caps are reached
			return true
		}
		if wait, blocked := h.failures.Blocked(src); blocked {
			secs := int((wait + time.Second - 1) / time.Second)
			w.Header().Set("Retry-After", strconv.Itoa(secs))
			w.Header().Set("Connection", "close")
			writeError(w, http.StatusTooManyRequests, "too_many_attempts", fmt.Sprintf(
				"too many wrong tokens (at most %d from one address, every loopback address counting as one, or %d from all in %s): try again in %d s",
				MaxWrongTokens, MaxWrongTokensTotal, WrongTokenWindow, secs))
			return false
		}
		h.failures.Fail(src)
	}
	w.Header().Set("WWW-Authenticate", "Bearer")
	w.Header().Set("Connection", "close") // no token, no connection kept for the next try
	msg := "this API requires the header Authorization: Bearer <api.token>"
	if ok {
		msg = "the bearer token is wrong: send the api.token configured for this sbpd"
	}
	writeError(w, http.StatusUnauthorized, plugin.EUnauthorized, msg)
	return false
}

// bearer extracts the token of an "Authorization: Bearer <token>" header.
func bearer(header string) (string, bool) {
	scheme, token, ok := strings.Cut(strings.TrimSpace(header), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return "", false
	}
	token = strings.TrimSpace(token)
	return token, token != ""
}

// logRequest logs one request at debug level. Headers are never logged:
// the Authorization header carries the token.
func (h *handler) logRequest(r *http.Request, rec *recorder, d time.Duration) {
	if !h.log.Enabled(r.Context(), slog.LevelDebug) {
		return
	}
	status := rec.status
	if status == 0 {
		status = http.StatusOK
	}
	attrs := []slog.Attr{
		slog.String("method", plugin.Clip(r.Method)),
		slog.String("path", plugin.Clip(r.URL.Path)),
		slog.Int("status", status),
		slog.Duration("duration", d),
	}
	id := rec.paymentID
	if id == "" {
		id = r.PathValue("id")
	}
	if id != "" {
		attrs = append(attrs, slog.String("payment_id", plugin.Clip(id)))
	}
	if rec.checkID != "" {
		attrs = append(attrs, slog.String("check_id", rec.checkID))
	}
	if rec.errCode != "" {
		attrs = append(attrs, slog.String("error", rec.errCode))
	}
	h.log.LogAttrs(r.Context(), slog.LevelDebug, "till api request", attrs...)
}

// writeJSON writes v as the JSON body with status.
func writeJSON(w http.ResponseWriter, status int, v any) {
	body, err := marshal(v)
	if err != nil {
		// Only a programming error gets here: every value sent is plain data.
		status = http.StatusInternalServerError
		body = []byte(`{"error":{"code":"` + plugin.EInternal + `","message":"internal error"}}`)
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	w.Write(append(body, '\n'))
}

// marshal is json.Marshal without HTML escaping, so QR links keep their "&".
func marshal(v any) ([]byte, error) {
	var b strings.Builder
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return []byte(strings.TrimSuffix(b.String(), "\n")), nil
}

// decorated returns a decorated copy of p.
func decorated(p plugin.Payment) plugin.Payment {
	p.Decorate()
	return p
}

// recorder notes what a handler answered, for the request log; it adds the
// security headers every answer carries and sets the write deadlines.
type recorder struct {
	http.ResponseWriter
	status    int
	paymentID string
	checkID   string
	errCode   string

	write   time.Duration // Limits.Write
	stream  bool          // an event stream: every write gets its own deadline
	started bool
}

// start runs once, before the first byte of the answer: the security
// headers, and the write deadline of an answer that is not a stream.
func (r *recorder) start() {
	if r.started {
		return
	}
	r.started = true
	secureHeaders(r.Header())
	if !r.stream {
		r.deadline()
	}
}

// deadline gives the next writes Limits.Write to complete.
func (r *recorder) deadline() {
	if r.write > 0 {
		_ = http.NewResponseController(r.ResponseWriter).SetWriteDeadline(time.Now().Add(r.write))
	}
}

func (r *recorder) WriteHeader(code int) {
	r.start()
	if r.status == 0 && code >= 200 {
		r.status = code
	}
	r.ResponseWriter.WriteHeader(code)
}

func (r *recorder) Write(b []byte) (int, error) {
	r.start()
	if r.stream {
		r.deadline()
	}
	if r.status == 0 {
		r.status = http.StatusOK
	}
	return r.ResponseWriter.Write(b)
}

// Flush makes the recorder an http.Flusher for the event stream.
func (r *recorder) Flush() {
	r.start()
	if r.stream {
		r.deadline()
	}
	if r.status == 0 {
		r.status = http.StatusOK
	}
	http.NewResponseController(r.ResponseWriter).Flush()
}

// FlushError is Flush for http.ResponseController, with the error.
func (r *recorder) FlushError() error {
	r.start()
	if r.stream {
		r.deadline()
	}
	if r.status == 0 {
		r.status = http.StatusOK
	}
	return http.NewResponseController(r.ResponseWriter).Flush()
}

// Unwrap lets http.ResponseController reach the connection's writer.
func (r *recorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }

// notePayment records the payment a request is about, for the request log;
// checkID may be empty while the payment is not yet found.
func notePayment(w http.ResponseWriter, id, checkID string) {
	if rec, ok := w.(*recorder); ok {
		rec.paymentID, rec.checkID = id, checkID
	}
}

// probeWriter captures what ServeMux's own 404/405 handler would answer.
type probeWriter struct {
	header http.Header
	status int
}

func (p *probeWriter) Header() http.Header { return p.header }
func (p *probeWriter) WriteHeader(code int) {
	if p.status == 0 {
		p.status = code
	}
}
func (p *probeWriter) Write(b []byte) (int, error) {
	if p.status == 0 {
		p.status = http.StatusOK
	}
	return len(b), nil
}

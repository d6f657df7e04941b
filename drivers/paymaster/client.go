package paymaster

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/hashicorp/go-retryablehttp"

	"github.com/sbpd/sbpd/plugin"
)

// Defaults applied by New to zero Config fields.
const (
	DefaultTimeout      = 10 * time.Second
	DefaultRetryMax     = 3
	DefaultRetryWaitMin = 200 * time.Millisecond
	DefaultRetryWaitMax = 5 * time.Second
	DefaultUserAgent    = "sbpd-paymaster/1"

	// FindWindow is how far either side of the given time FindPayment
	// looks for a payment.
	FindWindow = 10 * time.Minute

	maxBody      = 4 << 20 // the most of an answer that is read
	maxListPages = 1000
)

// Config configures a Gateway. Zero durations and counts take the defaults
// above.
type Config struct {
	BaseURL    string // e.g. https://paymaster.ru; the /api/v2/... paths are appended
	MerchantID string
	Token      string // the bearer token; never logged
	TestMode   bool   // sent as testMode on every create

	Timeout      time.Duration // per try; default 10s
	RetryMax     int           // retries after the first try; default 3, negative means none
	RetryWaitMin time.Duration // default 200ms
	RetryWaitMax time.Duration // default 5s

	Logger    *slog.Logger // nil discards
	UserAgent string       // default DefaultUserAgent

	// Clock gives "now" for the lookup after a create with an unknown
	// outcome. nil means plugin.RealClock{}.
	Clock plugin.Clock
}

// Gateway is the PayMaster client. It is safe for concurrent use.
type Gateway struct {
	cfg  Config
	base string // scheme://host[/prefix], no trailing slash
	http *http.Client
	log  *slog.Logger
	keys keyBook // create requests sent with each Idempotency-Key
}

var _ plugin.Gateway = (*Gateway)(nil)

// New checks cfg, fills in defaults and returns a Gateway. It does no I/O.
func New(cfg Config) (*Gateway, error) {
	base, err := url.Parse(strings.TrimSpace(cfg.BaseURL))
	switch {
	case cfg.BaseURL == "":
		return nil, errors.New("paymaster: config: base URL is required, e.g. https://paymaster.ru")
	case err != nil:
		return nil, fmt.Errorf("paymaster: config: base URL is not a URL: %w", err)
	case (base.Scheme != "http" && base.Scheme != "https") || base.Host == "":
		return nil, fmt.Errorf("paymaster: config: base URL %q must be an absolute http:// or https:// URL", base.Redacted())
	case base.User != nil:
		return nil, fmt.Errorf("paymaster: config: base URL %q must not carry credentials; set the token instead", base.Redacted())
	case base.RawQuery != "" || base.Fragment != "" || base.Opaque != "":
		return nil, fmt.Errorf("paymaster: config: base URL %q must not have a query or fragment", base.Redacted())
	case strings.TrimSpace(cfg.MerchantID) == "":
		return nil, errors.New("paymaster: config: merchant id is required (the site's GUID from the PayMaster cabinet)")
	case strings.TrimSpace(cfg.Token) == "":
		return nil, errors.New("paymaster: config: token is required (an API token from the PayMaster cabinet)")
	case strings.ContainsAny(cfg.Token, " \t\r\n"):
		return nil, errors.New("paymaster: config: token must not contain spaces or line breaks")
	case cfg.Timeout < 0 || cfg.RetryWaitMin < 0 || cfg.RetryWaitMax < 0:
		return nil, errors.New("paymaster: config: timeout and retry waits must not be negative")
	}
	if cfg.Timeout == 0 {
		cfg.Timeout = DefaultTimeout
	}
	switch {
	case cfg.RetryMax == 0:
		cfg.RetryMax = DefaultRetryMax
	case cfg.RetryMax < 0:
		cfg.RetryMax = 0
	}
	if cfg.RetryWaitMin == 0 {
		cfg.RetryWaitMin = DefaultRetryWaitMin
	}
	if cfg.RetryWaitMax == 0 {
		cfg.RetryWaitMax = max(DefaultRetryWaitMax, cfg.RetryWaitMin)
	}
	if cfg.RetryWaitMin > cfg.RetryWaitMax {
		return nil, fmt.Errorf("paymaster: config: retry wait min %s is above max %s", cfg.RetryWaitMin, cfg.RetryWaitMax)
	}
	if cfg.UserAgent == "" {
		cfg.UserAgent = DefaultUserAgent
	}
	if cfg.Clock == nil {
		cfg.Clock = plugin.RealClock{}
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	log = log.With("component", "paymaster")
	transport := http.DefaultTransport.(*http.Transport).Clone()
	return &Gateway{
		cfg:  cfg,
		base: strings.TrimRight(base.String(), "/"),
		log:  log,
		http: &http.Client{
			Transport: transport,
			Timeout:   cfg.Timeout,
			// A redirect is an answer like any other: following one
			// could drop the body of a POST or send it elsewhere.
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		},
	}, nil
}

// reply is what came back from one call, after retries.
type reply struct {
	status int
	body   []byte
	date   string // the Date header, for Ping's clock check
	tries  int
}

// call sends one logical request with retries and returns the last answer.
// err is non-nil only when no answer came (transport failure or a
// cancelled context); a 5xx after the last retry is returned as a reply.
// idemKey, when set, goes into Idempotency-Key and makes a POST resendable.
func (g *Gateway) call(ctx context.Context, method, path string, query url.Values, body []byte, idemKey string) (reply, error) {
	r, _, err := g.send(ctx, method, path, query, body, idemKey, g.cfg.RetryMax)
	return r, err
}

// send is call with the number of retries given, and it also returns how
// many tries went out, answered or not.
func (g *Gateway) send(ctx context.Context, method, path string, query url.Values, body []byte, idemKey string, retryMax int) (reply, int, error) {
	req, err := g.newRequest(ctx, method, path, query, body, idemKey)
	if err != nil {
		return reply{}, 0, err
	}
	at := &attempts{}
	rc := g.retryClient(method, path, method != http.MethodPost || idemKey != "", retryMax, at)
	// Reading the body inside the loop makes a connection lost mid-body
	// a retryable transport error rather than a garbled answer.
	req.SetResponseHandler(at.read)

	start := time.Now()
	resp, err := rc.Do(req)
	elapsed := time.Since(start).Round(time.Millisecond)
	if err != nil {
		if resp != nil {
			resp.Body.Close()
		}
		if ctxErr := ctx.Err(); ctxErr != nil && !errors.Is(err, ctxErr) {
			err = fmt.Errorf("%w (%v)", ctxErr, err)
		}
		g.log.WarnContext(ctx, "paymaster: request failed", "method", method, "path", path, "tries", at.tries, "elapsed", elapsed, "error", err)
		return reply{}, at.tries, fmt.Errorf("paymaster: %s %s: no answer after %s: %w", method, path, plural(at.tries, "try", "tries"), err)
	}
	got := at.got
	if got == nil || resp.StatusCode != got.status {
		// Retries ran out on a 5xx or 429: the handler did not run.
		b, _ := io.ReadAll(io.LimitReader(resp.Body, maxBody))
		resp.Body.Close()
		got = &reply{status: resp.StatusCode, body: b, date: resp.Header.Get("Date")}
	}
	got.tries = at.tries
	lvl := slog.LevelDebug
	if got.status >= 400 {
		lvl = slog.LevelWarn
	}
	g.log.Log(ctx, lvl, "paymaster: answer", "method", method, "path", path, "status", got.status, "tries", at.tries, "elapsed", elapsed)
	return *got, at.tries, nil
}

// newRequest builds one request with the token, the idempotency key and
// the JSON body, if any.
func (g *Gateway) newRequest(ctx context.Context, method, path string, query url.Values, body []byte, idemKey string) (*retryablehttp.Request, error) {
	u := g.base + path // path is already escaped
	if len(query) > 0 {
		u += "?" + query.Encode()
	}
	var raw any
	if body != nil {
		raw = body // retryablehttp rewinds a []byte body for every try
	}
	req, err := retryablehttp.NewRequestWithContext(ctx, method, u, raw)
	if err != nil {
		return nil, fmt.Errorf("paymaster: build %s %s: %w", method, path, err)
	}
	req.Header.Set("Authorization", "Bearer "+g.cfg.Token)
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", g.cfg.UserAgent)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if idemKey != "" {
		req.Header.Set("Idempotency-Key", idemKey)
	}
	return req, nil
}

// attempts follows one call's tries: how many, and the body of the last
// final answer, read inside the retry loop.
type attempts struct {
	tries int
	got   *reply
}

// read is the response handler: it reads the answer's body in full.
func (a *attempts) read(resp *http.Response) error {
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, maxBody))
	if err != nil {
		return fmt.Errorf("read answer: %w", err)
	}
	a.got = &reply{status: resp.StatusCode, body: b, date: resp.Header.Get("Date")}
	return nil
}

// retryClient is the retry loop of one call; resend says whether the
// request may be sent again (see RetryPolicy).
func (g *Gateway) retryClient(method, path string, resend bool, retryMax int, at *attempts) *retryablehttp.Client {
	return &retryablehttp.Client{
		HTTPClient:   g.http,
		Logger:       nil, // its own logger would print too much; see RequestLogHook
		RetryWaitMin: g.cfg.RetryWaitMin,
		RetryWaitMax: g.cfg.RetryWaitMax,
		RetryMax:     retryMax,
		CheckRetry: func(ctx context.Context, resp *http.Response, err error) (bool, error) {
			return RetryPolicy(ctx, resend, resp, err)
		},
		Backoff:      Backoff,
		ErrorHandler: retryablehttp.PassthroughErrorHandler,
		RequestLogHook: func(_ retryablehttp.Logger, r *http.Request, attempt int) {
			at.tries = attempt + 1
			at.got = nil
			if attempt > 0 {
				g.log.DebugContext(r.Context(), "paymaster: retrying", "method", method, "path", path, "attempt", attempt+1)
			}
		},
	}
}

// httpError maps an error answer to a *plugin.Error wrapping an *APIError.
// The body's code is preferred over the HTTP status (PayMaster documents
// the codes, not the statuses): one of the documented codes is a refusal
// (ERejected) with that code as the reason, whatever the status, even a
// 2xx. Any other code is kept as the reason, and the status then says
// whether the outcome is known. Without a code the status speaks: 401 and
// 403 are not_authorized; a 404 is ENotFound for calls about one payment,
// and for create and list means the URL is wrong and is a refusal.
func (g *Gateway) httpError(op string, r reply, onePayment bool) *plugin.Error {
	apiErr := decodeAPIError(r.status, r.body, g.cfg.Token)
	e := &plugin.Error{Code: plugin.ERejected, Reason: apiErr.Code, Err: apiErr}
	switch {
	case apiErr.Code == plugin.GatewayNotAuthorized:
		e.Message = "PayMaster refused the credentials: check the token and merchant id"
	case documentedCodes[apiErr.Code]:
		e.Message = "PayMaster refused the request"
	case r.status == http.StatusUnauthorized || r.status == http.StatusForbidden:
		if e.Reason == "" {
			e.Reason = plugin.GatewayNotAuthorized
		}
		e.Message = "PayMaster refused the credentials: check the token and merchant id"
	case r.status == http.StatusNotFound && !onePayment:
		if e.Reason == "" {
			e.Reason = plugin.GatewayNotFound
		}
		e.Message = "PayMaster answered 404: check the base URL"
	case r.status == http.StatusNotFound:
		e.Code = plugin.ENotFound
		if e.Reason == "" {
			e.Reason = plugin.GatewayNotFound
		}
		e.Message = "PayMaster has no such payment"
	case r.status >= 500 || r.status == http.StatusTooManyRequests:
		e.Code = plugin.EUnavailable
		if e.Reason == "" {
			e.Reason = "server_error"
		}
		e.Message = "PayMaster is unavailable"
	default:
		if e.Reason == "" {
			e.Reason = fmt.Sprintf("http_%d", r.status)
		}
		e.Message = "PayMaster refused the request"
	}
	e.Message = op + ": " + e.Message
	return e
}

// unavailable wraps a transport failure or an unreadable answer.
func unavailable(op, reason string, err error) *plugin.Error {
	return &plugin.Error{Code: plugin.EUnavailable, Reason: reason, Message: op + ": PayMaster is unavailable", Err: err}
}

func ok2xx(status int) bool { return status >= 200 && status < 300 }

func paymentPath(id string) string { return "/api/v2/payments/" + url.PathEscape(id) }

func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}

package notify

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/sbpd/sbpd/plugin"
)

// Request headers.
const (
	HeaderDeliveryID = "X-Sbpd-Delivery-Id"
	HeaderSignature  = "X-Sbpd-Signature"
	HeaderTimestamp  = "X-Sbpd-Timestamp"
)

// Defaults.
const (
	DefaultMaxAttempts = 50
	DefaultPoll        = 2 * time.Second
	DefaultTimeout     = 15 * time.Second
	backoffFirst       = 5 * time.Second
	backoffMax         = time.Hour
)

// DefaultTolerance is how far X-Sbpd-Timestamp may be from the receiver's
// clock, either way, for Verify to accept a request.
const DefaultTolerance = 5 * time.Minute

// Delivery is one notification to send: a final payment and its stable
// delivery id (ID, "<payment id>:<state>"), with the failed tries so far
// (Attempts). The journal's outbox (drivers/sqlite) hands them out as they
// are, so it is a Queue itself.
type Delivery = plugin.DueDelivery

// Queue is what Deliverer needs from the durable outbox.
type Queue interface {
	// Due returns up to limit pending deliveries due at now, oldest first.
	Due(ctx context.Context, now time.Time, limit int) ([]Delivery, error)
	// NextDue returns when the next pending delivery is due, ok false if none.
	NextDue(ctx context.Context) (at time.Time, ok bool, err error)
	// MarkDelivered records that the receiver accepted delivery id.
	MarkDelivered(ctx context.Context, id string, at time.Time) error
	// MarkFailed records a failed try: next try at nextAt, or never if exhausted.
	MarkFailed(ctx context.Context, id, reason string, nextAt time.Time, exhausted bool) error
}

// Deliverer sends the outbox to the accounting system.
type Deliverer struct {
	URL         string
	Secret      string
	MaxAttempts int // default 50
	Queue       Queue
	Clock       plugin.Clock // default the wall clock
	HTTP        *http.Client // default: a client with DefaultTimeout
	Logger      *slog.Logger // optional
	// Backoff is the wait after the attempt-th failed try (1, 2, …);
	// default Backoff.
	Backoff func(attempt int) time.Duration
	// Poll is how often the queue is looked at when nothing is due, to
	// notice deliveries queued by another process (a resync from the CLI).
	// Kick wakes the loop at once. Default DefaultPoll.
	Poll time.Duration
	// Outcome, if set, hears of every attempt's outcome: plugin.NotifyDelivered,
	// NotifyFailed (to be retried) or NotifyGaveUp (metrics). It must not block.
	Outcome func(outcome string)

	kickOnce sync.Once
	kick     chan struct{}
}

// Backoff is the default wait after the attempt-th failed try: 5 s,
// doubling, at most 1 h.
func Backoff(attempt int) time.Duration {
	d := backoffFirst
	for i := 1; i < attempt && d < backoffMax; i++ {
		d *= 2
	}
	return min(d, backoffMax)
}

func (d *Deliverer) init() {
	d.kickOnce.Do(func() { d.kick = make(chan struct{}, 1) })
}

// Kick wakes Run to look at the queue now, e.g. after a payment became
// final. It never blocks.
func (d *Deliverer) Kick() {
	d.init()
	select {
	case d.kick <- struct{}{}:
	default:
	}
}

func (d *Deliverer) log() *slog.Logger {
	if d.Logger == nil {
		return slog.New(slog.DiscardHandler)
	}
	return d.Logger
}

func (d *Deliverer) clock() plugin.Clock {
	if d.Clock == nil {
		return plugin.RealClock{}
	}
	return d.Clock
}

func (d *Deliverer) maxAttempts() int {
	if d.MaxAttempts <= 0 {
		return DefaultMaxAttempts
	}
	return d.MaxAttempts
}

// Run delivers until ctx ends, then returns nil. It checks the URL first.
func (d *Deliverer) Run(ctx context.Context) error {
	if err := d.check(); err != nil {
		return err
	}
	d.init()
	poll := d.Poll
	if poll <= 0 {
		poll = DefaultPoll
	}
	for {
		d.Flush(ctx)
		if ctx.Err() != nil {
			return nil
		}
		wait := poll
		if at, ok, err := d.Queue.NextDue(ctx); err != nil {
			d.log().Warn("notify: cannot read the outbox", "error", err)
		} else if ok {
			wait = min(max(at.Sub(d.clock().Now()), 0), poll)
		}
		t := d.clock().NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil
		case <-d.kick:
			t.Stop()
		case <-t.Chan():
		}
	}
}

// Start checks the URL, then delivers in the background until stop is
// called; stop returns once the delivery in progress has ended. A URL
// that cannot be delivered to is refused at once.
func (d *Deliverer) Start(ctx context.Context) (stop func(), err error) {
	if err := d.check(); err != nil {
		return nil, err
	}
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		d.Run(ctx)
	}()
	return func() {
		cancel()
		<-done
	}, nil
}

// StartIfSet is Start as the daemon runs it: without a URL it does
// nothing (the queue still fills, and is sent once a URL is set);
// otherwise it logs that delivery runs, with a warning first when the
// requests go unsigned (no Secret).
func (d *Deliverer) StartIfSet(ctx context.Context) (stop func(), err error) {
	if d.URL == "" {
		return func() {}, nil
	}
	if d.Secret == "" {
		d.log().Warn("notify.secret is empty: notifications to the accounting system are not signed")
	}
	if stop, err = d.Start(ctx); err != nil {
		return nil, err
	}
	d.log().Info("notify: delivering final payments to the accounting system", "max_attempts", d.MaxAttempts)
	return stop, nil
}

func (d *Deliverer) check() error {
	if d.Queue == nil {
		return errors.New("notify: no queue")
	}
	u, err := url.Parse(d.URL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("notify.url %q: must be an absolute http(s) URL", plugin.RedactURL(d.URL))
	}
	return nil
}

// Flush sends every delivery due now, once each, and returns how many the
// receiver accepted.
func (d *Deliverer) Flush(ctx context.Context) int {
	accepted := 0
	tried := map[string]bool{} // one try each, even if recording it failed
	for ctx.Err() == nil {
		due, err := d.Queue.Due(ctx, d.clock().Now(), 20+len(tried))
		if err != nil {
			d.log().Warn("notify: cannot read the outbox", "error", err)
			return accepted
		}
		fresh := 0
		for _, dl := range due {
			if ctx.Err() != nil {
				return accepted
			}
			if tried[dl.ID] {
				continue
			}
			tried[dl.ID] = true
			fresh++
			if d.deliver(ctx, dl) {
				accepted++
			}
		}
		if fresh == 0 {
			return accepted
		}
	}
	return accepted
}

// deliver makes one attempt and records its outcome.
func (d *Deliverer) deliver(ctx context.Context, dl Delivery) bool {
	log := d.log().With("delivery_id", dl.ID, "payment_id", dl.Payment.ID, "check_id", dl.Payment.CheckID, "state", string(dl.Payment.State))
	err := d.send(ctx, dl)
	if err != nil && ctx.Err() != nil {
		return false // stopped mid-attempt: it does not count, it is tried again
	}
	now := d.clock().Now()
	if err == nil { // accepted: recorded even if stopped just after, never sent again
		if err := d.Queue.MarkDelivered(context.WithoutCancel(ctx), dl.ID, now); err != nil {
			log.Error("notify: delivered, but cannot record it; it will be sent again", "error", err)
			return true
		}
		log.Info("notify: delivered", "attempt", dl.Attempts+1)
		d.outcome(plugin.NotifyDelivered)
		return true
	}
	attempt := dl.Attempts + 1
	reason := d.scrub(err.Error())
	exhausted := attempt >= d.maxAttempts()
	backoff := Backoff
	if d.Backoff != nil {
		backoff = d.Backoff
	}
	next := now.Add(backoff(attempt))
	if exhausted {
		next = now
	}
	if err := d.Queue.MarkFailed(context.WithoutCancel(ctx), dl.ID, reason, next, exhausted); err != nil {
		log.Error("notify: cannot record a failed delivery", "error", err)
		return false
	}
	if exhausted {
		d.outcome(plugin.NotifyGaveUp)
	} else {
		d.outcome(plugin.NotifyFailed)
	}
	switch {
	case exhausted && dl.Payment.State == plugin.StatePaid:
		log.Error("notify: giving up: the payment is paid but the accounting system was not notified; fix the receiver, then run sbpd journal resync",
			"attempts", attempt, "error", reason)
	case exhausted:
		log.Error("notify: giving up", "attempts", attempt, "error", reason)
	default:
		log.Warn("notify: delivery failed; will retry", "attempt", attempt, "max_attempts", d.maxAttempts(),
			"next_at", next.UTC(), "error", reason)
	}
	return false
}

func (d *Deliverer) outcome(o string) {
	if d.Outcome != nil {
		d.Outcome(o)
	}
}

// Body returns the request body of a delivery: the till API's payment
// object, decorated, with delivery_id.
func Body(dl Delivery) ([]byte, error) {
	p := dl.Payment
	p.Decorate()
	return json.Marshal(struct {
		DeliveryID string `json:"delivery_id"`
		plugin.Payment
	}{dl.ID, p})
}

func (d *Deliverer) send(ctx context.Context, dl Delivery) error {
	body, err := Body(dl)
	if err != nil {
		return fmt.Errorf("encode payment: %w", err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, d.URL, bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("build request for %s: %s", plugin.RedactURL(d.URL), d.scrub(urlErr(err).Error()))
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "sbpd-notify")
	req.Header.Set(HeaderDeliveryID, dl.ID)
	// The timestamp is signed with the body, so a captured request is
	// refused once it is older than the receiver's tolerance; each
	// attempt is signed afresh.
	ts, sig := Sign(d.Secret, d.clock().Now(), body)
	req.Header.Set(HeaderTimestamp, ts)
	if d.Secret != "" {
		req.Header.Set(HeaderSignature, sig)
	}
	resp, err := d.client().Do(req)
	if err != nil {
		return fmt.Errorf("POST %s: %v", plugin.RedactURL(d.URL), urlErr(err))
	}
	defer resp.Body.Close()
	snippet, _ := io.ReadAll(io.LimitReader(resp.Body, 200))
	io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<16))
	if resp.StatusCode/100 == 2 {
		return nil
	}
	if resp.StatusCode/100 == 3 {
		return redirectRefused(resp)
	}
	msg := fmt.Sprintf("POST %s: HTTP %d", plugin.RedactURL(d.URL), resp.StatusCode)
	if s := strings.TrimSpace(string(snippet)); s != "" {
		msg += ": " + strings.Join(strings.Fields(s), " ")
	}
	return errors.New(msg)
}

// urlErr is err without the URL a *url.Error repeats in its message: the
// URL may hold credentials and a token in its query.
func urlErr(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}

// client is the HTTP client of an attempt: d.HTTP or a default one, made
// never to follow a redirect. A followed redirect would send the signed
// body and its signature to wherever the receiver points (307, 308), or
// turn the POST into a bodiless GET (301, 302, 303) whose 2xx would count
// as delivery though the accounting system never got the payment.
func (d *Deliverer) client() *http.Client {
	c := http.Client{Timeout: DefaultTimeout}
	if d.HTTP != nil {
		c = *d.HTTP
	}
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return &c
}

// redirectRefused is the failed attempt of a 3xx answer. It names only the
// scheme and host of the Location: its user, password, path and query may
// hold secrets.
func redirectRefused(resp *http.Response) error {
	to := "(no Location)"
	if u, err := resp.Location(); err == nil && u.Host != "" {
		to = "to " + u.Scheme + "://" + u.Host
	} else if resp.Header.Get("Location") != "" {
		to = "(unparsable Location)"
	}
	return fmt.Errorf("redirect %d %s refused: sbpd does not follow redirects; set notify.url to the final address",
		resp.StatusCode, to)
}

// scrub removes the secret and the secret parts of the URL (its password
// or user, its query's values: plugin.URLSecrets) from a message, should
// a receiver or an error echo them.
func (d *Deliverer) scrub(s string) string {
	return plugin.Redact(s, append(plugin.URLSecrets(d.URL), d.Secret)...)
}

// Sign returns the X-Sbpd-Timestamp and X-Sbpd-Signature values of a
// request made at at with body: timestamp is at in Unix seconds (decimal),
// signature is "v1=" and the lower-case hex HMAC-SHA256, keyed with secret,
// of timestamp, a dot and the exact body bytes.
func Sign(secret string, at time.Time, body []byte) (timestamp, signature string) {
	timestamp = strconv.FormatInt(at.Unix(), 10)
	return timestamp, signaturePrefix + hex.EncodeToString(mac(secret, timestamp, body))
}

// Verify checks a request as a receiver should, on the raw body before
// parsing it: signature (X-Sbpd-Signature) must be Sign's for timestamp
// (X-Sbpd-Timestamp) and body with secret, compared in constant time, and
// timestamp must lie within tolerance of now, before or after (a
// tolerance of 0 or less means DefaultTolerance). It returns nil if the
// request is genuine and fresh, else an error saying why not.
func Verify(secret string, body []byte, timestamp, signature string, now time.Time, tolerance time.Duration) error {
	if secret == "" {
		return errors.New("notify: no secret to verify with")
	}
	hexSig, ok := strings.CutPrefix(strings.TrimSpace(signature), signaturePrefix)
	if !ok {
		return fmt.Errorf("notify: signature must start with %q", signaturePrefix)
	}
	got, err := hex.DecodeString(hexSig)
	if err != nil || len(got) != sha256.Size {
		return errors.New("notify: signature is not 64 hex digits")
	}
	if timestamp == "" || len(timestamp) > 18 || strings.Trim(timestamp, "0123456789") != "" {
		return errors.New("notify: timestamp is not Unix seconds")
	}
	if !hmac.Equal(got, mac(secret, timestamp, body)) {
		return errors.New("notify: signature does not match the timestamp and body")
	}
	if tolerance <= 0 {
		tolerance = DefaultTolerance
	}
	sec, _ := strconv.ParseInt(timestamp, 10, 64) // at most 18 digits: fits
	if at := time.Unix(sec, 0); at.Before(now.Add(-tolerance)) || at.After(now.Add(tolerance)) {
		return fmt.Errorf("notify: timestamp %s (%s) is outside the tolerance of %s around now (%s): a replay, or a clock is wrong",
			timestamp, at.UTC().Format(time.RFC3339), tolerance, now.UTC().Format(time.RFC3339))
	}
	return nil
}

const signaturePrefix = "v1="

// mac is the HMAC-SHA256 of timestamp "." body keyed with secret.
func mac(secret, timestamp string, body []byte) []byte {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(timestamp))
	m.Write([]byte{'.'})
	m.Write(body)
	return m.Sum(nil)
}

package probe

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/sbpd/sbpd/drivers/paymaster"
	"github.com/sbpd/sbpd/plugin"
)

// Config says which account to probe and where the transcript goes.
type Config struct {
	BaseURL    string // paymaster.base_url
	MerchantID string // paymaster.merchant_id
	Token      string // paymaster.token; never printed or recorded
	TillID     string // till.id: the order number's prefix; default "K01"
	// Timeout bounds each request, as paymaster.timeout does the driver's;
	// default paymaster.DefaultTimeout.
	Timeout   time.Duration
	UserAgent string       // default paymaster.DefaultUserAgent
	Clock     plugin.Clock // every wait and "now"; nil means plugin.RealClock{}
	// Out receives the transcript, one Exchange a JSON line, as the
	// exchanges happen; nil for none.
	Out io.Writer
}

// Keys are the kiosk's settings that Config is made of: a command checks
// them valid before it runs the probe.
var Keys = []string{"paymaster.base_url", "paymaster.merchant_id", "paymaster.token", "paymaster.timeout", "till.id"}

// Bound is how long the probe reads a payment back waiting for its QR link,
// and again for the outcome of its cancel; Waits are the pauses between
// those reads (they add up to Bound).
const Bound = 15 * time.Second

// Waits are the pauses between reads of a payment.
var Waits = []time.Duration{time.Second, 2 * time.Second, 3 * time.Second, 4 * time.Second, 5 * time.Second}

const maxListPages = 20

// Verdict is how an assumption fared.
type Verdict string

const (
	OK        Verdict = "OK"
	Differs   Verdict = "DIFFERS"
	Unchecked Verdict = "UNCHECKED" // an earlier step failed, so it could not be checked
)

// Result is one assumption's line.
type Result struct {
	ID         string  `json:"id"`
	Assumption string  `json:"assumption"`
	Verdict    Verdict `json:"verdict"`
	Seen       string  `json:"seen,omitempty"`
}

// Line is the result as printed: "OK  <assumption> (<seen>)",
// "DIFFERS  <assumption>: <seen>".
func (r Result) Line() string {
	seen := plugin.Printable(r.Seen)
	switch {
	case seen == "":
		return string(r.Verdict) + "  " + r.Assumption
	case r.Verdict == OK:
		return string(r.Verdict) + "  " + r.Assumption + " (" + seen + ")"
	}
	return string(r.Verdict) + "  " + r.Assumption + ": " + seen
}

// Report is the outcome of a run.
type Report struct {
	OrderNo   string
	Results   []Result
	Created   []string // ids of the payments the probe created: one, unless PayMaster differs
	Cancelled []string // those the probe cancelled (a 2xx to its cancel)
	Exchanges int      // requests sent
}

// OK reports whether every assumption holds.
func (r *Report) OK() bool { return len(r.Failed()) == 0 }

// Failed are the results that are not OK.
func (r *Report) Failed() []Result {
	var out []Result
	for _, x := range r.Results {
		if x.Verdict != OK {
			out = append(out, x)
		}
	}
	return out
}

// Result returns the result with this ID.
func (r *Report) Result(id string) (Result, bool) {
	for _, x := range r.Results {
		if x.ID == id {
			return x, true
		}
	}
	return Result{}, false
}

// Write prints one line per assumption.
func (r *Report) Write(w io.Writer) error {
	for _, x := range r.Results {
		if _, err := fmt.Fprintln(w, x.Line()); err != nil {
			return err
		}
	}
	return nil
}

// answer is what came back for one request.
type answer struct {
	status int
	header http.Header
	body   []byte
	err    error
}

func (a answer) ok() bool { return a.is2xx() && errorCode(a.body) == "" }

func (a answer) is2xx() bool { return a.err == nil && a.status >= 200 && a.status < 300 }

// errorCode is the code of a body that is an error with one of the
// documented codes, whatever the HTTP status, as the driver reads it
// (PayMaster's v1 API answered 200 to everything); "" otherwise.
func errorCode(body []byte) string {
	m, _ := decodeObject(body)
	if c, _ := m["code"].(string); slices.Contains(documentedCodes, c) {
		return c
	}
	return ""
}

// object decodes the answer as a JSON object, numbers kept as json.Number.
func (a answer) object() (map[string]any, bool) {
	m, ok := decodeObject(a.body)
	return m, ok && a.err == nil
}

func decodeObject(b []byte) (map[string]any, bool) {
	var m map[string]any
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	if err := dec.Decode(&m); err != nil || m == nil {
		return nil, false
	}
	return m, true
}

type prober struct {
	cfg    Config
	base   string
	client *http.Client
	clock  plugin.Clock
	red    redactor
	repl   *strings.Replacer
	outErr error

	orderNo string
	sent    map[string]any // the create body
	seconds []string       // fields besides invoice.orderNo that carry the order number
	results map[string]Result
	report  *Report
}

// Run probes the account: it creates one test payment of 1,00 ₽, reads it
// until its QR link shows, replays the create, finds it in the list,
// cancels it and reads it again, and sends one invalid request. Every
// payment it created is cancelled before it returns, whatever happened.
// The error is for what stopped the probe from running (bad settings, the
// transcript not written); PayMaster's answers are in the Report.
func Run(ctx context.Context, cfg Config) (*Report, error) {
	if _, err := paymaster.New(paymaster.Config{BaseURL: cfg.BaseURL, MerchantID: cfg.MerchantID, Token: cfg.Token}); err != nil {
		return nil, err
	}
	if cfg.TillID == "" {
		cfg.TillID = "K01"
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = paymaster.DefaultTimeout
	}
	if cfg.UserAgent == "" {
		cfg.UserAgent = paymaster.DefaultUserAgent
	}
	p := &prober{
		cfg:   cfg,
		base:  strings.TrimRight(strings.TrimSpace(cfg.BaseURL), "/"),
		clock: cfg.Clock,
		red:   newRedactor(cfg.Token),
		// The driver's client: TLS verified, a timeout per request, no
		// redirects followed.
		client: &http.Client{
			Transport:     http.DefaultTransport.(*http.Transport).Clone(),
			Timeout:       cfg.Timeout,
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		},
		results: map[string]Result{},
		report:  &Report{},
	}
	if p.clock == nil {
		p.clock = plugin.RealClock{}
	}
	defer p.client.CloseIdleConnections()

	now := p.clock.Now().UTC().Truncate(time.Second)
	p.orderNo = plugin.ProbeOrderNo(cfg.TillID, now) // reconcile knows it by plugin.ProbeOrderOf
	p.report.OrderNo = p.orderNo
	key := uuid.NewString()
	body, err := driverCreateBody(ctx, cfg.MerchantID, CreateRequest(cfg.TillID, p.orderNo, now, key))
	if err != nil {
		return nil, err
	}
	p.sent, _ = decodeObject(body)
	method, _ := lookup(p.sent, "paymentData.paymentMethod").(string)
	p.seconds = secondFields(p.sent, p.orderNo)
	p.repl = strings.NewReplacer("{method}", method, "{bound}", fmt.Sprintf("%d s", int(Bound/time.Second)))

	p.run(ctx, body, key)
	p.cleanup(ctx)

	for _, id := range Assumptions() {
		if id == ListSecond {
			for _, f := range p.seconds {
				p.collect(ListSecond + ":" + f)
			}
			continue
		}
		p.collect(id)
	}
	if p.outErr != nil {
		return p.report, fmt.Errorf("probe: write the transcript: %w", p.outErr)
	}
	return p.report, nil
}

func (p *prober) collect(id string) {
	r, ok := p.results[id]
	if !ok {
		r = Result{ID: id, Verdict: Unchecked, Seen: "not checked: the run was cut short"}
	}
	base, field, _ := strings.Cut(id, ":")
	r.Assumption = assumptionText(base, strings.NewReplacer("{field}", field))
	r.Assumption = p.repl.Replace(r.Assumption)
	r.Seen = p.red.string(r.Seen)
	p.report.Results = append(p.report.Results, r)
}

func (p *prober) set(id string, v Verdict, seen string, args ...any) {
	if len(args) > 0 {
		seen = fmt.Sprintf(seen, args...)
	}
	p.results[id] = Result{ID: id, Verdict: v, Seen: seen}
}

func (p *prober) ok(id string, seen string, args ...any) { p.set(id, OK, seen, args...) }
func (p *prober) differs(id string, seen string, args ...any) {
	p.set(id, Differs, seen, args...)
}

// unchecked marks every id not yet decided.
func (p *prober) unchecked(why string, ids ...string) {
	for _, id := range ids {
		if id == ListSecond {
			for _, f := range p.seconds {
				p.unchecked(why, ListSecond+":"+f)
			}
			continue
		}
		if _, done := p.results[id]; !done {
			p.set(id, Unchecked, why)
		}
	}
}

// after returns the assumption IDs that follow id in the table.
func after(id string) []string {
	ids := Assumptions()
	i := slices.Index(ids, id)
	return ids[i+1:]
}

// run is the sequence; it returns early when a step makes the rest
// meaningless, marking what it could not check.
func (p *prober) run(ctx context.Context, body []byte, key string) {
	// 1. A read-only call first: never create with a refused token.
	now := p.clock.Now().UTC()
	q := url.Values{"merchantId": {p.cfg.MerchantID}, "start": {fmtTime(now.Add(-time.Minute))}, "end": {fmtTime(now)}}
	a := p.do(ctx, "ping", http.MethodGet, "/api/v2/payments", q, nil, "")
	if !p.checkPing(a) {
		p.unchecked("not checked: the probe creates nothing until PayMaster answers and accepts the token", after(BaseURL)...)
		return
	}

	// 2. Create.
	a = p.do(ctx, "create", http.MethodPost, "/api/v2/payments", nil, body, key)
	pay, id := p.checkCreate(ctx, a)
	if id == "" {
		p.unchecked("not checked: no payment was created", after(Create)...)
		return
	}
	p.checkFresh(pay)
	statuses := []map[string]any{pay}

	// 3. Read it back until the QR link shows.
	link := str(pay, "confirmation.paymentUrl")
	var reads []answer
	last := p.readUntil(ctx, "get", id, func(a answer, m map[string]any) bool {
		reads = append(reads, a)
		if m != nil && a.ok() {
			statuses = append(statuses, m)
			if l := str(m, "confirmation.paymentUrl"); l != "" {
				link = l
			}
		}
		return link != ""
	})
	p.checkGet(id, reads)
	p.checkStatuses(statuses)
	p.checkLink(link, len(reads), last)

	// 4. Replay the create.
	a = p.do(ctx, "replay", http.MethodPost, "/api/v2/payments", nil, body, key)
	p.checkReplay(id, a)

	// 5. Find it in the list.
	p.checkList(ctx, id)

	// 6. Cancel it and read it until final.
	if st := str(last, "status"); last != nil && plugin.RemoteStatus(st).Final() {
		why := "not checked: the payment was already " + st + "/" + str(last, "resultCode") + " before the cancel"
		p.unchecked(why, Cancel, Cancelled)
	} else {
		a = p.do(ctx, "cancel", http.MethodPut, paymentPath(id)+"/cancel", nil, nil, "")
		p.checkCancel(id, a)
		var n int
		final := p.readUntil(ctx, "get_after_cancel", id, func(a answer, m map[string]any) bool {
			n++
			return a.ok() && plugin.RemoteStatus(str(m, "status")).Final()
		})
		p.checkCancelled(final, n)
	}

	// 7. One invalid request, to see the error shape.
	inv, _ := json.Marshal(map[string]any{"merchantId": p.cfg.MerchantID, "testMode": true})
	a = p.do(ctx, "invalid", http.MethodPost, "/api/v2/payments", nil, inv, uuid.NewString())
	p.checkError(a)
}

// readUntil reads the payment until done says so, the Waits are used up
// or Bound has passed on the clock (then it stops after the read under
// way), pausing Waits between reads. It returns the last payment read.
func (p *prober) readUntil(ctx context.Context, step, id string, done func(answer, map[string]any) bool) map[string]any {
	deadline := p.clock.Now().Add(Bound)
	var last map[string]any
	for i := 0; ; i++ {
		a := p.do(ctx, step, http.MethodGet, paymentPath(id), nil, nil, "")
		m, _ := a.object()
		if a.ok() && m != nil {
			last = m
		}
		if done(a, m) || i >= len(Waits) || ctx.Err() != nil || p.clock.Now().After(deadline) {
			return last
		}
		t := p.clock.NewTimer(Waits[i])
		select {
		case <-ctx.Done():
			t.Stop()
			return last
		case <-t.Chan():
		}
	}
}

// --- the checks, one per assumption (or a few together)

func (p *prober) checkPing(a answer) bool {
	if a.err != nil {
		p.differs(BaseURL, "no answer: %v", a.err)
		return false
	}
	m, isJSON := a.object()
	if !isJSON {
		p.differs(BaseURL, "HTTP %d, %s: %s", a.status, contentType(a), snippet(a.body))
		return false
	}
	p.ok(BaseURL, "")
	switch {
	case a.ok() && isArray(m["items"]):
		p.ok(Bearer, "")
		return true
	case a.ok():
		p.differs(Bearer, "HTTP %d without an items array: fields %s", a.status, fieldNames(m))
	default:
		p.differs(Bearer, "HTTP %d %s", a.status, errorText(m))
	}
	return false
}

// checkCreate judges the create's answer and returns the payment and its
// id ("" when none was made, or none can be known).
func (p *prober) checkCreate(ctx context.Context, a answer) (map[string]any, string) {
	m, isJSON := a.object()
	switch {
	case a.err != nil:
		p.differs(Create, "no answer: %v; %s", a.err, p.cleanupByOrderNo(ctx))
		return nil, ""
	case !a.ok() && isJSON:
		p.differs(Create, "HTTP %d %s", a.status, errorText(m))
		return nil, ""
	case !a.ok():
		p.differs(Create, "HTTP %d, %s: %s", a.status, contentType(a), snippet(a.body))
		return nil, ""
	case !isJSON:
		p.differs(Create, "HTTP %d but the answer is not JSON (%s): %s; %s", a.status, contentType(a), snippet(a.body), p.cleanupByOrderNo(ctx))
		return nil, ""
	}
	id, note := paymentID(m)
	if id == "" {
		p.differs(Create, "HTTP %d without a payment id (%s): fields %s; %s", a.status, note, fieldNames(m), p.cleanupByOrderNo(ctx))
		return nil, ""
	}
	p.created(id)
	if note != "" {
		p.differs(Create, "HTTP %d, payment %s, but %s", a.status, id, note)
	} else {
		p.ok(Create, "HTTP %d, payment %s", a.status, id)
	}
	return m, id
}

// checkFresh judges the create's answer: test mode and amount.
func (p *prober) checkFresh(m map[string]any) {
	switch tm, has := lookupOK(m, "testMode"); {
	case !has:
		p.differs(TestMode, "the answer has no testMode")
	case tm != true:
		p.differs(TestMode, "the answer says testMode: %s", compact(tm))
	default:
		p.ok(TestMode, "")
	}

	v, has := lookupOK(m, "amount.value")
	cur := str(m, "amount.currency")
	var s string
	switch x := v.(type) {
	case json.Number:
		s = string(x)
	case string:
		s = x
	}
	k, err := paymaster.ParseAmount(json.Number(s))
	switch {
	case !has:
		p.differs(Amount, "the answer has no amount.value")
	case s == "":
		p.differs(Amount, "amount.value is %s", compact(v))
	case err != nil:
		p.differs(Amount, "amount.value %s: %v", compact(v), err)
	case k != ProbeAmount:
		p.differs(Amount, "amount.value %s is %d kopecks, not %d", compact(v), k, ProbeAmount)
	case !strings.EqualFold(cur, "RUB"):
		p.differs(Amount, "amount.currency is %q", cur)
	default:
		p.ok(Amount, "%s %s", compact(v), cur)
	}
}

func (p *prober) checkStatuses(ms []map[string]any) {
	var seen []string
	for _, m := range ms {
		st := str(m, "status")
		if !slices.Contains(seen, st) {
			seen = append(seen, st)
		}
		rs := plugin.RemoteStatus(st)
		switch {
		case !rs.Known():
			p.differs(Status, "status %s is not one of the six", compact(lookup(m, "status")))
			return
		case rs.Final():
			p.differs(Status, "the fresh payment is already %s (resultCode %q, message %q)", st, str(m, "resultCode"), str(m, "message"))
			return
		}
	}
	p.ok(Status, "%s", strings.Join(seen, ", then "))
}

func (p *prober) checkGet(id string, reads []answer) {
	for i, a := range reads {
		m, isJSON := a.object()
		got, _ := paymentID(m)
		switch {
		case a.err != nil:
			p.differs(Get, "read %d: no answer: %v", i+1, a.err)
		case !a.ok() && isJSON:
			p.differs(Get, "read %d: HTTP %d %s", i+1, a.status, errorText(m))
		case !a.ok() || !isJSON:
			p.differs(Get, "read %d: HTTP %d, %s: %s", i+1, a.status, contentType(a), snippet(a.body))
		case got != id:
			p.differs(Get, "read %d: asked for payment %s, got %q", i+1, id, got)
		default:
			continue
		}
		return
	}
	p.ok(Get, "")
}

func (p *prober) checkLink(link string, reads int, last map[string]any) {
	if link == "" {
		p.differs(QRLink, "no confirmation.paymentUrl after %d reads over %d s (last status %q, confirmation %s)",
			reads, int(Bound/time.Second), str(last, "status"), compact(lookup(last, "confirmation")))
		return
	}
	u, err := url.Parse(link)
	if err != nil || !u.IsAbs() || u.Host == "" {
		p.differs(QRLink, "confirmation.paymentUrl %q is not an absolute URL", snippet([]byte(link)))
		return
	}
	p.ok(QRLink, "%s://%s%s…", u.Scheme, u.Host, firstSegment(u.Path))
}

func (p *prober) checkReplay(id string, a answer) {
	m, isJSON := a.object()
	switch {
	case a.err != nil:
		p.differs(Replay, "no answer: %v", a.err)
	case a.ok() && isJSON:
		got, _ := paymentID(m)
		switch {
		case got == id:
			p.ok(Replay, "HTTP %d with the same payment", a.status)
		case got != "":
			p.created(got)
			p.differs(Replay, "HTTP %d with another payment, %s: the key did not stop a second payment (the probe cancels it too)", a.status, got)
		default:
			p.differs(Replay, "HTTP %d without a payment id: fields %s", a.status, fieldNames(m))
		}
	case isJSON && str(m, "code") == "idempotency_key_violation":
		p.ok(Replay, "refused: HTTP %d %s", a.status, errorText(m))
	case isJSON:
		p.differs(Replay, "HTTP %d %s", a.status, errorText(m))
	default:
		p.differs(Replay, "HTTP %d, %s: %s", a.status, contentType(a), snippet(a.body))
	}
}

// checkList pages through the list around now, as the driver's lookup
// does, and judges the row of payment id.
func (p *prober) checkList(ctx context.Context, id string) {
	rows, pages, problem := p.list(ctx, "list")
	var row map[string]any
	for _, r := range rows {
		if got, _ := paymentID(r); got == id {
			row = r
			break
		}
	}
	switch {
	case problem != "" && row == nil:
		p.differs(ListFind, "%s", problem)
	case row == nil:
		p.differs(ListFind, "not among the %s of %s listed", countNoun(len(rows), "row", "rows"), countNoun(pages, "page", "pages"))
	case problem != "":
		p.differs(ListFind, "found, but %s", problem)
	default:
		p.ok(ListFind, "%s, %s", countNoun(len(rows), "row", "rows"), countNoun(pages, "page", "pages"))
	}
	if row == nil {
		p.unchecked("not checked: the payment's row was not found", ListOrderNo, ListSecond)
		return
	}

	others := "nothing else: the driver sends the order number in no other field, so such a payment cannot be found"
	if len(p.seconds) > 0 {
		others = strings.Join(p.seconds, " and ")
	}
	switch v, has := lookupOK(row, "invoice.orderNo"); {
	case !has:
		p.differs(ListOrderNo, "the row has no invoice.orderNo (fields %s); finding a create whose answer was lost then relies on %s", fieldNames(row), others)
	case v != p.orderNo:
		p.differs(ListOrderNo, "the row's invoice.orderNo is %s, sent %q; finding a lost create then relies on %s", compact(v), p.orderNo, others)
	default:
		p.ok(ListOrderNo, "")
	}
	for _, f := range p.seconds {
		id := ListSecond + ":" + f
		v, has := lookupOK(row, f)
		switch s, _ := v.(string); {
		case !has:
			p.differs(id, "the row has no %s", f)
		case !strings.Contains(s, p.orderNo):
			p.differs(id, "the row's %s is %s, without the order number %q", f, compact(v), p.orderNo)
		case s != str(p.sent, f):
			p.ok(id, "echoed changed, but with the order number: %q", s)
		default:
			p.ok(id, "")
		}
	}
}

// list reads every page of the payments created within FindWindow of now.
// problem describes the first thing that was not as the driver expects.
func (p *prober) list(ctx context.Context, step string) (rows []map[string]any, pages int, problem string) {
	now := p.clock.Now().UTC()
	q := url.Values{"merchantId": {p.cfg.MerchantID},
		"start": {fmtTime(now.Add(-paymaster.FindWindow))}, "end": {fmtTime(now.Add(paymaster.FindWindow))}}
	seen := map[string]bool{}
	for pages < maxListPages {
		a := p.do(ctx, step, http.MethodGet, "/api/v2/payments", q, nil, "")
		pages++
		m, isJSON := a.object()
		switch {
		case a.err != nil:
			return rows, pages, fmt.Sprintf("page %d: no answer: %v", pages, a.err)
		case !a.ok() && isJSON:
			return rows, pages, fmt.Sprintf("page %d: HTTP %d %s", pages, a.status, errorText(m))
		case !a.ok() || !isJSON:
			return rows, pages, fmt.Sprintf("page %d: HTTP %d, %s: %s", pages, a.status, contentType(a), snippet(a.body))
		case !isArray(m["items"]):
			return rows, pages, fmt.Sprintf("page %d has no items array: fields %s", pages, fieldNames(m))
		}
		for _, it := range m["items"].([]any) {
			if r, ok := it.(map[string]any); ok {
				rows = append(rows, r)
			}
		}
		c, _ := m["cursor"].(string)
		switch {
		case c == "":
			return rows, pages, ""
		case seen[c]:
			return rows, pages, fmt.Sprintf("page %d repeats the cursor of an earlier page", pages)
		}
		seen[c] = true
		q.Set("cursor", c)
	}
	return rows, pages, fmt.Sprintf("more than %d pages", maxListPages)
}

func (p *prober) checkCancel(id string, a answer) {
	m, isJSON := a.object()
	switch {
	case a.err != nil:
		p.differs(Cancel, "no answer: %v", a.err)
		return
	case a.ok() && len(bytes.TrimSpace(a.body)) > 0 && !isJSON:
		p.differs(Cancel, "HTTP %d with a body that is not JSON (%s), so the driver takes the cancel's outcome as unknown: %s", a.status, contentType(a), snippet(a.body))
	case a.ok():
		p.report.Cancelled = append(p.report.Cancelled, id)
		if len(bytes.TrimSpace(a.body)) > 0 {
			p.ok(Cancel, "HTTP %d with a body: %s", a.status, snippet(a.body))
		} else {
			p.ok(Cancel, "HTTP %d, empty body", a.status)
		}
	case isJSON:
		p.differs(Cancel, "HTTP %d %s", a.status, errorText(m))
	default:
		p.differs(Cancel, "HTTP %d, %s: %s", a.status, contentType(a), snippet(a.body))
	}
}

func (p *prober) checkCancelled(m map[string]any, reads int) {
	st := str(m, "status")
	switch {
	case m == nil:
		p.differs(Cancelled, "no read of the payment answered after the cancel (%d reads)", reads)
	case st == string(plugin.RemoteCancelled):
		p.ok(Cancelled, "resultCode %s", str(m, "resultCode"))
	case plugin.RemoteStatus(st).Final():
		p.differs(Cancelled, "it ended %s (resultCode %q)", st, str(m, "resultCode"))
	default:
		p.differs(Cancelled, "still %s after %d reads over %d s", compact(lookup(m, "status")), reads, int(Bound/time.Second))
	}
}

func (p *prober) checkError(a answer) {
	m, isJSON := a.object()
	code, codeOK := lookup(m, "code").(string)
	msg, msgOK := lookup(m, "message").(string)
	errs, hasErrs := lookupOK(m, "errors")
	switch {
	case a.err != nil:
		p.differs(ErrorShape, "no answer: %v", a.err)
	case a.is2xx() && !codeOK:
		if id, _ := paymentID(m); id != "" {
			p.created(id)
		}
		p.differs(ErrorShape, "HTTP %d: the invalid request was accepted: %s", a.status, snippet(a.body))
	case !isJSON:
		p.differs(ErrorShape, "HTTP %d, %s: %s", a.status, contentType(a), snippet(a.body))
	case !codeOK || code == "":
		p.differs(ErrorShape, "HTTP %d without a code: %s", a.status, snippet(a.body))
	case !msgOK:
		p.differs(ErrorShape, "HTTP %d %s without a message: %s", a.status, code, snippet(a.body))
	case !slices.Contains(documentedCodes, code):
		p.differs(ErrorShape, "HTTP %d with the code %q, not one of %s", a.status, code, strings.Join(documentedCodes, ", "))
	case hasErrs && errs != nil && !stringArray(errs):
		p.differs(ErrorShape, "HTTP %d %s: errors is %s, not a list of strings", a.status, code, compact(errs))
	default:
		p.ok(ErrorShape, "HTTP %d %s: %s", a.status, code, msg)
	}
}

// --- payments made and their cleanup

func (p *prober) created(id string) {
	if !slices.Contains(p.report.Created, id) {
		p.report.Created = append(p.report.Created, id)
	}
}

// cleanup cancels every payment the probe made and has not cancelled:
// a second one a replay made, or all of them when the run was cut short.
func (p *prober) cleanup(ctx context.Context) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*p.cfg.Timeout)
	defer cancel()
	for _, id := range p.report.Created {
		if slices.Contains(p.report.Cancelled, id) {
			continue
		}
		if a := p.do(ctx, "cleanup_cancel", http.MethodPut, paymentPath(id)+"/cancel", nil, nil, ""); a.ok() {
			p.report.Cancelled = append(p.report.Cancelled, id)
		}
	}
}

// cleanupByOrderNo looks for a payment a create with an unknown outcome
// may have made, and cancels it. It says what it found.
func (p *prober) cleanupByOrderNo(ctx context.Context) string {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 4*p.cfg.Timeout)
	defer cancel()
	rows, _, problem := p.list(ctx, "cleanup_list")
	var found []string
	for _, r := range rows {
		id, _ := paymentID(r)
		if id == "" {
			continue
		}
		match := str(r, "invoice.orderNo") == p.orderNo
		for _, f := range p.seconds {
			match = match || strings.Contains(fmt.Sprint(lookup(r, f)), p.orderNo)
		}
		if match {
			p.created(id)
			found = append(found, id)
		}
	}
	switch {
	case len(found) > 0:
		return "it made payment " + strings.Join(found, ", ") + ", found in the list (the probe cancels it)"
	case problem != "":
		return "whether it made a payment is unknown: the list failed: " + problem
	}
	return "no payment with the probe's order number is in the list"
}

// --- requests

// do sends one request, without retries, records it and returns the
// answer (at most MaxBody of it).
func (p *prober) do(ctx context.Context, step, method, path string, q url.Values, body []byte, key string) answer {
	full := path
	if len(q) > 0 {
		full += "?" + q.Encode()
	}
	ex := Exchange{Step: step, Method: method, Path: full}
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	var a answer
	req, err := http.NewRequestWithContext(ctx, method, p.base+full, rd)
	if err != nil {
		a.err = err
	} else {
		req.Header.Set("Authorization", "Bearer "+p.cfg.Token)
		req.Header.Set("Accept", "application/json")
		req.Header.Set("User-Agent", p.cfg.UserAgent)
		if body != nil {
			req.Header.Set("Content-Type", "application/json")
		}
		if key != "" {
			req.Header.Set("Idempotency-Key", key)
		}
		ex.RequestHeaders = p.red.headers(req.Header)
		ex.RequestBody, ex.RequestText = p.red.body(body)
		start := time.Now()
		a = p.send(req)
		ex.ElapsedMS = time.Since(start).Milliseconds()
	}
	p.report.Exchanges++
	ex.Status = a.status
	if a.err != nil {
		ex.Error = p.red.string(a.err.Error())
	}
	if a.status != 0 {
		if len(a.body) > MaxBody {
			a.body, ex.Truncated = a.body[:MaxBody], true
		}
		ex.ResponseHeaders = p.red.headers(a.header)
		ex.ResponseBody, ex.ResponseText = p.red.body(a.body)
	}
	if p.cfg.Out != nil && p.outErr == nil {
		p.outErr = WriteExchange(p.cfg.Out, ex)
	}
	return a
}

func (p *prober) send(req *http.Request) answer {
	resp, err := p.client.Do(req)
	if err != nil {
		return answer{err: err}
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, MaxBody+1))
	a := answer{status: resp.StatusCode, header: resp.Header, body: b}
	if err != nil {
		a.err = fmt.Errorf("HTTP %d, the answer broke off after %d bytes: %w", resp.StatusCode, len(b), err)
	}
	return a
}

// --- helpers

func paymentPath(id string) string { return "/api/v2/payments/" + url.PathEscape(id) }

func fmtTime(t time.Time) string { return t.UTC().Format(time.RFC3339) }

// paymentID reads a payment's id as the driver does: a string, or a
// number (noted, since the documentation says string).
func paymentID(m map[string]any) (id, note string) {
	switch v := m["id"].(type) {
	case string:
		if strings.TrimSpace(v) == "" {
			return "", "id is empty"
		}
		return v, ""
	case json.Number:
		return v.String(), "id is a number, the documentation says a string"
	case nil:
		return "", "no id"
	default:
		return "", "id is " + compact(v)
	}
}

// secondFields finds the fields besides invoice.orderNo in which the driver
// sends the order number; tests replace it.
var secondFields = orderNoFields

// orderNoFields lists the fields of a create body besides invoice.orderNo
// whose string value contains the order number.
func orderNoFields(body map[string]any, orderNo string) []string {
	var out []string
	var walk func(prefix string, v any)
	walk = func(prefix string, v any) {
		switch x := v.(type) {
		case map[string]any:
			for k, e := range x {
				walk(join(prefix, k), e)
			}
		case string:
			if prefix != "invoice.orderNo" && strings.Contains(x, orderNo) {
				out = append(out, prefix)
			}
		}
	}
	walk("", body)
	sort.Strings(out)
	return out
}

func join(prefix, k string) string {
	if prefix == "" {
		return k
	}
	return prefix + "." + k
}

// lookupOK follows a dotted path through JSON objects.
func lookupOK(m map[string]any, path string) (any, bool) {
	var v any = m
	for _, k := range strings.Split(path, ".") {
		o, ok := v.(map[string]any)
		if !ok {
			return nil, false
		}
		if v, ok = o[k]; !ok {
			return nil, false
		}
	}
	return v, true
}

func lookup(m map[string]any, path string) any {
	v, _ := lookupOK(m, path)
	return v
}

func str(m map[string]any, path string) string {
	s, _ := lookup(m, path).(string)
	return s
}

func isArray(v any) bool {
	_, ok := v.([]any)
	return ok
}

func stringArray(v any) bool {
	xs, ok := v.([]any)
	if !ok {
		return false
	}
	for _, x := range xs {
		if _, ok := x.(string); !ok {
			return false
		}
	}
	return true
}

func fieldNames(m map[string]any) string {
	if len(m) == 0 {
		return "none"
	}
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return strings.Join(ks, ", ")
}

// errorText is "code: message (errors)" of an error body, or the body.
func errorText(m map[string]any) string {
	code, _ := m["code"].(string)
	msg, _ := m["message"].(string)
	if code == "" && msg == "" {
		b, _ := json.Marshal(m)
		return "with the body " + snippet(b)
	}
	s := code
	if msg != "" {
		s += ": " + msg
	}
	if errs, ok := m["errors"].([]any); ok && len(errs) > 0 {
		var parts []string
		for _, e := range errs {
			parts = append(parts, fmt.Sprint(e))
		}
		s += " (" + strings.Join(parts, "; ") + ")"
	}
	return s
}

func contentType(a answer) string {
	ct := a.header.Get("Content-Type")
	if ct == "" {
		return "no Content-Type"
	}
	return ct
}

func compact(v any) string {
	if v == nil {
		return "null"
	}
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return snippet(b)
}

func snippet(b []byte) string {
	const max = 200
	s := strings.TrimSpace(strings.ToValidUTF8(string(b), "\uFFFD"))
	if s == "" {
		return "(empty)"
	}
	if r := []rune(s); len(r) > max {
		return string(r[:max]) + "…"
	}
	return s
}

func firstSegment(path string) string {
	if path == "" || path == "/" {
		return path
	}
	rest := strings.TrimPrefix(path, "/")
	if i := strings.Index(rest, "/"); i >= 0 {
		return "/" + rest[:i+1]
	}
	return "/"
}

func countNoun(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}

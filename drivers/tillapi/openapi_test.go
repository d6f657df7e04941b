package tillapi

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"reflect"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"

	"github.com/sbpd/sbpd/plugin"
)

// loadOpenAPI loads and validates the served document.
func loadOpenAPI(t *testing.T) *openapi3.T {
	t.Helper()
	doc, err := openapi3.NewLoader().LoadFromData(OpenAPI())
	if err != nil {
		t.Fatalf("load openapi.json: %v", err)
	}
	if err := doc.Validate(context.Background()); err != nil {
		t.Fatalf("openapi.json is not a valid OpenAPI document: %v", err)
	}
	return doc
}

// operationIDs are the names generated clients get for the operations.
var operationIDs = map[string]string{
	"POST /api/v1/payments":             "startPayment",
	"GET /api/v1/payments":              "searchPayments",
	"GET /api/v1/payments/{id}":         "getPayment",
	"GET /api/v1/payments/{id}/events":  "paymentEvents",
	"POST /api/v1/payments/{id}/retry":  "retryPayment",
	"POST /api/v1/payments/{id}/cancel": "cancelPayment",
	"GET /healthz":                      "health",
	"GET /metrics":                      "metrics",
	"GET /api/v1/openapi.json":          "openapi",
}

// documented returns every operation of doc as "METHOD /path".
func documented(doc *openapi3.T) map[string]*openapi3.Operation {
	ops := map[string]*openapi3.Operation{}
	for path, item := range doc.Paths.Map() {
		for method, op := range item.Operations() {
			ops[method+" "+path] = op
		}
	}
	return ops
}

// errorCodes returns the x-error-codes of a response.
func errorCodes(r *openapi3.Response) []string {
	raw, _ := r.Extensions["x-error-codes"].([]any)
	codes := make([]string, 0, len(raw))
	for _, c := range raw {
		if s, ok := c.(string); ok {
			codes = append(codes, s)
		}
	}
	return codes
}

func TestOpenAPI_Document(t *testing.T) {
	doc := loadOpenAPI(t)
	if doc.OpenAPI != "3.0.3" {
		t.Errorf("openapi = %q, want 3.0.3", doc.OpenAPI)
	}
	if doc.Info == nil || !strings.Contains(doc.Info.Description, "kopecks") {
		t.Errorf("info.description must explain the amounts")
	}
	ops := documented(doc)
	for key, op := range ops {
		if want := operationIDs[key]; op.OperationID != want {
			t.Errorf("%s: operationId %q, want %q", key, op.OperationID, want)
		}
		for status, rr := range op.Responses.Map() {
			code, _ := strconv.Atoi(status)
			mt := rr.Value.Content.Get("application/json")
			isError := mt != nil && mt.Schema != nil && mt.Schema.Ref == "#/components/schemas/Error"
			if code >= 400 && isError && len(errorCodes(rr.Value)) == 0 {
				t.Errorf("%s %s: an error response without x-error-codes", key, status)
			}
			if code < 400 && isError {
				t.Errorf("%s %s: a success answered with the Error schema", key, status)
			}
		}
	}
	for key := range operationIDs {
		if ops[key] == nil {
			t.Errorf("%s is not documented", key)
		}
	}
}

// jsonFields returns the JSON names of a struct's fields: always written,
// and written only when set (omitempty).
func jsonFields(typ reflect.Type) (always, optional []string) {
	for f := range typ.Fields() {
		name, opts, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "-" || !f.IsExported() {
			continue
		}
		if name == "" {
			name = f.Name
		}
		if strings.Contains(opts, "omitempty") {
			optional = append(optional, name)
		} else {
			always = append(always, name)
		}
	}
	slices.Sort(always)
	slices.Sort(optional)
	return always, optional
}

// TestOpenAPI_Fields checks the schemas against the Go types the server
// encodes: every field is documented, every field always written is
// required, and nothing undocumented can slip through.
func TestOpenAPI_Fields(t *testing.T) {
	doc := loadOpenAPI(t)
	schema := func(name string) *openapi3.Schema {
		// A payment's dialog and error are written inline, nullable (OpenAPI
		// 3.0 has no nullable $ref that every validator takes).
		if prop, ok := strings.CutPrefix(name, "Payment."); ok {
			return doc.Components.Schemas["Payment"].Value.Properties[prop].Value
		}
		return doc.Components.Schemas[name].Value
	}
	for name, typ := range map[string]reflect.Type{
		"Payment":        reflect.TypeFor[plugin.Payment](),
		"Payment.dialog": reflect.TypeFor[plugin.Dialog](),
		"Payment.error":  reflect.TypeFor[plugin.APIError](),
		"ErrorDetail":    reflect.TypeFor[plugin.APIError](),
		"Error":          reflect.TypeFor[errorBody](),
		"SearchResult":   reflect.TypeFor[searchResult](),
	} {
		s := schema(name)
		always, optional := jsonFields(typ)
		var props []string
		for p := range s.Properties {
			props = append(props, p)
		}
		slices.Sort(props)
		all := slices.Sorted(slices.Values(append(slices.Clone(always), optional...)))
		if !slices.Equal(props, all) {
			t.Errorf("%s: documented properties %v, the Go type writes %v", name, props, all)
		}
		required := slices.Sorted(slices.Values(s.Required))
		if !slices.Equal(required, always) {
			t.Errorf("%s: required %v, the Go type always writes %v", name, required, always)
		}
		if s.AdditionalProperties.Has == nil || *s.AdditionalProperties.Has {
			t.Errorf("%s: additionalProperties must be false so an undocumented field fails", name)
		}
	}

	start := doc.Components.Schemas["StartRequest"].Value
	var props []string
	for p := range start.Properties {
		props = append(props, p)
	}
	if !slices.Equal(slices.Sorted(slices.Values(props)), slices.Sorted(slices.Values(slices.Clone(startFields)))) {
		t.Errorf("StartRequest properties %v, the server reads %v", props, startFields)
	}
	var params []string
	for _, p := range doc.Paths.Find("/api/v1/payments").Get.Parameters {
		params = append(params, p.Value.Name)
	}
	if !slices.Equal(params, searchParams) {
		t.Errorf("search parameters %v, the server reads %v", params, searchParams)
	}
	var states []string
	for _, v := range doc.Components.Schemas["State"].Value.Enum {
		states = append(states, v.(string))
	}
	for i, s := range plugin.States {
		if i >= len(states) || states[i] != string(s) {
			t.Fatalf("State enum %v, want %v in code order", states, plugin.States)
		}
		if code := doc.Components.Schemas["StateCode"].Value.Enum[i]; code != float64(s.Code()) {
			t.Errorf("StateCode enum[%d] = %v, want %d (%s)", i, code, s.Code(), s)
		}
	}
}

// registeredRoutes reads the patterns server.go registers on the API mux
// (h.api.Handle("PATTERN", …)) from its source, so a route added there
// without documenting it fails TestOpenAPI_Routes.
func registeredRoutes(t *testing.T) []string {
	t.Helper()
	f, err := parser.ParseFile(token.NewFileSet(), "server.go", nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	var patterns []string
	ast.Inspect(f, func(n ast.Node) bool {
		call, ok := n.(*ast.CallExpr)
		if !ok || len(call.Args) == 0 {
			return true
		}
		sel, ok := call.Fun.(*ast.SelectorExpr)
		if !ok || sel.Sel.Name != "Handle" {
			return true
		}
		if recv, ok := sel.X.(*ast.SelectorExpr); !ok || recv.Sel.Name != "api" {
			return true
		}
		if lit, ok := call.Args[0].(*ast.BasicLit); ok && lit.Kind == token.STRING {
			p, _ := strconv.Unquote(lit.Value)
			patterns = append(patterns, p)
		}
		return true
	})
	if len(patterns) < 7 {
		t.Fatalf("found only %d routes in server.go: %q", len(patterns), patterns)
	}
	return patterns
}

func TestOpenAPI_Routes(t *testing.T) {
	doc := loadOpenAPI(t)
	ops := documented(doc)
	registered := registeredRoutes(t)
	for _, p := range registered {
		if ops[p] == nil {
			t.Errorf("server.go registers %q, which openapi.json does not document", p)
		}
	}
	for key := range ops {
		if !slices.Contains(registered, key) {
			t.Errorf("openapi.json documents %q, which server.go does not register", key)
		}
	}

	// And the server answers each documented operation itself, not with
	// the mux's 404/405.
	metrics := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "up 1\n") })
	ts := newTestServer(t, &Server{Payments: &fakePayments{
		GetFn: func(context.Context, string) (plugin.Payment, error) {
			return plugin.Payment{}, &plugin.Error{Code: plugin.ENotFound, Reason: "payment_not_found", Message: "no"}
		},
		SubscribeFn: func(string) (<-chan plugin.Payment, func()) { return nil, func() {} },
		RetryFn: func(context.Context, string) (plugin.Payment, error) {
			return plugin.Payment{}, &plugin.Error{Code: plugin.ENotFound, Reason: "payment_not_found", Message: "no"}
		},
		CancelFn: func(context.Context, string) (plugin.Payment, error) {
			return plugin.Payment{}, &plugin.Error{Code: plugin.ENotFound, Reason: "payment_not_found", Message: "no"}
		},
	}, Search: &fakeSearcher{}, Metrics: metrics})
	for key := range ops {
		method, path, _ := strings.Cut(key, " ")
		path = strings.ReplaceAll(path, "{id}", "01JD")
		body := ""
		if method == "POST" && path == "/api/v1/payments" {
			body = "[]"
		}
		if method == "GET" && path == "/api/v1/payments" {
			path += "?limit=0"
		}
		res := do(t, method, ts.URL+path, body)
		var e errorBody
		json.Unmarshal(res.Body, &e)
		if e.Error.Code == "not_found" || e.Error.Code == "method_not_allowed" {
			t.Errorf("%s: the server answers %d %s", key, res.Status, e.Error.Code)
		}
	}
}

// conformance sends requests to a running server and checks each request
// and answer against the OpenAPI document, noting every (operation,
// status) and (operation, status, error code) seen.
type conformance struct {
	t      *testing.T
	doc    *openapi3.T
	router routers.Router

	mu   sync.Mutex
	seen map[string]int
}

var registerSSE sync.Once

func newConformance(t *testing.T) *conformance {
	t.Helper()
	registerSSE.Do(func() {
		openapi3filter.RegisterBodyDecoder("text/event-stream", openapi3filter.PlainBodyDecoder)
	})
	doc := loadOpenAPI(t)
	doc.Servers = nil // route by path whatever the test server's address
	router, err := gorillamux.NewRouter(doc)
	if err != nil {
		t.Fatal(err)
	}
	return &conformance{t: t, doc: doc, router: router, seen: map[string]int{}}
}

// call is one scripted request and what it must get.
type call struct {
	method, path string // path with the query
	body         string
	header       []string // name, value pairs
	status       int
	code         string // the error code of an error answer
	// invalid marks a request the document itself rejects: the server
	// must refuse what the document does not allow.
	invalid bool
}

func (c call) String() string { return c.method + " " + c.path }

// authenticate accepts a well-formed bearer header; the server decides
// whether the token is right.
func authenticate(_ context.Context, in *openapi3filter.AuthenticationInput) error {
	if in.SecuritySchemeName != "bearerAuth" {
		return fmt.Errorf("unknown security scheme %q", in.SecuritySchemeName)
	}
	if _, ok := bearer(in.RequestValidationInput.Request.Header.Get("Authorization")); !ok {
		return errors.New("no bearer token")
	}
	return nil
}

// do runs c against base and returns the answer's body.
func (cf *conformance) do(base string, c call) []byte {
	t := cf.t
	t.Helper()
	newReq := func() *http.Request {
		var body io.Reader = http.NoBody
		if c.body != "" {
			body = strings.NewReader(c.body)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		t.Cleanup(cancel)
		req, err := http.NewRequestWithContext(ctx, c.method, base+c.path, body)
		if err != nil {
			t.Fatal(err)
		}
		if c.body != "" {
			req.Header.Set("Content-Type", "application/json")
		}
		for i := 0; i+1 < len(c.header); i += 2 {
			if c.header[i] == "Host" {
				req.Host = c.header[i+1]
				continue
			}
			req.Header.Set(c.header[i], c.header[i+1])
		}
		return req
	}

	req := newReq()
	route, params, err := cf.router.FindRoute(req)
	if err != nil {
		t.Fatalf("%s: not in the document: %v", c, err)
	}
	opts := &openapi3filter.Options{
		AuthenticationFunc:    authenticate,
		IncludeResponseStatus: true,
		SkipSettingDefaults:   true,
		MultiError:            true,
	}
	in := &openapi3filter.RequestValidationInput{Request: req, PathParams: params, Route: route, Options: opts}
	err = openapi3filter.ValidateRequest(context.Background(), in)
	switch {
	case c.invalid && err == nil:
		t.Errorf("%s %s: the document allows this request, the server refuses it with %d %s", c, c.body, c.status, c.code)
	case !c.invalid && err != nil:
		t.Errorf("%s %s: the document refuses this request: %v", c, c.body, err)
	}

	res, err := http.DefaultClient.Do(newReq())
	if err != nil {
		t.Fatalf("%s: %v", c, err)
	}
	body, err := io.ReadAll(res.Body)
	res.Body.Close()
	if err != nil {
		t.Fatalf("%s: read the answer: %v", c, err)
	}
	if res.StatusCode != c.status {
		t.Fatalf("%s: status %d, want %d: %s", c, res.StatusCode, c.status, body)
	}

	if err := openapi3filter.ValidateResponse(context.Background(), &openapi3filter.ResponseValidationInput{
		RequestValidationInput: in,
		Status:                 res.StatusCode,
		Header:                 res.Header,
		Body:                   io.NopCloser(bytes.NewReader(body)),
		Options:                opts,
	}); err != nil {
		t.Errorf("%s: the answer does not match the document: %v\n%s", c, err, body)
	}

	op := route.Operation.OperationID
	key := fmt.Sprintf("%s %d", op, res.StatusCode)
	ct := res.Header.Get("Content-Type")
	switch {
	case strings.HasPrefix(ct, "text/event-stream"):
		cf.checkEvents(c, body)
	case res.StatusCode >= 400 && c.code != "":
		var e errorBody
		if err := json.Unmarshal(body, &e); err != nil {
			t.Fatalf("%s: %v", c, err)
		}
		if e.Error.Code != c.code {
			t.Errorf("%s: error code %q, want %q: %s", c, e.Error.Code, c.code, e.Error.Message)
		}
		if codes := errorCodes(route.Operation.Responses.Status(res.StatusCode).Value); !slices.Contains(codes, e.Error.Code) {
			t.Errorf("%s: error code %q is not among the documented %v", c, e.Error.Code, codes)
		}
		cf.note(key + " " + e.Error.Code)
	case c.code != "":
		t.Errorf("%s: want error %s, got %d %s", c, c.code, res.StatusCode, body)
	}
	cf.note(key)
	return body
}

func (cf *conformance) note(key string) {
	cf.mu.Lock()
	cf.seen[key]++
	cf.mu.Unlock()
}

// checkEvents checks every event of a stream: event "payment" whose data
// is a Payment of the document.
func (cf *conformance) checkEvents(c call, body []byte) []map[string]any {
	t := cf.t
	t.Helper()
	schema := cf.doc.Components.Schemas["Payment"].Value
	var events []map[string]any
	sc := bufio.NewScanner(bytes.NewReader(body))
	sc.Buffer(nil, 1<<20)
	name := ""
	for sc.Scan() {
		line := sc.Text()
		switch {
		case line == "" || strings.HasPrefix(line, ":"):
			name = ""
		case strings.HasPrefix(line, "event: "):
			name = strings.TrimPrefix(line, "event: ")
			if name != "payment" {
				t.Errorf("%s: event %q, want payment", c, name)
			}
		case strings.HasPrefix(line, "data: "):
			if name != "payment" {
				t.Errorf("%s: data without event: payment", c)
			}
			var v map[string]any
			if err := json.Unmarshal([]byte(strings.TrimPrefix(line, "data: ")), &v); err != nil {
				t.Fatalf("%s: event data is not JSON: %v", c, err)
			}
			if err := schema.VisitJSON(v, openapi3.MultiErrors()); err != nil {
				t.Errorf("%s: event data is not a Payment of the document: %v\n%s", c, err, line)
			}
			events = append(events, v)
		default:
			t.Errorf("%s: unexpected line in the event stream: %q", c, line)
		}
	}
	if len(events) == 0 {
		t.Errorf("%s: no events", c)
	}
	return events
}

// checkCovered fails for every documented (operation, status) and
// (operation, status, error code) that no request produced.
func (cf *conformance) checkCovered() {
	t := cf.t
	t.Helper()
	var missing []string
	for _, op := range documented(cf.doc) {
		for status, rr := range op.Responses.Map() {
			key := op.OperationID + " " + status
			if cf.seen[key] == 0 {
				missing = append(missing, key)
			}
			for _, code := range errorCodes(rr.Value) {
				if cf.seen[key+" "+code] == 0 {
					missing = append(missing, key+" "+code)
				}
			}
		}
	}
	sort.Strings(missing)
	for _, m := range missing {
		t.Errorf("documented but never produced: %s", m)
	}
}

// Payments in every shape the till can see: each state, each mode, mixed,
// with and without PayMaster's id and QR, the dialog and the error.
func conformancePayments() map[string]plugin.Payment {
	ps := map[string]plugin.Payment{}
	add := func(id string, state plugin.State, change func(p *plugin.Payment)) {
		p := testPayment(id, state)
		if change != nil {
			change(&p)
		}
		ps[id] = p
	}
	add("p-creating", plugin.StateCreating, func(p *plugin.Payment) { p.PayMasterID, p.QRPayload = "", "" })
	add("p-awaiting", plugin.StateAwaitingPayment, func(p *plugin.Payment) { p.PayMasterStatus = "Confirmation" })
	add("p-printed", plugin.StateAwaitingPayment, func(p *plugin.Payment) { p.Mode = plugin.ModePrint })
	add("p-sticker", plugin.StateAwaitingPayment, func(p *plugin.Payment) { p.Mode, p.QRPayload = plugin.ModeSticker, "" })
	add("p-mixed", plugin.StateAwaitingPayment, func(p *plugin.Payment) { p.Mixed, p.Amount = true, 12345 })
	add("p-dialog", plugin.StateStatusUnknown, func(p *plugin.Payment) { p.Offline = true })
	add("p-pending", plugin.StateStatusUnknown, func(p *plugin.Payment) { p.PayMasterStatus = "Pending" })
	add("p-canceling", plugin.StateCanceling, func(p *plugin.Payment) { p.CancelRequested = true })
	add("p-paid", plugin.StatePaid, func(p *plugin.Payment) { p.PayMasterStatus, p.ResultCode = "Settled", "Success" })
	add("p-late", plugin.StatePaid, func(p *plugin.Payment) {
		p.PayMasterStatus, p.ResultCode = "Settled", "Success"
		p.CancelRequested, p.CancelSent, p.LateSettle = true, true, true
	})
	add("p-funds", plugin.StateNotPaid, func(p *plugin.Payment) {
		p.PayMasterStatus, p.ResultCode, p.Reason = "Rejected", "InsufficientFunds", plugin.ReasonInsufficientFunds
	})
	add("p-cancelled", plugin.StateNotPaid, func(p *plugin.Payment) {
		p.PayMasterStatus, p.ResultCode, p.Reason = "Cancelled", "CancelledByUser", plugin.ReasonCancelled
		p.CancelRequested, p.CancelSent = true, true
	})
	add("p-technical", plugin.StateNotPaid, func(p *plugin.Payment) {
		p.PayMasterID, p.QRPayload, p.Reason = "", "", plugin.ReasonTechnical
	})
	add("p-attention", plugin.StateNeedsAttention, func(p *plugin.Payment) {
		p.Reason, p.CancelRequested = plugin.ReasonCancelFailed, true
	})
	add("p-manual", plugin.StatePaid, func(p *plugin.Payment) { p.Reason = plugin.ReasonManual })
	return ps
}

func perr(code, reason string) error {
	return &plugin.Error{Code: code, Reason: reason, Message: "the " + reason + " message"}
}

// conformanceServer is a till API over the fakes: payments by id from
// conformancePayments, and errors chosen by the check or the id.
func conformanceServer(t *testing.T, s *Server) *httptest.Server {
	ps := conformancePayments()
	get := func(_ context.Context, id string) (plugin.Payment, error) {
		switch id {
		case "p-boom":
			return plugin.Payment{}, errors.New("disk on fire")
		}
		if p, ok := ps[id]; ok {
			return p, nil
		}
		return plugin.Payment{}, &plugin.Error{Code: plugin.ENotFound, Reason: "payment_not_found", Message: "payment " + id + " not found"}
	}
	act := func(next plugin.State) func(ctx context.Context, id string) (plugin.Payment, error) {
		return func(ctx context.Context, id string) (plugin.Payment, error) {
			switch id {
			case "p-journal":
				return plugin.Payment{}, perr(plugin.EStorage, "journal_unavailable")
			case "p-paid", "p-funds":
				return plugin.Payment{}, perr(plugin.EConflict, "invalid_state")
			}
			p, err := get(ctx, id)
			if err == nil && p.State.Active() {
				p.State = next
			}
			return p, err
		}
	}
	startErrors := map[string]error{
		"c-another":   perr(plugin.EConflict, "another_payment_active"),
		"c-progress":  perr(plugin.EConflict, "check_in_progress"),
		"c-paid":      perr(plugin.EConflict, "check_already_paid"),
		"c-attention": perr(plugin.EConflict, "check_needs_attention"),
		"c-disabled":  perr(plugin.EDisabled, "sbp_disabled"),
		"c-notready":  &plugin.Error{Code: plugin.ENotReady, Message: "sbpd is shutting down"},
		"c-journal":   perr(plugin.EStorage, "journal_unavailable"),
		"c-boom":      errors.New("disk on fire"),
	}
	s.Payments = &fakePayments{
		StartFn: func(_ context.Context, req plugin.StartRequest) (plugin.Payment, bool, error) {
			if err := startErrors[req.CheckID]; err != nil {
				return plugin.Payment{}, false, err
			}
			if req.Mixed && req.CheckID == "c-mixed-off" {
				return plugin.Payment{}, false, perr(plugin.EInvalid, "mixed_not_enabled")
			}
			p := ps["p-awaiting"]
			p.ID, p.CheckID, p.Amount, p.Mixed = "p-new", req.CheckID, req.Amount, req.Mixed
			switch req.CheckID {
			case "c-same":
				return p, false, nil
			case "c-creating":
				p.State, p.PayMasterID, p.QRPayload = plugin.StateCreating, "", ""
			}
			return p, true, nil
		},
		GetFn:    get,
		RetryFn:  act(plugin.StateAwaitingPayment),
		CancelFn: act(plugin.StateCanceling),
		SubscribeFn: func(id string) (<-chan plugin.Payment, func()) {
			ch := make(chan plugin.Payment, 3)
			if id == "p-awaiting" { // the shopper is slow, then pays
				for _, next := range []string{"p-pending", "p-awaiting", "p-paid"} {
					p := ps[next]
					p.ID = id
					ch <- p
				}
			}
			return ch, func() {}
		},
	}
	if s.Search == nil {
		s.Search = &fakeSearcher{SearchFn: func(_ context.Context, f plugin.Filter) ([]*plugin.Payment, error) {
			if f.Query == "boom" {
				return nil, errors.New("disk on fire")
			}
			var found []*plugin.Payment
			for _, id := range slices.Sorted(func(yield func(string) bool) {
				for id := range ps {
					if !yield(id) {
						return
					}
				}
			}) {
				p := ps[id]
				found = append(found, &p)
			}
			return found, nil
		}}
	}
	s.Metrics = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
		io.WriteString(w, "# HELP sbpd_up 1 when sbpd runs.\n# TYPE sbpd_up gauge\nsbpd_up 1\n")
	})
	s.Logger = slog.New(slog.DiscardHandler)
	return newTestServer(t, s)
}

// TestOpenAPI_Conformance runs the real handler over the fakes through
// every documented (operation, status) and error code, checking every
// request and answer against the document.
func TestOpenAPI_Conformance(t *testing.T) {
	cf := newConformance(t)
	const token = "s3cret"
	auth := []string{"Authorization", "Bearer " + token}
	health := func(context.Context) (map[string]any, bool) {
		return map[string]any{
			"journal":        map[string]any{"status": "ok"},
			"paymaster":      map[string]any{"status": "ok", "last_answer": t0},
			"printer":        map[string]any{"status": "paper_near_end", "port": "/dev/ttyUSB0", "state": "online, paper near end"},
			"engine":         map[string]any{"ready": true},
			"notify":         map[string]any{"status": "stuck", "stuck_paid": 2},
			"active_payment": map[string]any{"id": "p-awaiting", "check_id": "000153", "state": plugin.StateAwaitingPayment},
		}, true
	}
	main := conformanceServer(t, &Server{Token: token, Health: health})
	open := conformanceServer(t, &Server{}) // loopback without a token; no Health: liveness only
	degraded := conformanceServer(t, &Server{Token: token, Health: func(context.Context) (map[string]any, bool) {
		return map[string]any{
			"journal":   map[string]any{"status": "error", "error": "sqlite: database disk image is malformed"},
			"paymaster": map[string]any{"status": "unreachable", "since": t0, "error": "connection refused"},
			"engine":    map[string]any{"ready": false},
			"notify":    map[string]any{"status": "not_configured"},
			"printer":   map[string]any{"status": "not_configured"},
		}, false
	}})
	broken := conformanceServer(t, &Server{Token: token, Search: nil, Health: func(context.Context) (map[string]any, bool) {
		panic("health check bug")
	}})
	noSearch := httptest.NewServer((&Server{Payments: &fakePayments{}}).Handler())
	t.Cleanup(noSearch.Close)

	ok := func(method, path, body string, status int) call {
		return call{method: method, path: path, body: body, header: auth, status: status}
	}
	bad := func(method, path, body string, status int, code string) call {
		return call{method: method, path: path, body: body, header: auth, status: status, code: code, invalid: true}
	}
	refused := func(method, path, body string, status int, code string) call {
		return call{method: method, path: path, body: body, header: auth, status: status, code: code}
	}
	start := func(check string, amount int, mixed bool) string {
		return fmt.Sprintf(`{"check_id":%q,"amount":%d,"mixed":%t}`, check, amount, mixed)
	}
	const pay = "/api/v1/payments"

	calls := []call{
		// startPayment
		ok("POST", pay, start("000153", 25990, false), 201),
		ok("POST", pay, `{"check_id":"000153","amount":25990}`, 201),
		ok("POST", pay, start("c-mixed", 12345, true), 201),
		ok("POST", pay, start("c-creating", 100, false), 201),
		ok("POST", pay, start("c-same", 25990, false), 200),
		ok("POST", pay, start("A-1_2.3/4", 100000000, false), 201),
		ok("POST", pay, start(strings.Repeat("Z", 64), 100, false), 201),
		refused("POST", pay, `{"check_id":"x","amount":1}`+strings.Repeat(" ", 70000), 413, "body_too_large"), // valid, but too large
		bad("POST", pay, "", 400, "invalid_json"),
		bad("POST", pay, `{"check_id":"000153","amount":25990`, 400, "invalid_json"),
		bad("POST", pay, `[{"check_id":"000153","amount":25990}]`, 400, "invalid_json"),
		refused("POST", pay, `{"check_id":"1","amount":1}{"check_id":"1","amount":1}`, 400, "invalid_json"), // kin-openapi reads the first object only
		bad("POST", pay, `{"check_id":"000153","amount":259.90}`, 422, "invalid_amount"),
		bad("POST", pay, `{"check_id":"000153","amount":"25990"}`, 422, "invalid_amount"),
		bad("POST", pay, `{"check_id":"000153"}`, 422, "invalid_amount"),
		bad("POST", pay, `{"check_id":"000153","amount":0}`, 422, "invalid_amount"),
		bad("POST", pay, `{"check_id":"000153","amount":-100}`, 422, "invalid_amount"),
		bad("POST", pay, `{"check_id":"000153","amount":100000001}`, 422, "invalid_amount"),
		bad("POST", pay, `{"check_id":"","amount":100}`, 422, "invalid_check_id"),
		bad("POST", pay, `{"check_id":"   ","amount":100}`, 422, "invalid_check_id"),
		bad("POST", pay, `{"amount":100}`, 422, "invalid_check_id"),
		bad("POST", pay, `{"check_id":153,"amount":100}`, 422, "invalid_check_id"),
		bad("POST", pay, `{"check_id":"0001\u000153","amount":100}`, 422, "invalid_check_id"),
		bad("POST", pay, `{"check_id":"`+strings.Repeat("1", 65)+`","amount":100}`, 422, "invalid_check_id"),
		bad("POST", pay, start("Чек №15", 100, false), 422, "invalid_check_id"),
		bad("POST", pay, start("чек15", 100, false), 422, "invalid_check_id"),
		bad("POST", pay, start("000 153", 100, false), 422, "invalid_check_id"),
		bad("POST", pay, start("№15", 100, false), 422, "invalid_check_id"),
		bad("POST", pay, start(`15"`, 100, false), 422, "invalid_check_id"),
		bad("POST", pay, start("a+b", 100, false), 422, "invalid_check_id"),
		bad("POST", pay, `{"check_id":"000153","amount":100,"mixed":"no"}`, 422, "invalid_mixed"),
		bad("POST", pay, `{"check_id":"000153","amount":100,"mixed":null}`, 422, "invalid_mixed"),
		bad("POST", pay, `{"check_id":"000153","amount":100,"sum":100}`, 422, "unknown_field"),
		bad("POST", pay, `{"check_id":"000153","amount":100,"amount":200}`, 422, "duplicate_field"), // JSON objects name each member once
		refused("POST", pay, start("c-mixed-off", 100, true), 422, "mixed_not_enabled"),
		refused("POST", pay, start("c-another", 100, false), 409, "another_payment_active"),
		refused("POST", pay, start("c-progress", 100, false), 409, "check_in_progress"),
		refused("POST", pay, start("c-paid", 100, false), 409, "check_already_paid"),
		refused("POST", pay, start("c-attention", 100, false), 409, "check_needs_attention"),
		refused("POST", pay, start("c-disabled", 100, false), 403, "sbp_disabled"),
		refused("POST", pay, start("c-notready", 100, false), 503, "not_ready"),
		refused("POST", pay, start("c-journal", 100, false), 503, "journal_unavailable"),
		refused("POST", pay, start("c-boom", 100, false), 500, "internal"),

		// getPayment, paymentEvents, retryPayment, cancelPayment
		refused("GET", pay+"/nope", "", 404, "payment_not_found"),
		refused("GET", pay+"/p-boom", "", 500, "internal"),
		ok("GET", pay+"/p-awaiting/events", "", 200),
		ok("GET", pay+"/p-paid/events", "", 200),
		ok("GET", pay+"/p-technical/events", "", 200),
		refused("GET", pay+"/nope/events", "", 404, "payment_not_found"),
		refused("GET", pay+"/p-boom/events", "", 500, "internal"),
		ok("POST", pay+"/p-dialog/retry", "", 200),
		ok("POST", pay+"/p-awaiting/retry", `{"ignored":true}`, 200),
		refused("POST", pay+"/p-paid/retry", "", 409, "invalid_state"),
		refused("POST", pay+"/nope/retry", "", 404, "payment_not_found"),
		refused("POST", pay+"/p-journal/retry", "", 503, "journal_unavailable"),
		refused("POST", pay+"/p-boom/retry", "", 500, "internal"),
		ok("POST", pay+"/p-dialog/cancel", "", 200),
		ok("POST", pay+"/p-cancelled/cancel", "", 200),
		refused("POST", pay+"/p-funds/cancel", "", 409, "invalid_state"),
		refused("POST", pay+"/nope/cancel", "", 404, "payment_not_found"),
		refused("POST", pay+"/p-journal/cancel", "", 503, "journal_unavailable"),
		refused("POST", pay+"/p-boom/cancel", "", 500, "internal"),

		// searchPayments
		ok("GET", pay, "", 200),
		ok("GET", pay+"?state=needs_attention&check_id=000153&from=2024-05-01&to=2024-05-31&q=K07&mode=1&mixed=false&limit=10&offset=20", "", 200),
		ok("GET", pay+"?from=2024-05-01T10:00:00%2B03:00&to=2024-05-01T12:00:00Z", "", 200),
		bad("GET", pay+"?limit=0", "", 422, "invalid_query"),
		bad("GET", pay+"?limit=1001", "", 422, "invalid_query"),
		bad("GET", pay+"?offset=-1", "", 422, "invalid_query"),
		bad("GET", pay+"?offset=10001", "", 422, "invalid_query"),
		bad("GET", pay+"?state=lost", "", 422, "invalid_query"),
		bad("GET", pay+"?mode=3", "", 422, "invalid_query"),
		bad("GET", pay+"?mixed=maybe", "", 422, "invalid_query"),
		bad("GET", pay+"?from=01.05.2024", "", 422, "invalid_query"),
		bad("GET", pay+"?q="+strings.Repeat("q", 257), "", 422, "invalid_query"),
		refused("GET", pay+"?status=paid", "", 422, "invalid_query"),                   // unknown parameters are not in OpenAPI 3.0's reach
		refused("GET", pay+"?from=2024-05-02&to=2024-05-01", "", 422, "invalid_query"), // nor is from < to
		refused("GET", pay+"?q=boom", "", 500, "internal"),
	}
	for _, id := range slices.Sorted(func(yield func(string) bool) {
		for id := range conformancePayments() {
			if !yield(id) {
				return
			}
		}
	}) {
		calls = append(calls, ok("GET", pay+"/"+id, "", 200))
	}
	// The Bearer token on every route, this document's included.
	for key := range documented(cf.doc) {
		method, path, _ := strings.Cut(key, " ")
		path = strings.ReplaceAll(path, "{id}", "p-paid")
		body := ""
		if key == "POST /api/v1/payments" {
			body = start("000153", 100, false)
		}
		calls = append(calls,
			call{method: method, path: path, body: body, status: 401, code: "unauthorized"},
			call{method: method, path: path, body: body, status: 401, code: "unauthorized", header: []string{"Authorization", "Bearer wrong"}})
	}
	calls = append(calls, ok("GET", "/healthz", "", 200), ok("GET", "/metrics", "", 200), ok("GET", "/api/v1/openapi.json", "", 200))
	// The browser rules on every route: a Host that is not sbpd's (DNS
	// rebinding), another web page, a body that is not JSON.
	for key, op := range documented(cf.doc) {
		method, path, _ := strings.Cut(key, " ")
		path = strings.ReplaceAll(path, "{id}", "p-paid")
		body := ""
		if key == "POST /api/v1/payments" {
			body = start("000153", 100, false)
		}
		with := func(status int, code string, invalid bool, header ...string) call {
			return call{method: method, path: path, body: body, header: append(slices.Clone(auth), header...),
				status: status, code: code, invalid: invalid}
		}
		calls = append(calls,
			with(421, "unknown_host", false, "Host", "evil.example:8765"),
			with(403, "cross_origin", false, "Origin", "http://evil.example"),
			with(403, "cross_origin", false, "Sec-Fetch-Site", "cross-site"))
		if method == "POST" {
			if body == "" {
				body = `{"check_id":"000153","amount":100}`
			}
			calls = append(calls, with(415, "unsupported_media_type", op.RequestBody != nil, "Content-Type", "text/plain"))
		}
	}

	for _, c := range calls {
		body := cf.do(main.URL, c)
		if c.path == pay+"/p-awaiting/events" {
			// The stream ends with the final payment; the dialog came and went.
			if n := bytes.Count(body, []byte("event: payment\n")); n != 4 {
				t.Errorf("%s: %d events, want 4:\n%s", c, n, body)
			}
		}
		if c.path == "/api/v1/openapi.json" && c.status == 200 && !bytes.Equal(body, OpenAPI()) {
			t.Errorf("GET /api/v1/openapi.json does not serve OpenAPI()")
		}
	}

	// Without a token nothing needs one; without Health /healthz is liveness.
	for _, c := range []call{
		{method: "GET", path: "/healthz", status: 200},
		{method: "GET", path: pay + "/p-attention", status: 200},
		{method: "POST", path: pay, body: start("000153", 25990, false), status: 201},
		{method: "GET", path: "/api/v1/openapi.json", status: 200},
		{method: "GET", path: "/metrics", status: 200},
	} {
		cf.do(open.URL, c)
	}
	cf.do(degraded.URL, ok("GET", "/healthz", "", 503))
	cf.do(broken.URL, refused("GET", "/healthz", "", 500, "internal"))
	cf.do(noSearch.URL, call{method: "GET", path: pay, status: 501, code: "not_implemented"})

	// Over the cap of event streams from one address: the first stays open
	// (the payment is never final), the second is refused.
	capped := conformanceServer(t, &Server{Limits: Limits{StreamsPerPeer: 1}})
	first, err := http.Get(capped.URL + pay + "/p-dialog/events")
	if err != nil {
		t.Fatal(err)
	}
	defer first.Body.Close()
	cf.do(capped.URL, call{method: "GET", path: pay + "/p-dialog/events", status: 429, code: "too_many_streams"})

	// Past the limit of wrong tokens every route answers a wrong token 429
	// too_many_attempts (the right one still passes: TestAuth_WrongTokensLimited).
	locked := conformanceServer(t, &Server{Token: token})
	for range MaxWrongTokens {
		cf.do(locked.URL, call{method: "GET", path: "/healthz", status: 401, code: "unauthorized", header: []string{"Authorization", "Bearer wrong"}})
	}
	for key := range documented(cf.doc) {
		method, path, _ := strings.Cut(key, " ")
		body := ""
		if key == "POST /api/v1/payments" {
			body = start("000153", 100, false)
		}
		cf.do(locked.URL, call{method: method, path: strings.ReplaceAll(path, "{id}", "p-paid"), body: body, status: 429, code: "too_many_attempts",
			header: []string{"Authorization", "Bearer wrong"}})
	}

	cf.checkCovered()
}

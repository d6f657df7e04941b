package paymaster_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sbpd/sbpd/drivers/paymaster"
	"github.com/sbpd/sbpd/drivers/paymaster/sandbox"
	"github.com/sbpd/sbpd/plugin"
)

var ctx = context.Background()

func TestGateway_CreatePayment(t *testing.T) {
	e := newEnv(t, sandbox.Options{}, nil)
	req := request("K07-000153")
	before := time.Now().Add(-time.Second)
	r, err := e.gw.CreatePayment(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	p := e.onlyPayment(t)
	if r.ID != p.ID || r.OrderNo != req.OrderNo || r.Status != plugin.RemoteConfirmation || r.ResultCode != "Success" ||
		r.Amount != 25990 || r.QRPayload == "" || r.QRPayload != p.PaymentURL {
		t.Errorf("remote = %+v\nsandbox = %+v", r, p)
	}
	if r.Created.Before(before.Truncate(time.Second)) || r.Created.After(time.Now()) {
		t.Errorf("created %v", r.Created)
	}
	if p.Amount != 25990 || p.OrderNo != req.OrderNo || p.Description != req.Description+", заказ "+req.OrderNo || !p.TestMode ||
		p.IdempotencyKey != req.IdempotencyKey || !p.Expires.Equal(req.Expires.Truncate(time.Second)) {
		t.Errorf("sandbox payment = %+v", p)
	}
	if e.sb.Calls(sandbox.KindCreate) != 1 || e.sb.Calls(sandbox.KindList) != 0 {
		t.Errorf("calls: create %d, list %d", e.sb.Calls(sandbox.KindCreate), e.sb.Calls(sandbox.KindList))
	}
}

// recorded is one request as it reached the wire.
type recorded struct {
	Method, Path, RawPath string
	Header                http.Header
	Body                  string
}

// spy serves the sandbox's handler on its own loopback server and records
// every request.
func spy(t *testing.T, sb *sandbox.Server) (url string, reqs func() []recorded) {
	var mu sync.Mutex
	var got []recorded
	h := sb.Handler()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		r.Body = io.NopCloser(strings.NewReader(string(body)))
		mu.Lock()
		got = append(got, recorded{r.Method, r.URL.Path, r.URL.EscapedPath(), r.Header.Clone(), string(body)})
		mu.Unlock()
		h.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	return srv.URL, func() []recorded {
		mu.Lock()
		defer mu.Unlock()
		return append([]recorded(nil), got...)
	}
}

func TestGateway_Wire(t *testing.T) {
	e := newEnv(t, sandbox.Options{Stickers: []string{"st-1"}}, nil)
	url, reqs := spy(t, e.sb)
	cfg := e.cfg
	cfg.BaseURL, cfg.UserAgent = url, "sbpd-test/1"
	g := mustGateway(t, cfg)

	req := request("W-1")
	req.Expires = time.Date(2030, 6, 1, 13, 15, 0, 0, time.FixedZone("MSK", 3*3600))
	r, err := g.CreatePayment(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	sreq := request("W-2")
	sreq.StickerID, sreq.Params, sreq.Expires, sreq.Amount = "st-1", nil, time.Time{}, 5
	if _, err := g.CreatePayment(ctx, sreq); err != nil {
		t.Fatal(err)
	}
	g.GetPayment(ctx, r.ID)
	g.CancelPayment(ctx, r.ID)
	g.List(ctx, time.Date(2024, 6, 1, 13, 0, 0, 0, time.FixedZone("MSK", 3*3600)), time.Date(2024, 6, 1, 11, 0, 0, 0, time.UTC))
	_, err = g.GetPayment(ctx, "a/b c?d")
	wantError(t, err, plugin.ENotFound, "not_found")

	got := reqs()
	if len(got) != 6 {
		t.Fatalf("%d requests, want 6", len(got))
	}
	for _, r := range got {
		h := r.Header
		if h.Get("Authorization") != "Bearer "+testToken || h.Get("Accept") != "application/json" || h.Get("User-Agent") != "sbpd-test/1" {
			t.Errorf("%s %s: headers %v", r.Method, r.Path, h)
		}
		if strings.Contains(r.RawPath, testToken) {
			t.Errorf("token in the URL %s", r.RawPath)
		}
		if wantCT := r.Method != "GET" && r.Body != ""; (h.Get("Content-Type") == "application/json") != wantCT {
			t.Errorf("%s %s: Content-Type %q", r.Method, r.Path, h.Get("Content-Type"))
		}
	}
	create := got[0]
	if create.Method != "POST" || create.Path != "/api/v2/payments" || create.Header.Get("Idempotency-Key") != "key-W-1" {
		t.Errorf("create: %+v", create)
	}
	// The method alias as every PayMaster source writes it; the order
	// number also in invoice.params and the description.
	wantBody := `{"merchantId":"` + testMerchant + `","testMode":true,` +
		`"invoice":{"description":"Self-checkout K07, receipt W-1, заказ W-1","orderNo":"W-1","expires":"2030-06-01T10:15:00Z","params":{"kiosk":"K07","orderNo":"W-1"}},` +
		`"amount":{"value":259.90,"currency":"RUB"},"paymentData":{"paymentMethod":"sbp"}}`
	if create.Body != wantBody {
		t.Errorf("create body\n%s\nwant\n%s", create.Body, wantBody)
	}
	if b := got[1].Body; !strings.Contains(b, `"amount":{"value":0.05,"currency":"RUB"}`) ||
		!strings.Contains(b, `"paymentData":{"paymentMethod":"sbp","stickerId":"st-1"}`) || strings.Contains(b, "expires") ||
		!strings.Contains(b, `"params":{"orderNo":"W-2"}`) {
		t.Errorf("sticker create body: %s", b)
	}
	if g := got[2]; g.Method != "GET" || g.Path != "/api/v2/payments/"+r.ID || g.Body != "" || g.Header.Get("Idempotency-Key") != "" {
		t.Errorf("get: %+v", g)
	}
	if c := got[3]; c.Method != "PUT" || c.Path != "/api/v2/payments/"+r.ID+"/cancel" || c.Body != "" {
		t.Errorf("cancel: %+v", c)
	}
	if l := got[4]; l.Path != "/api/v2/payments" {
		t.Errorf("list: %+v", l)
	}
	if esc := got[5].RawPath; esc != "/api/v2/payments/a%2Fb%20c%3Fd" {
		t.Errorf("id not path-escaped: %s", esc)
	}
	rec := e.sb.Requests()
	if q := rec[len(rec)-2]; q.Kind != sandbox.KindList {
		t.Errorf("list request: %+v", q)
	}
}

func TestGateway_ListQuery(t *testing.T) {
	e := newEnv(t, sandbox.Options{}, nil)
	var query string
	h := e.sb.Handler()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		query = r.URL.RawQuery
		h.ServeHTTP(w, r)
	}))
	defer srv.Close()
	cfg := e.cfg
	cfg.BaseURL = srv.URL
	from := time.Date(2024, 6, 1, 13, 0, 0, 0, time.FixedZone("MSK", 3*3600))
	if _, err := mustGateway(t, cfg).List(ctx, from, from.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	want := "end=2024-06-01T11%3A00%3A00Z&merchantId=" + testMerchant + "&start=2024-06-01T10%3A00%3A00Z"
	if query != want {
		t.Errorf("query %s, want %s", query, want)
	}
}

func TestGateway_CreatePayment_Sticker(t *testing.T) {
	e := newEnv(t, sandbox.Options{Stickers: []string{"a1b2c3d4e5f6"}}, nil)
	req := request("S-1")
	req.StickerID = "a1b2c3d4e5f6"
	r, err := e.gw.CreatePayment(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	if r.Status != plugin.RemotePending || r.QRPayload != "" || e.onlyPayment(t).StickerID != "a1b2c3d4e5f6" {
		t.Errorf("sticker payment: %+v", r)
	}

	req = request("S-2")
	req.StickerID = "unknown-sticker"
	_, err = e.gw.CreatePayment(ctx, req)
	pe := wantError(t, err, plugin.ERejected, "validation_error")
	var apiErr *paymaster.APIError
	if !errors.As(err, &apiErr) || apiErr.Status != 400 || len(apiErr.Errors) != 1 || !strings.Contains(apiErr.Errors[0], "unknown-sticker") {
		t.Fatalf("APIError = %+v", apiErr)
	}
	if !strings.Contains(pe.Error(), `PaymentData.StickerId "unknown-sticker" is not a registered sticker`) {
		t.Errorf("errors not visible in %q", pe.Error())
	}
	if e.sb.Calls(sandbox.KindCreate) != 2 || e.sb.Calls(sandbox.KindList) != 0 {
		t.Errorf("a refused create was retried or looked up: create %d, list %d", e.sb.Calls(sandbox.KindCreate), e.sb.Calls(sandbox.KindList))
	}
}

func TestGateway_CreatePayment_ValidationError(t *testing.T) {
	e := newEnv(t, sandbox.Options{}, nil)
	req := request("V-1")
	req.Expires = time.Now().Add(-time.Hour)
	_, err := e.gw.CreatePayment(ctx, req)
	pe := wantError(t, err, plugin.ERejected, "validation_error")
	want := "paymaster: validation_error: Request is invalid, see errors (Invoice.Expires must be in the future) [HTTP 400]"
	if !strings.Contains(err.Error(), want) || pe.Message == "" {
		t.Errorf("error %q, want it to contain %q", err, want)
	}
	if len(e.sb.Payments()) != 0 {
		t.Error("a payment was created")
	}
}

func TestGateway_CreatePayment_BadRequest(t *testing.T) {
	e := newEnv(t, sandbox.Options{}, nil)
	edits := map[string]func(*plugin.CreateRequest){
		"no order":       func(r *plugin.CreateRequest) { r.OrderNo = "" },
		"no description": func(r *plugin.CreateRequest) { r.Description = " " },
		"zero amount":    func(r *plugin.CreateRequest) { r.Amount = 0 },
		"negative":       func(r *plugin.CreateRequest) { r.Amount = -100 },
		"no key":         func(r *plugin.CreateRequest) { r.IdempotencyKey = "" },
	}
	for name, edit := range edits {
		req := request("B-1")
		edit(&req)
		_, err := e.gw.CreatePayment(ctx, req)
		if plugin.ErrorCode(err) != plugin.EInvalid {
			t.Errorf("%s: %v, want code invalid", name, err)
		}
	}
	if n := len(e.sb.Requests()); n != 0 {
		t.Errorf("%d requests sent for invalid input", n)
	}
	if _, err := e.gw.GetPayment(ctx, ""); plugin.ErrorCode(err) != plugin.EInvalid {
		t.Errorf("GetPayment(\"\"): %v", err)
	}
	if err := e.gw.CancelPayment(ctx, ""); plugin.ErrorCode(err) != plugin.EInvalid {
		t.Errorf("CancelPayment(\"\"): %v", err)
	}
	if _, _, err := e.gw.FindPayment(ctx, "", time.Now()); plugin.ErrorCode(err) != plugin.EInvalid {
		t.Errorf("FindPayment(\"\"): %v", err)
	}
}

func TestGateway_GetPayment(t *testing.T) {
	e := newEnv(t, sandbox.Options{}, nil)
	create := func(order string) string {
		r, err := e.gw.CreatePayment(ctx, request(order))
		if err != nil {
			t.Fatal(err)
		}
		return r.ID
	}
	paid, short, declined, expired := create("G-1"), create("G-2"), create("G-3"), create("G-4")
	e.sb.Pay(paid)
	e.sb.PayAmount(short, 100)
	e.sb.Decline(declined, "InsufficientFunds")
	e.sb.Expire(expired)
	tests := []struct {
		id     string
		status plugin.RemoteStatus
		code   string
		amount int64
	}{
		{paid, plugin.RemoteSettled, "Success", 25990},
		{short, plugin.RemoteSettled, "Success", 100},
		{declined, plugin.RemoteRejected, "InsufficientFunds", 25990},
		{expired, plugin.RemoteCancelled, "PaymentExpired", 25990},
	}
	for _, tt := range tests {
		r, err := e.gw.GetPayment(ctx, tt.id)
		if err != nil {
			t.Fatal(err)
		}
		if r.ID != tt.id || r.Status != tt.status || r.ResultCode != tt.code || r.Amount != tt.amount || r.QRPayload != "" {
			t.Errorf("%s: %+v", tt.id, r)
		}
		if e.sb.PaymentCalls(tt.id, sandbox.KindGet) != 1 {
			t.Errorf("%s: %d GETs", tt.id, e.sb.PaymentCalls(tt.id, sandbox.KindGet))
		}
	}
	_, err := e.gw.GetPayment(ctx, "12345")
	pe := wantError(t, err, plugin.ENotFound, "not_found")
	var apiErr *paymaster.APIError
	if !errors.As(pe, &apiErr) || apiErr.Status != 404 {
		t.Errorf("404: %v", err)
	}
	if e.sb.Calls(sandbox.KindGet) != 5 {
		t.Errorf("a 404 was retried: %d GETs", e.sb.Calls(sandbox.KindGet))
	}
}

func TestGateway_CancelPayment(t *testing.T) {
	e := newEnv(t, sandbox.Options{}, nil)
	create := func(order string) string {
		r, err := e.gw.CreatePayment(ctx, request(order))
		if err != nil {
			t.Fatal(err)
		}
		return r.ID
	}
	t.Run("accepted", func(t *testing.T) {
		id := create("X-1")
		if err := e.gw.CancelPayment(ctx, id); err != nil {
			t.Fatal(err)
		}
		r, _ := e.gw.GetPayment(ctx, id)
		if r.Status != plugin.RemoteCancelled || r.ResultCode != "CancelledByUser" {
			t.Errorf("after cancel: %+v", r)
		}
		if plugin.ReasonFor(r, true) != plugin.ReasonCancelled {
			t.Errorf("ReasonFor = %s", plugin.ReasonFor(r, true))
		}
		if n := e.sb.PaymentCalls(id, sandbox.KindCancel); n != 1 {
			t.Errorf("%d cancel calls, want exactly 1", n)
		}
		// A second cancel of a final payment is refused.
		err := e.gw.CancelPayment(ctx, id)
		wantError(t, err, plugin.ERejected, "invalid_operation")
		if n := e.sb.PaymentCalls(id, sandbox.KindCancel); n != 2 {
			t.Errorf("a refused cancel was retried: %d calls", n)
		}
	})
	t.Run("late settle", func(t *testing.T) {
		e.sb.SetCancelMode(sandbox.CancelAcceptPending)
		defer e.sb.SetCancelMode(sandbox.CancelAccept)
		id := create("X-2")
		if err := e.gw.CancelPayment(ctx, id); err != nil {
			t.Fatal(err)
		}
		if r, _ := e.gw.GetPayment(ctx, id); r.Status != plugin.RemoteConfirmation {
			t.Errorf("after accepted cancel: %s", r.Status)
		}
		e.sb.Pay(id)
		if r, _ := e.gw.GetPayment(ctx, id); r.Status != plugin.RemoteSettled {
			t.Errorf("late settle: %s", r.Status)
		}
	})
	t.Run("rejected", func(t *testing.T) {
		e.sb.SetCancelMode(sandbox.CancelReject)
		defer e.sb.SetCancelMode(sandbox.CancelAccept)
		id := create("X-3")
		err := e.gw.CancelPayment(ctx, id)
		wantError(t, err, plugin.ERejected, "invalid_operation")
	})
	t.Run("unknown", func(t *testing.T) {
		wantError(t, e.gw.CancelPayment(ctx, "777"), plugin.ENotFound, "")
	})
}

func TestGateway_List(t *testing.T) {
	e := newEnv(t, sandbox.Options{PageSize: 3}, nil)
	var ids []string
	for i := range 8 {
		r, err := e.gw.CreatePayment(ctx, request(fmt.Sprint("L-", i)))
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, r.ID)
	}
	now := time.Now()
	list, err := e.gw.List(ctx, now.Add(-time.Hour), now.Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, r := range list {
		got = append(got, r.ID)
		if r.OrderNo == "" || r.Amount != 25990 || r.Status == "" {
			t.Errorf("list item %+v", r)
		}
	}
	if strings.Join(got, ",") != strings.Join(ids, ",") {
		t.Errorf("listed %v, want %v", got, ids)
	}
	if n := e.sb.Calls(sandbox.KindList); n != 3 {
		t.Errorf("%d list pages fetched, want 3", n)
	}
	reqs := e.sb.Requests()
	if n := len(reqs); reqs[n-1].Kind != sandbox.KindList || reqs[n-2].Kind != sandbox.KindList {
		t.Errorf("requests: %+v", reqs[n-3:])
	}

	empty, err := e.gw.List(ctx, now.Add(-2*time.Hour), now.Add(-time.Hour))
	if err != nil || len(empty) != 0 {
		t.Errorf("empty window: %v, %v", empty, err)
	}

	r, ok, err := e.gw.FindPayment(ctx, "L-6", now)
	if err != nil || !ok || r.ID != ids[6] {
		t.Errorf("FindPayment(L-6) = %+v, %v, %v", r, ok, err)
	}
	if _, ok, err := e.gw.FindPayment(ctx, "L-66", now); ok || err != nil {
		t.Errorf("FindPayment(L-66) = %v, %v", ok, err)
	}
	if _, ok, err := e.gw.FindPayment(ctx, "L-6", now.Add(paymaster.FindWindow+time.Minute)); ok || err != nil {
		t.Errorf("FindPayment outside the window = %v, %v", ok, err)
	}
}

func TestGateway_FindPayment_Duplicates(t *testing.T) {
	e := newEnv(t, sandbox.Options{}, nil)
	var ids []string
	for i := range 3 {
		req := request("D-1")
		req.IdempotencyKey = fmt.Sprint("dup-", i)
		r, err := e.gw.CreatePayment(ctx, req)
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, r.ID)
	}
	e.sb.Pay(ids[1])
	e.sb.Expire(ids[2])
	r, ok, err := e.gw.FindPayment(ctx, "D-1", time.Now())
	if err != nil || !ok || r.ID != ids[1] {
		t.Errorf("FindPayment = %+v, %v, %v; want the settled %s", r, ok, err, ids[1])
	}
	if !strings.Contains(e.logs.String(), "several payments share an order number") {
		t.Error("duplicates not logged")
	}
}

func TestGateway_UnknownStatus(t *testing.T) {
	e := newEnv(t, sandbox.Options{}, nil)
	r, err := e.gw.CreatePayment(ctx, request("U-1"))
	if err != nil {
		t.Fatal(err)
	}
	e.sb.SetStatus(r.ID, "Refunded")
	got, err := e.gw.GetPayment(ctx, r.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Status != "Refunded" || got.Status.Known() || got.Status.Final() {
		t.Errorf("status %q", got.Status)
	}
	logs := e.logs.String()
	if !strings.Contains(logs, "unknown payment status") || !strings.Contains(logs, "status=Refunded") || !strings.Contains(logs, "level=WARN") {
		t.Errorf("unknown status not logged:\n%s", logs)
	}
}

// TestGateway_UnknownFields puts a proxy in front of the sandbox that adds
// fields the driver has never heard of to every JSON object it answers.
func TestGateway_UnknownFields(t *testing.T) {
	e := newEnv(t, sandbox.Options{}, nil)
	h := e.sb.Handler()
	var addFields func(v any) any
	addFields = func(v any) any {
		switch x := v.(type) {
		case map[string]any:
			for k, c := range x {
				x[k] = addFields(c)
			}
			x["futureField"] = map[string]any{"nested": []any{1, "two", nil}}
			x["paymentInstrumentTitle"] = "Sberbank"
		case []any:
			for i, c := range x {
				x[i] = addFields(c)
			}
		}
		return v
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, r)
		var v any
		dec := json.NewDecoder(rec.Body)
		dec.UseNumber()
		if err := dec.Decode(&v); err == nil {
			b, _ := json.Marshal(addFields(v))
			rec.Body.Reset()
			rec.Body.Write(b)
		}
		for k, vs := range rec.Header() {
			if k != "Content-Length" {
				w.Header()[k] = vs
			}
		}
		w.WriteHeader(rec.Code)
		w.Write(rec.Body.Bytes())
	}))
	defer srv.Close()
	cfg := e.cfg
	cfg.BaseURL = srv.URL
	g := mustGateway(t, cfg)
	r, err := g.CreatePayment(ctx, request("F-1"))
	if err != nil || r.QRPayload == "" || r.Amount != 25990 {
		t.Fatalf("create: %+v, %v", r, err)
	}
	if got, err := g.GetPayment(ctx, r.ID); err != nil || got.ID != r.ID {
		t.Errorf("get: %+v, %v", got, err)
	}
	if _, ok, err := g.FindPayment(ctx, "F-1", time.Now()); err != nil || !ok {
		t.Errorf("find: %v, %v", ok, err)
	}
}

func TestGateway_QRAfterGets(t *testing.T) {
	e := newEnv(t, sandbox.Options{}, nil)
	e.sb.SetQRAfterGets(2)
	r, err := e.gw.CreatePayment(ctx, request("Q-1"))
	if err != nil {
		t.Fatal(err)
	}
	if r.Status != plugin.RemotePending || r.QRPayload != "" {
		t.Fatalf("create: %+v", r)
	}
	for i := 1; i <= 3; i++ {
		got, err := e.gw.GetPayment(ctx, r.ID)
		if err != nil {
			t.Fatal(err)
		}
		if wantQR := i == 3; (got.QRPayload != "") != wantQR {
			t.Errorf("GET %d: status %s, QR %q", i, got.Status, got.QRPayload)
		}
		if i == 3 && (got.QRPayload != e.onlyPayment(t).PaymentURL || got.Status != plugin.RemoteConfirmation) {
			t.Errorf("GET 3: %+v", got)
		}
	}
	if n := e.sb.Calls(sandbox.KindGet); n != 3 {
		t.Errorf("the driver polled on its own: %d GETs", n)
	}
}

func TestGateway_Expiry(t *testing.T) {
	clock := fakeClock{clockworkAt(time.Date(2024, 6, 1, 10, 0, 0, 0, time.UTC))}
	e := newEnv(t, sandbox.Options{Clock: clock}, func(c *paymaster.Config) { c.Clock = clock })
	req := request("E-1")
	req.Expires = clock.Now().Add(5 * time.Minute)
	r, err := e.gw.CreatePayment(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	clock.Advance(4 * time.Minute)
	if got, _ := e.gw.GetPayment(ctx, r.ID); got.Status != plugin.RemoteConfirmation {
		t.Errorf("before expiry: %s", got.Status)
	}
	clock.Advance(time.Minute)
	got, err := e.gw.GetPayment(ctx, r.ID)
	if err != nil || got.Status != plugin.RemoteCancelled || got.ResultCode != "PaymentExpired" {
		t.Errorf("after expiry: %+v, %v", got, err)
	}
	if plugin.ReasonFor(got, false) != plugin.ReasonExpired {
		t.Errorf("ReasonFor = %s", plugin.ReasonFor(got, false))
	}
	if !got.Created.Equal(time.Date(2024, 6, 1, 10, 0, 0, 0, time.UTC)) {
		t.Errorf("created %v: the sandbox's clock", got.Created)
	}
}

func TestGateway_Concurrent(t *testing.T) {
	e := newEnv(t, sandbox.Options{}, nil)
	e.sb.AddFault(sandbox.Fault{Method: "GET", Status: 503, Times: 5})
	var wg sync.WaitGroup
	errs := make(chan error, 40)
	for i := range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r, err := e.gw.CreatePayment(ctx, request(fmt.Sprint("P-", i)))
			if err != nil {
				errs <- err
				return
			}
			if _, err := e.gw.GetPayment(ctx, r.ID); err != nil {
				errs <- err
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if n := len(e.sb.Payments()); n != 20 {
		t.Errorf("%d payments, want 20", n)
	}
}

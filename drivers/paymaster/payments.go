package paymaster

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/sbpd/sbpd/plugin"
)

// CreatePayment asks PayMaster for an SBP payment: a dynamic QR, or with
// req.StickerID an activation of that cash-link sticker.
//
// Besides invoice.orderNo, the order number goes into invoice.params
// (OrderNoParam) and, unless it names it already, the description
// (", заказ <order number>"), so that the payment can be found in list
// rows that do not echo invoice.orderNo.
//
// Every try carries req.IdempotencyKey. When PayMaster answers
// idempotency_key_violation, or the outcome is unknown (no answer after the
// retries, a 5xx, a success that does not decode), the payment is looked up
// by req.OrderNo and returned instead of creating another. If the lookup
// finds nothing the error has code EUnavailable and the reason
// idempotency_key_violation (PayMaster has a payment made with the key
// that the list does not show) or outcome_unknown.
//
// At most MaxCreatePosts create requests go out with one key; after that,
// and from the first idempotency_key_violation on, a call only looks the
// payment up.
func (g *Gateway) CreatePayment(ctx context.Context, req plugin.CreateRequest) (plugin.Remote, error) {
	const op = "create payment"
	if err := validateCreate(req); err != nil {
		return plugin.Remote{}, err
	}
	params := make(map[string]string, len(req.Params)+1)
	for k, v := range req.Params {
		params[k] = v
	}
	params[OrderNoParam] = req.OrderNo
	body := createRequestJSON{
		MerchantID: g.cfg.MerchantID,
		TestMode:   g.cfg.TestMode,
		Invoice: invoiceJSON{
			Description: withOrderNo(req.Description, req.OrderNo),
			OrderNo:     req.OrderNo,
			Params:      params,
		},
		Amount:      amountJSON{Value: FormatAmount(req.Amount), Currency: "RUB"},
		PaymentData: paymentDataJSON{PaymentMethod: PaymentMethodSBP, StickerID: req.StickerID},
	}
	if !req.Expires.IsZero() {
		body.Invoice.Expires = formatTime(req.Expires)
	}
	data, err := json.Marshal(body)
	if err != nil {
		return plugin.Remote{}, fmt.Errorf("paymaster: encode create request: %w", err)
	}

	first, refusal, tries := g.keys.reserve(req.IdempotencyKey, g.cfg.Clock.Now(), g.cfg.RetryMax+1)
	switch {
	case refusal != nil:
		g.log.WarnContext(ctx, "paymaster: PayMaster refused this idempotency key before; looking the payment up, not creating", "order_no", req.OrderNo)
		return g.recoverCreate(ctx, req, first, refusal, "idempotency_key_violation")
	case tries == 0:
		g.log.WarnContext(ctx, "paymaster: the create was sent as often as allowed; looking the payment up, not creating", "order_no", req.OrderNo, "sent", MaxCreatePosts)
		return g.recoverCreate(ctx, req, first,
			fmt.Errorf("paymaster: the create was sent %d times with this idempotency key and is not sent again", MaxCreatePosts), "outcome_unknown")
	}
	r, sent, err := g.send(ctx, http.MethodPost, "/api/v2/payments", nil, data, req.IdempotencyKey, tries-1)
	g.keys.settle(req.IdempotencyKey, tries, sent)
	var unknown error // why the outcome is unknown; nil if it is known
	switch {
	case err != nil:
		if ctx.Err() != nil {
			// The caller gave up; a lookup would fail the same way.
			return plugin.Remote{}, unavailable(op, plugin.GatewayCanceled, err)
		}
		unknown = err
	case ok2xx(r.status) && documentedError(r.body) == "":
		remote, derr := decodePayment(r.body)
		if derr == nil {
			if remote.OrderNo == "" {
				remote.OrderNo = req.OrderNo
			}
			g.checkStatus(ctx, remote)
			g.log.InfoContext(ctx, "paymaster: payment created", "id", remote.ID, "order_no", remote.OrderNo, "status", string(remote.Status))
			return remote, nil
		}
		unknown = fmt.Errorf("paymaster: create answered HTTP %d but the payment did not decode: %w", r.status, derr)
	default:
		herr := g.httpError(op, r, false)
		switch {
		case herr.Reason == "idempotency_key_violation":
			var apiErr *APIError
			if errors.As(herr, &apiErr) {
				g.keys.refuse(req.IdempotencyKey, apiErr)
			}
			g.log.WarnContext(ctx, "paymaster: idempotency key already used; looking the payment up", "order_no", req.OrderNo)
			return g.recoverCreate(ctx, req, first, herr.Err, "idempotency_key_violation")
		case herr.Code == plugin.EUnavailable:
			unknown = herr.Err
		default:
			return plugin.Remote{}, herr
		}
	}
	g.log.WarnContext(ctx, "paymaster: create outcome unknown; looking the payment up", "order_no", req.OrderNo, "error", unknown)
	return g.recoverCreate(ctx, req, first, unknown, "outcome_unknown")
}

// recoverCreate finds the payment a create may have made: in the list from
// FindWindow before the key's first create (first) to FindWindow after
// now. cause is why it is needed; reason is the error's reason when the
// payment is not found.
func (g *Gateway) recoverCreate(ctx context.Context, req plugin.CreateRequest, first time.Time, cause error, reason string) (plugin.Remote, error) {
	const op = "create payment"
	now := g.cfg.Clock.Now()
	from, to := first.Add(-FindWindow), now.Add(FindWindow)
	if now.Before(first) {
		from = now.Add(-FindWindow)
	}
	remote, found, err := g.find(ctx, req.OrderNo, from, to)
	if err != nil {
		return plugin.Remote{}, unavailable(op, "lookup_failed",
			fmt.Errorf("%w; then looking order %q up failed: %w", cause, req.OrderNo, err))
	}
	if found {
		if remote.Amount != req.Amount {
			g.log.WarnContext(ctx, "paymaster: recovered payment has another amount", "id", remote.ID, "want", req.Amount, "got", remote.Amount)
		}
		g.log.InfoContext(ctx, "paymaster: payment recovered by order number", "id", remote.ID, "order_no", remote.OrderNo, "status", string(remote.Status))
		return remote, nil
	}
	return plugin.Remote{}, unavailable(op, reason,
		fmt.Errorf("%w; payment with order %q not found in the list from %s to %s (by invoice.orderNo, invoice.params.%s or the description)",
			cause, req.OrderNo, formatTime(from), formatTime(to), OrderNoParam))
}

func validateCreate(req plugin.CreateRequest) error {
	var bad []string
	if strings.TrimSpace(req.OrderNo) == "" {
		bad = append(bad, "order number is empty")
	}
	if strings.TrimSpace(req.Description) == "" {
		bad = append(bad, "description is empty")
	}
	if req.Amount <= 0 {
		bad = append(bad, fmt.Sprintf("amount %d is not a positive number of kopecks", req.Amount))
	}
	if strings.TrimSpace(req.IdempotencyKey) == "" {
		bad = append(bad, "idempotency key is empty")
	}
	if len(bad) > 0 {
		return &plugin.Error{Code: plugin.EInvalid, Reason: "invalid_create_request",
			Message: "paymaster: create payment: " + strings.Join(bad, "; ")}
	}
	return nil
}

// GetPayment reads one payment.
func (g *Gateway) GetPayment(ctx context.Context, id string) (plugin.Remote, error) {
	const op = "get payment"
	if id == "" {
		return plugin.Remote{}, &plugin.Error{Code: plugin.EInvalid, Message: "paymaster: get payment: empty id"}
	}
	r, err := g.call(ctx, http.MethodGet, paymentPath(id), nil, nil, "")
	if err != nil {
		return plugin.Remote{}, unavailable(op, plugin.GatewayNoAnswer, err)
	}
	if !ok2xx(r.status) || documentedError(r.body) != "" {
		return plugin.Remote{}, g.httpError(op, r, true)
	}
	remote, err := decodePayment(r.body)
	if err != nil {
		return plugin.Remote{}, unavailable(op, plugin.GatewayBadAnswer, fmt.Errorf("payment %s: %w", id, err))
	}
	if remote.ID != id {
		return plugin.Remote{}, unavailable(op, plugin.GatewayBadAnswer, fmt.Errorf("paymaster: asked for payment %s, got %s", id, remote.ID))
	}
	g.checkStatus(ctx, remote)
	return remote, nil
}

// CancelPayment sends one cancel. A 2xx with an empty body (or any JSON
// that is not an error) means PayMaster accepted it, not that the payment
// is cancelled: read it again to learn the outcome. A 2xx whose body is
// not JSON (an HTML page, a cut answer) leaves the outcome unknown, like no
// answer at all: the error has code EUnavailable and reason bad_answer or
// no_answer. An error body is a refusal, whatever the status.
func (g *Gateway) CancelPayment(ctx context.Context, id string) error {
	const op = "cancel payment"
	if id == "" {
		return &plugin.Error{Code: plugin.EInvalid, Message: "paymaster: cancel payment: empty id"}
	}
	r, err := g.call(ctx, http.MethodPut, paymentPath(id)+"/cancel", nil, nil, "")
	if err != nil {
		return unavailable(op, plugin.GatewayNoAnswer, err)
	}
	if ok2xx(r.status) && documentedError(r.body) == "" {
		if b := bytes.TrimSpace(r.body); len(b) > 0 && !json.Valid(b) {
			return unavailable(op, plugin.GatewayBadAnswer, fmt.Errorf("paymaster: cancel of payment %s answered HTTP %d with a body that is not JSON, so its outcome is unknown: %s",
				id, r.status, snippet(plugin.Redact(string(b), g.cfg.Token))))
		}
	} else {
		herr := g.httpError(op, r, true)
		if r.tries > 1 && herr.Reason == "invalid_operation" {
			// An earlier try may have been carried out without its answer
			// reaching us. If the payment is final now, the cancel did its
			// job or was moot; the caller reads the outcome anyway.
			if remote, gerr := g.GetPayment(ctx, id); gerr == nil && remote.Status.Final() {
				g.log.WarnContext(ctx, "paymaster: retried cancel refused, but the payment is final", "id", id, "status", string(remote.Status))
				return nil
			}
		}
		return herr
	}
	g.log.InfoContext(ctx, "paymaster: cancel accepted", "id", id, "tries", r.tries)
	return nil
}

// FindPayment looks for the payment with this order number among those
// created within FindWindow of around, following the list's cursor. A row
// is matched on invoice.orderNo when it echoes one, else on
// invoice.params.orderNo or the order number as a whole word of its
// description (see CreatePayment). If several match (it should not
// happen), a Settled one wins, then one not final, then the newest.
func (g *Gateway) FindPayment(ctx context.Context, orderNo string, around time.Time) (plugin.Remote, bool, error) {
	if orderNo == "" {
		return plugin.Remote{}, false, &plugin.Error{Code: plugin.EInvalid, Message: "paymaster: find payment: empty order number"}
	}
	return g.find(ctx, orderNo, around.Add(-FindWindow), around.Add(FindWindow))
}

// find is FindPayment over the payments created between from and to.
func (g *Gateway) find(ctx context.Context, orderNo string, from, to time.Time) (plugin.Remote, bool, error) {
	rows, err := g.list(ctx, from, to)
	if err != nil {
		return plugin.Remote{}, false, err
	}
	var match []plugin.Remote
	for _, r := range rows {
		if r.refs.names(orderNo) {
			if r.OrderNo == "" {
				r.OrderNo = orderNo // named by the description
			}
			match = append(match, r.Remote)
		}
	}
	if len(match) == 0 {
		return plugin.Remote{}, false, nil
	}
	if len(match) > 1 {
		ids := make([]string, len(match))
		for i, m := range match {
			ids[i] = m.ID
		}
		g.log.WarnContext(ctx, "paymaster: several payments share an order number", "order_no", orderNo, "ids", strings.Join(ids, ","))
	}
	return best(match), true, nil
}

func best(rs []plugin.Remote) plugin.Remote {
	rank := func(r plugin.Remote) int {
		switch {
		case r.Status == plugin.RemoteSettled:
			return 2
		case !r.Status.Final():
			return 1
		}
		return 0
	}
	b := rs[0]
	for _, r := range rs[1:] {
		if rank(r) > rank(b) || (rank(r) == rank(b) && r.Created.After(b.Created)) {
			b = r
		}
	}
	return b
}

// List returns the payments created between from and to, following the
// list's cursor through every page.
func (g *Gateway) List(ctx context.Context, from, to time.Time) ([]plugin.Remote, error) {
	rows, err := g.list(ctx, from, to)
	if err != nil {
		return nil, err
	}
	out := make([]plugin.Remote, len(rows))
	for i, r := range rows {
		out[i] = r.Remote
	}
	return out, nil
}

// listRow is a payment of the list with the places that name its order.
type listRow struct {
	plugin.Remote
	refs orderRefs
}

func (g *Gateway) list(ctx context.Context, from, to time.Time) ([]listRow, error) {
	const op = "list payments"
	q := url.Values{}
	q.Set("merchantId", g.cfg.MerchantID)
	q.Set("start", formatTime(from))
	q.Set("end", formatTime(to))
	var out []listRow
	seen := map[string]bool{}
	for page := 1; ; page++ {
		r, err := g.call(ctx, http.MethodGet, "/api/v2/payments", q, nil, "")
		if err != nil {
			return nil, unavailable(op, plugin.GatewayNoAnswer, err)
		}
		if !ok2xx(r.status) || documentedError(r.body) != "" {
			return nil, g.httpError(op, r, false)
		}
		var l listJSON
		if err := json.Unmarshal(r.body, &l); err != nil {
			return nil, unavailable(op, plugin.GatewayBadAnswer, fmt.Errorf("paymaster: decode list page %d: %w", page, err))
		}
		for i, item := range l.Items {
			remote, refs, err := decodeRow(item)
			if err != nil {
				return nil, unavailable(op, plugin.GatewayBadAnswer, fmt.Errorf("paymaster: list page %d item %d: %w", page, i, err))
			}
			g.checkStatus(ctx, remote)
			out = append(out, listRow{remote, refs})
		}
		if l.Cursor == "" {
			return out, nil
		}
		if seen[l.Cursor] || page >= maxListPages {
			return nil, unavailable(op, plugin.GatewayBadAnswer, errors.New("paymaster: the list cursor does not advance"))
		}
		seen[l.Cursor] = true
		q.Set("cursor", l.Cursor)
	}
}

// checkStatus logs a status string the API documentation does not list.
// The status is kept as it is; the flow treats it as pending.
func (g *Gateway) checkStatus(ctx context.Context, r plugin.Remote) {
	if !r.Status.Known() {
		g.log.WarnContext(ctx, "paymaster: unknown payment status", "id", r.ID, "status", string(r.Status), "result_code", r.ResultCode)
	}
}

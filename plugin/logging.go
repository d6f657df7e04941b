package plugin

import (
	"context"
	"log/slog"
)

// Every log line about a payment carries the payment's id and its check id,
// whichever package writes it: the engine puts them into the context it
// passes to the gateway, the printer and the journal, and LogHandler adds
// them to any record logged with that context (slog's ...Context methods).

type paymentKey struct{}

type paymentIDs struct{ id, checkID string }

// WithPayment returns ctx marked as work on one payment.
func WithPayment(ctx context.Context, id, checkID string) context.Context {
	return context.WithValue(ctx, paymentKey{}, paymentIDs{id, checkID})
}

// PaymentFrom returns the payment ctx was marked with by WithPayment.
func PaymentFrom(ctx context.Context) (id, checkID string, ok bool) {
	v, ok := ctx.Value(paymentKey{}).(paymentIDs)
	return v.id, v.checkID, ok
}

// LogHandler wraps h so that a record logged with a context marked by
// WithPayment gets payment_id and check_id attributes, unless the logger
// already has them.
func LogHandler(h slog.Handler) slog.Handler { return &logHandler{inner: h} }

type logHandler struct {
	inner slog.Handler
	has   bool // the logger's own attributes carry payment_id already
}

func (h *logHandler) Enabled(ctx context.Context, l slog.Level) bool {
	return h.inner.Enabled(ctx, l)
}

func (h *logHandler) Handle(ctx context.Context, r slog.Record) error {
	if id, check, ok := PaymentFrom(ctx); ok && !h.has && !recordHas(r, "payment_id") {
		r = r.Clone()
		r.AddAttrs(slog.String("payment_id", id), slog.String("check_id", check))
	}
	return h.inner.Handle(ctx, r)
}

func (h *logHandler) WithAttrs(as []slog.Attr) slog.Handler {
	has := h.has
	for _, a := range as {
		has = has || a.Key == "payment_id"
	}
	return &logHandler{inner: h.inner.WithAttrs(as), has: has}
}

func (h *logHandler) WithGroup(name string) slog.Handler {
	return &logHandler{inner: h.inner.WithGroup(name), has: h.has}
}

func recordHas(r slog.Record, key string) bool {
	found := false
	r.Attrs(func(a slog.Attr) bool {
		found = a.Key == key
		return !found
	})
	return found
}

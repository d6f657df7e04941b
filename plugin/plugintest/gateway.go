package plugintest

import (
	"context"
	"time"

	"github.com/sbpd/sbpd/plugin"
)

// Gateway is a plugin.Gateway whose methods call the matching function
// field. A call whose field is nil panics: the test did not expect it.
type Gateway struct {
	CreatePaymentFn func(ctx context.Context, req plugin.CreateRequest) (plugin.Remote, error)
	GetPaymentFn    func(ctx context.Context, id string) (plugin.Remote, error)
	CancelPaymentFn func(ctx context.Context, id string) error
	FindPaymentFn   func(ctx context.Context, orderNo string, around time.Time) (plugin.Remote, bool, error)
}

var _ plugin.Gateway = (*Gateway)(nil)

func (g *Gateway) CreatePayment(ctx context.Context, req plugin.CreateRequest) (plugin.Remote, error) {
	return g.CreatePaymentFn(ctx, req)
}

func (g *Gateway) GetPayment(ctx context.Context, id string) (plugin.Remote, error) {
	return g.GetPaymentFn(ctx, id)
}

func (g *Gateway) CancelPayment(ctx context.Context, id string) error {
	return g.CancelPaymentFn(ctx, id)
}

func (g *Gateway) FindPayment(ctx context.Context, orderNo string, around time.Time) (plugin.Remote, bool, error) {
	return g.FindPaymentFn(ctx, orderNo, around)
}

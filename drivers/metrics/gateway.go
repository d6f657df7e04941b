package metrics

import (
	"context"
	"sync"
	"time"

	"github.com/sbpd/sbpd/plugin"
)

// Gateway is a plugin.Gateway that counts every PayMaster call for
// /metrics and remembers PayMaster's last answer for /healthz.
type Gateway struct {
	plugin.Gateway
	clock   plugin.Clock
	metrics *Metrics // nil: not counted

	mu      sync.Mutex
	lastOK  time.Time
	lastErr time.Time
	errMsg  string
}

// NewGateway watches gw; m may be nil.
func NewGateway(gw plugin.Gateway, clock plugin.Clock, m *Metrics) *Gateway {
	return &Gateway{Gateway: gw, clock: clock, metrics: m}
}

// PayMasterHealth is PayMaster's part of /healthz: HealthUnknown before the
// first call, HealthOK with the time of the last answer, or
// HealthUnreachable since the last failure, with its error.
type PayMasterHealth struct {
	Error      string     `json:"error,omitempty"`
	LastAnswer *time.Time `json:"last_answer,omitempty"`
	Since      *time.Time `json:"since,omitempty"`
	Status     string     `json:"status"`
}

// Health says whether PayMaster answered the last call.
func (g *Gateway) Health() PayMasterHealth {
	g.mu.Lock()
	defer g.mu.Unlock()
	switch {
	case g.lastOK.IsZero() && g.lastErr.IsZero():
		return PayMasterHealth{Status: HealthUnknown}
	case g.lastErr.After(g.lastOK):
		since := g.lastErr.UTC()
		return PayMasterHealth{Status: HealthUnreachable, Since: &since, Error: g.errMsg}
	default:
		last := g.lastOK.UTC()
		return PayMasterHealth{Status: HealthOK, LastAnswer: &last}
	}
}

// note counts a call; a refusal or "not found" is an answer too.
func (g *Gateway) note(endpoint string, start time.Time, err error) {
	if g.metrics != nil {
		g.metrics.PayMasterCall(endpoint, err, time.Since(start))
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	if err == nil || plugin.ErrorCode(err) == plugin.ERejected || plugin.ErrorCode(err) == plugin.ENotFound {
		g.lastOK = g.clock.Now()
		return
	}
	g.lastErr, g.errMsg = g.clock.Now(), err.Error()
}

// CreatePayment calls the gateway and counts the call.
func (g *Gateway) CreatePayment(ctx context.Context, req plugin.CreateRequest) (plugin.Remote, error) {
	start := time.Now()
	r, err := g.Gateway.CreatePayment(ctx, req)
	g.note("create", start, err)
	return r, err
}

// GetPayment calls the gateway and counts the call.
func (g *Gateway) GetPayment(ctx context.Context, id string) (plugin.Remote, error) {
	start := time.Now()
	r, err := g.Gateway.GetPayment(ctx, id)
	g.note("get", start, err)
	return r, err
}

// CancelPayment calls the gateway and counts the call.
func (g *Gateway) CancelPayment(ctx context.Context, id string) error {
	start := time.Now()
	err := g.Gateway.CancelPayment(ctx, id)
	g.note("cancel", start, err)
	return err
}

// FindPayment calls the gateway and counts the call.
func (g *Gateway) FindPayment(ctx context.Context, orderNo string, around time.Time) (plugin.Remote, bool, error) {
	start := time.Now()
	r, ok, err := g.Gateway.FindPayment(ctx, orderNo, around)
	g.note("find", start, err)
	return r, ok, err
}

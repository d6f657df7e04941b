package metrics_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/sbpd/sbpd/drivers/metrics"
	"github.com/sbpd/sbpd/plugin"
	"github.com/sbpd/sbpd/plugin/plugintest"
)

// The gateway's health follows the last call: a refusal or "not found" is
// an answer, a failure to reach PayMaster is not.
func TestGateway_Health(t *testing.T) {
	cases := map[string]struct {
		errs []error
		want string
	}{
		"no call":             {want: "unknown"},
		"answered":            {errs: []error{nil}, want: "ok"},
		"refused is answered": {errs: []error{plugin.Errorf(plugin.ERejected, "no")}, want: "ok"},
		"not found":           {errs: []error{plugin.Errorf(plugin.ENotFound, "none")}, want: "ok"},
		"unreachable":         {errs: []error{nil, plugin.Errorf(plugin.EUnavailable, "down")}, want: "unreachable"},
		"back again":          {errs: []error{errors.New("down"), nil}, want: "ok"},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			clock := plugintest.NewClock()
			i := 0
			fake := &plugintest.Gateway{GetPaymentFn: func(context.Context, string) (plugin.Remote, error) {
				err := c.errs[i]
				i++
				return plugin.Remote{}, err
			}}
			g := metrics.NewGateway(fake, clock, metrics.New(metrics.Sources{}, nil))
			for range c.errs {
				clock.Advance(time.Second)
				g.GetPayment(context.Background(), "p1")
			}
			h := g.Health()
			if h.Status != c.want {
				t.Fatalf("status %q, want %q (%+v)", h.Status, c.want, h)
			}
			if (h.Status == "unreachable") != (h.Since != nil && h.Error != "") {
				t.Fatalf("unreachable without since and error: %+v", h)
			}
		})
	}
}

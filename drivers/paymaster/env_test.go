package paymaster_test

import (
	"bytes"
	"errors"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"

	"github.com/sbpd/sbpd/drivers/paymaster"
	"github.com/sbpd/sbpd/drivers/paymaster/sandbox"
	"github.com/sbpd/sbpd/plugin"
)

// fakeClock adapts clockwork's fake clock to plugin.Clock.
type fakeClock struct{ *clockwork.FakeClock }

func (c fakeClock) NewTimer(d time.Duration) plugin.Timer { return c.FakeClock.NewTimer(d) }

const (
	testToken    = "tok-SECRET-9f8e7d6c5b4a"
	testMerchant = "0b7c2f9e-3a51-4c1d-9e8a-5f2d6c7b8a90"
	testRetries  = 3
)

// logBuffer is a concurrency-safe slog sink.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *logBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func (b *logBuffer) logger() *slog.Logger {
	return slog.New(slog.NewTextHandler(b, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

type env struct {
	sb     *sandbox.Server
	url    string
	gw     *paymaster.Gateway
	cfg    paymaster.Config
	logs   *logBuffer // the driver's
	sbLogs *logBuffer // the sandbox's
}

// newEnv starts a sandbox and a gateway for it with millisecond retry
// waits. edit may change the gateway's config.
func newEnv(t *testing.T, opts sandbox.Options, edit func(*paymaster.Config)) *env {
	t.Helper()
	e := &env{logs: &logBuffer{}, sbLogs: &logBuffer{}}
	opts.Token, opts.MerchantID, opts.Logger = testToken, testMerchant, e.sbLogs.logger()
	e.sb = sandbox.New(opts)
	url, err := e.sb.Start("")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.sb.Close() })
	e.url = url
	e.cfg = paymaster.Config{
		BaseURL:      url,
		MerchantID:   testMerchant,
		Token:        testToken,
		TestMode:     true,
		Timeout:      2 * time.Second,
		RetryMax:     testRetries,
		RetryWaitMin: time.Millisecond,
		RetryWaitMax: 10 * time.Millisecond,
		Logger:       e.logs.logger(),
	}
	if edit != nil {
		edit(&e.cfg)
	}
	e.gw = mustGateway(t, e.cfg)
	return e
}

func mustGateway(t *testing.T, cfg paymaster.Config) *paymaster.Gateway {
	t.Helper()
	g, err := paymaster.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return g
}

func request(orderNo string) plugin.CreateRequest {
	return plugin.CreateRequest{
		OrderNo:        orderNo,
		Amount:         25990,
		Description:    "Self-checkout K07, receipt " + orderNo,
		Expires:        time.Now().Add(5 * time.Minute),
		IdempotencyKey: "key-" + orderNo,
		Params:         map[string]string{"kiosk": "K07"},
	}
}

// wantError checks err is a *plugin.Error with code and, if set, reason.
func wantError(t *testing.T, err error, code, reason string) *plugin.Error {
	t.Helper()
	var pe *plugin.Error
	if !errors.As(err, &pe) {
		t.Fatalf("error %v (%T) is not a *plugin.Error", err, err)
	}
	if pe.Code != code || (reason != "" && pe.Reason != reason) {
		t.Fatalf("error code/reason %s/%s, want %s/%s: %v", pe.Code, pe.Reason, code, reason, err)
	}
	return pe
}

// onlyPayment checks the sandbox holds exactly one payment and returns it.
func (e *env) onlyPayment(t *testing.T) sandbox.Payment {
	t.Helper()
	ps := e.sb.Payments()
	if len(ps) != 1 {
		t.Fatalf("sandbox holds %d payments, want exactly 1: %+v", len(ps), ps)
	}
	return ps[0]
}

func clockworkAt(t time.Time) *clockwork.FakeClock { return clockwork.NewFakeClockAt(t) }

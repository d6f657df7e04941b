package probe

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/sbpd/sbpd/drivers/paymaster"
	"github.com/sbpd/sbpd/plugin"
)

// CreateRequest is what the probe asks the driver to create: 1,00 ₽ with
// the order number orderNo, made at now (whole seconds) at till tillID,
// described and tagged as the daemon's runner does for a check
// plugin.ProbeCheckID.
// Tests rebuild it from a transcript to replay the create through the
// driver.
func CreateRequest(tillID, orderNo string, now time.Time, key string) plugin.CreateRequest {
	return plugin.CreateRequest{
		OrderNo:        orderNo,
		Amount:         ProbeAmount,
		Description:    fmt.Sprintf("Касса самообслуживания %s, чек %s", tillID, plugin.ProbeCheckID),
		Expires:        now.UTC().Truncate(time.Second).Add(InvoiceTTL),
		IdempotencyKey: key,
		Params:         map[string]string{"till": tillID, "check": plugin.ProbeCheckID, "sbpd_id": "probe"},
	}
}

const (
	// ProbeAmount is the probe payment's amount: 1,00 ₽.
	ProbeAmount = 100
	// InvoiceTTL is the probe payment's invoice.expires, from its creation.
	InvoiceTTL = 5 * time.Minute
)

// driverCreateBody asks the driver itself for the body of req's create, by
// letting it send the create to a capturing server on loopback that
// refuses it. The probe then sends exactly what the driver sends, so its
// verdicts are about the driver's dialect, whatever it is today.
func driverCreateBody(ctx context.Context, merchantID string, req plugin.CreateRequest) ([]byte, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("probe: capture the driver's create: %w", err)
	}
	var (
		mu   sync.Mutex
		body []byte
	)
	srv := &http.Server{
		ReadHeaderTimeout: 5 * time.Second,
		Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			b, _ := io.ReadAll(io.LimitReader(r.Body, MaxBody))
			mu.Lock()
			if body == nil && r.Method == http.MethodPost && r.URL.Path == "/api/v2/payments" {
				body = b
			}
			mu.Unlock()
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusBadRequest)
			io.WriteString(w, `{"code":"validation_error","message":"sbpd probe: captured, not created"}`)
		}),
	}
	go srv.Serve(ln)
	defer srv.Close()

	gw, err := paymaster.New(paymaster.Config{
		BaseURL:    "http://" + ln.Addr().String(),
		MerchantID: merchantID,
		Token:      "sbpd-probe-capture",
		TestMode:   true,
		Timeout:    5 * time.Second,
		RetryMax:   -1,
	})
	if err != nil {
		return nil, fmt.Errorf("probe: capture the driver's create: %w", err)
	}
	if _, err := gw.CreatePayment(ctx, req); err == nil {
		return nil, errors.New("probe: capture the driver's create: the capturing server's refusal was taken as a payment")
	}
	mu.Lock()
	defer mu.Unlock()
	if body == nil {
		return nil, errors.New("probe: capture the driver's create: the driver sent no create")
	}
	return forceTestMode(body)
}

// forceTestMode sets testMode to true in a create body, whatever the
// driver was configured with: the probe never creates a live payment.
func forceTestMode(body []byte) ([]byte, error) {
	var m map[string]any
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	if err := dec.Decode(&m); err != nil || m == nil {
		return nil, fmt.Errorf("probe: the driver's create body is not a JSON object: %v", err)
	}
	m["testMode"] = true
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(m); err != nil {
		return nil, err
	}
	return bytes.TrimSpace(buf.Bytes()), nil
}

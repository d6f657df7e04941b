package plugin_test

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"strings"
	"testing"

	"github.com/sbpd/sbpd/plugin"
)

func TestLogHandler_AddsPaymentIDsFromContext(t *testing.T) {
	var buf bytes.Buffer
	log := slog.New(plugin.LogHandler(slog.NewJSONHandler(&buf, nil)))
	ctx := plugin.WithPayment(context.Background(), "01JD", "000153")

	log.InfoContext(ctx, "paymaster: answer", "status", 200)
	log.InfoContext(context.Background(), "engine ready")
	log.With("payment_id", "01JE", "check_id", "7").InfoContext(ctx, "own ids win")
	log.InfoContext(ctx, "explicit", "payment_id", "01JF", "check_id", "8")
	log.WithGroup("g").InfoContext(ctx, "grouped")

	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if len(lines) != 5 {
		t.Fatalf("%d lines: %s", len(lines), buf.String())
	}
	want := []struct{ id, check string }{{"01JD", "000153"}, {"", ""}, {"01JE", "7"}, {"01JF", "8"}, {"01JD", "000153"}}
	for i, l := range lines {
		var m map[string]any
		if err := json.Unmarshal([]byte(l), &m); err != nil {
			t.Fatal(err)
		}
		if g, ok := m["g"].(map[string]any); ok { // a group holds the added attributes
			m = g
		}
		id, _ := m["payment_id"].(string)
		check, _ := m["check_id"].(string)
		if id != want[i].id || check != want[i].check {
			t.Errorf("line %d: payment_id %q check_id %q, want %q %q: %s", i, id, check, want[i].id, want[i].check, l)
		}
		if n := strings.Count(l, `"payment_id"`); n > 1 {
			t.Errorf("line %d has payment_id %d times: %s", i, n, l)
		}
	}
	if id, check, ok := plugin.PaymentFrom(ctx); !ok || id != "01JD" || check != "000153" {
		t.Errorf("PaymentFrom = %q %q %v", id, check, ok)
	}
	if _, _, ok := plugin.PaymentFrom(context.Background()); ok {
		t.Error("PaymentFrom of a plain context")
	}
}

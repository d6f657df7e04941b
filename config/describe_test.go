package config_test

import (
	"context"
	"testing"
	"time"

	"github.com/sbpd/sbpd/config"
)

func TestDescribe(t *testing.T) {
	at := time.Date(2025, 3, 14, 9, 0, 0, 0, time.UTC)
	cfg, err := config.Open(context.Background(), config.Options{Till: config.MapStore{"paymaster.token": "pm-token-12345", "printer.baud": "9600"}})
	if err != nil {
		t.Fatal(err)
	}
	changed := func(key string) (time.Time, string, bool) { return at, "alice", key == "printer.baud" }
	cases := []struct {
		key, value, source string
		restart, secret    bool
		updated            bool
	}{
		{key: "printer.baud", value: "9600", source: config.SourceTill, restart: true, updated: true},
		{key: "paymaster.token", value: config.Mask("pm-token-12345"), source: config.SourceTill, restart: true, secret: true},
		{key: "till.id", value: "K01", source: config.SourceDefault},
	}
	for _, c := range cases {
		k, _ := config.Lookup(c.key)
		s := cfg.Describe(k, changed)
		if s.Value != c.value || s.Source != c.source || s.Restart != c.restart || s.Secret != c.secret || (s.UpdatedAt != nil) != c.updated {
			t.Errorf("%s: %+v", c.key, s)
		}
	}
}

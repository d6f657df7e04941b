package config_test

import (
	"slices"
	"testing"

	"github.com/sbpd/sbpd/config"
)

func TestSecrets(t *testing.T) {
	cases := map[string]struct {
		till map[string]string
		want []string
	}{
		"tokens": {map[string]string{"api.token": "api-token-0123456789", "paymaster.token": "pm-token"},
			[]string{"api-token-0123456789", "pm-token"}},
		"url password": {map[string]string{"notify.url": "https://u:p@ss@acc.example/h", "notify.secret": "notify-secret-0123456"},
			[]string{"p@ss", "p%40ss", "notify-secret-0123456"}},
		"url user as token": {map[string]string{"notify.url": "https://tok123@acc.example/h"}, []string{"tok123"}},
		"plain url":         {map[string]string{"notify.url": "https://acc.example/h"}, nil},
		"url query": {map[string]string{"notify.url": "http://127.0.0.1:1/hook?token=QUERY%2FSECRET123&v=2"},
			[]string{"QUERY%2FSECRET123", "QUERY/SECRET123"}}, // v=2 is no credential: not cut from texts
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			cfg, _ := resolved(t, c.till)
			got := cfg.Secrets()
			for _, w := range c.want {
				if !slices.Contains(got, w) {
					t.Errorf("lacks %q: %q", w, got)
				}
			}
			for _, s := range got {
				if s != "" && !slices.Contains(c.want, s) {
					t.Errorf("not a secret: %q", s)
				}
			}
		})
	}
}

// TestSecrets_NotLoaded: settings that did not load have no secrets to
// cut out (doctor and the probe still redact with them).
func TestSecrets_NotLoaded(t *testing.T) {
	var cfg *config.Config
	if got := cfg.Secrets(); got != nil {
		t.Errorf("nil Config's secrets: %q", got)
	}
}

package paymaster

import (
	"strings"
	"testing"
	"time"
)

func TestNew(t *testing.T) {
	ok := Config{BaseURL: "https://paymaster.ru/", MerchantID: "m-1", Token: "secret-tok"}
	g, err := New(ok)
	if err != nil {
		t.Fatal(err)
	}
	c := g.cfg
	if g.base != "https://paymaster.ru" || c.Timeout != DefaultTimeout || c.RetryMax != DefaultRetryMax ||
		c.RetryWaitMin != DefaultRetryWaitMin || c.RetryWaitMax != DefaultRetryWaitMax || c.UserAgent != DefaultUserAgent ||
		c.Clock == nil || g.http.Timeout != DefaultTimeout {
		t.Errorf("defaults not applied: base %q, %+v", g.base, c)
	}
	if g, _ := New(Config{BaseURL: "http://127.0.0.1:8080/pm", MerchantID: "m", Token: "t", RetryMax: -1}); g.base != "http://127.0.0.1:8080/pm" || g.cfg.RetryMax != 0 {
		t.Errorf("prefix or no retries: %q, %d", g.base, g.cfg.RetryMax)
	}
	if g, _ := New(Config{BaseURL: "http://h", MerchantID: "m", Token: "t", RetryWaitMin: 10 * time.Second}); g.cfg.RetryWaitMax != 10*time.Second {
		t.Errorf("max below a large min: %s", g.cfg.RetryWaitMax)
	}

	bad := []struct {
		name string
		edit func(*Config)
		want string
	}{
		{"no URL", func(c *Config) { c.BaseURL = "" }, "base URL is required"},
		{"relative URL", func(c *Config) { c.BaseURL = "paymaster.ru" }, "absolute http:// or https://"},
		{"ftp", func(c *Config) { c.BaseURL = "ftp://paymaster.ru" }, "absolute http:// or https://"},
		{"no host", func(c *Config) { c.BaseURL = "https://" }, "absolute http:// or https://"},
		{"not a URL", func(c *Config) { c.BaseURL = "https://pay master.ru/%zz" }, "not a URL"},
		{"query", func(c *Config) { c.BaseURL = "https://paymaster.ru/?x=1" }, "query"},
		{"credentials", func(c *Config) { c.BaseURL = "https://user:pw@paymaster.ru" }, "credentials"},
		{"no merchant", func(c *Config) { c.MerchantID = " " }, "merchant id is required"},
		{"no token", func(c *Config) { c.Token = "" }, "token is required"},
		{"token with newline", func(c *Config) { c.Token = "secret-tok\r\nX: y" }, "line breaks"},
		{"negative timeout", func(c *Config) { c.Timeout = -time.Second }, "negative"},
		{"min above max", func(c *Config) { c.RetryWaitMin, c.RetryWaitMax = time.Second, time.Millisecond }, "above max"},
	}
	for _, tt := range bad {
		c := ok
		tt.edit(&c)
		_, err := New(c)
		if err == nil {
			t.Errorf("%s: accepted", tt.name)
			continue
		}
		msg := err.Error()
		if !strings.Contains(msg, tt.want) || !strings.HasPrefix(msg, "paymaster: config: ") {
			t.Errorf("%s: %q, want it to say %q", tt.name, msg, tt.want)
		}
		if strings.Contains(msg, "secret-tok") || strings.Contains(msg, ":pw@") {
			t.Errorf("%s: secret in %q", tt.name, msg)
		}
	}
}

package tillapi

import (
	"net"
	"strings"
	"testing"
)

func TestIsLoopback(t *testing.T) {
	tests := []struct {
		addr string
		want bool
	}{
		{"127.0.0.1:8765", true},
		{"127.1.2.3:8765", true},
		{"[::1]:8765", true},
		{"[::ffff:127.0.0.1]:8765", true},
		{"localhost:8765", true},
		{"LocalHost:0", true},
		{"127.0.0.1", true},
		{"::1", true},
		{"0.0.0.0:8765", false},
		{"[::]:8765", false},
		{":8765", false},
		{"192.168.1.10:8765", false},
		{"10.0.0.1:8765", false},
		{"kiosk.local:8765", false},
		{"localhost.example.com:8765", false},
		{"", false},
	}
	for _, tt := range tests {
		if got := IsLoopback(tt.addr); got != tt.want {
			t.Errorf("IsLoopback(%q) = %v, want %v", tt.addr, got, tt.want)
		}
	}
}

func TestListen_RefusesWithoutToken(t *testing.T) {
	for _, addr := range []string{"0.0.0.0:0", ":0", "[::]:0"} {
		ln, err := Listen(addr, "")
		if err == nil {
			ln.Close()
			t.Errorf("Listen(%q) without a token succeeded", addr)
			continue
		}
		msg := err.Error()
		if !strings.HasPrefix(msg, "listen "+addr+" is not a loopback address") || !strings.Contains(msg, "set api.token") {
			t.Errorf("Listen(%q): %v", addr, err)
		}
	}
	_, err := Listen("0.0.0.0:8765", "")
	want := "listen 0.0.0.0:8765 is not a loopback address: set api.token so the till API requires a Bearer token"
	if err == nil || err.Error() != want {
		t.Errorf("got %v, want %q", err, want)
	}
}

func TestListen_OK(t *testing.T) {
	tests := []struct{ addr, token string }{
		{"127.0.0.1:0", ""},
		{"localhost:0", ""},
		{"[::1]:0", ""},
		{"0.0.0.0:0", "s3cret"},
		{":0", "s3cret"},
	}
	for _, tt := range tests {
		t.Run(tt.addr, func(t *testing.T) {
			if tt.addr == "[::1]:0" {
				probe, err := net.Listen("tcp", tt.addr)
				if err != nil {
					t.Skipf("IPv6 loopback unavailable: %v", err)
				}
				probe.Close()
			}
			ln, err := Listen(tt.addr, tt.token)
			if err != nil {
				t.Fatal(err)
			}
			defer ln.Close()
			if tt.token == "" && !IsLoopback(ln.Addr().String()) {
				t.Errorf("listening on %v", ln.Addr())
			}
		})
	}
}

func TestListen_Error(t *testing.T) {
	ln, err := Listen("127.0.0.1:0", "")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	addr := ln.Addr().String()
	if _, err := Listen(addr, ""); err == nil || !strings.HasPrefix(err.Error(), "listen "+addr+": ") {
		t.Errorf("second Listen on %s: %v", addr, err)
	}
}

func TestBaseURL(t *testing.T) {
	for addr, want := range map[string]string{
		"127.0.0.1:8765":   "http://127.0.0.1:8765",
		"[::1]:8765":       "http://[::1]:8765",
		"0.0.0.0:8765":     "http://127.0.0.1:8765",
		"[::]:8765":        "http://127.0.0.1:8765",
		"kiosk.local:8765": "http://kiosk.local:8765",
	} {
		if got := BaseURL(addr); got != want {
			t.Errorf("BaseURL(%q) = %q, want %q", addr, got, want)
		}
	}
}

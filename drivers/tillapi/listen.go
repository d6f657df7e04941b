package tillapi

import (
	"fmt"
	"net"
	"net/netip"
	"strings"
)

// Listen opens the TCP listener of the till API. It refuses an address
// beyond loopback when token is empty: the API starts and cancels payments,
// so anything reachable from the network must require a Bearer token.
func Listen(addr string, token string) (net.Listener, error) {
	if token == "" && !IsLoopback(addr) {
		host, _, _ := net.SplitHostPort(addr)
		what := "a loopback address"
		if host == "" {
			what += " (no host means every interface)"
		}
		return nil, fmt.Errorf("listen %s is not %s: set api.token so the till API requires a Bearer token", addr, what)
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("listen %s: %w", addr, err)
	}
	return ln, nil
}

// IsLoopback reports whether a listen address "host:port" only accepts
// connections from this machine: the host is "localhost", an address in
// 127.0.0.0/8 or ::1. An empty host (":8765") means every interface and is
// not loopback; other host names are not resolved and count as not loopback.
func IsLoopback(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		host = strings.TrimSuffix(strings.TrimPrefix(addr, "["), "]")
	}
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip, err := netip.ParseAddr(host)
	if err != nil {
		return false
	}
	return ip.Unmap().IsLoopback()
}

// BaseURL is the URL to reach the till API listening at addr ("host:port",
// as the listener reports it). An address on every interface (0.0.0.0,
// [::]) is reached at loopback: it is no address to send a request to, and
// not a Host the API answers.
func BaseURL(addr string) string {
	if host, port, err := net.SplitHostPort(addr); err == nil {
		if ip := net.ParseIP(host); ip != nil && ip.IsUnspecified() {
			addr = net.JoinHostPort("127.0.0.1", port) // [::] takes IPv4 too
		}
	}
	return "http://" + addr
}

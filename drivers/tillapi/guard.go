package tillapi

import (
	"fmt"
	"mime"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
)

// The browser rules every route obeys, before its own handler runs:
//
//   - Host must name this sbpd (hostAllowed), else 421: a page that rebinds
//     its own DNS name to 127.0.0.1 reaches the daemon with its own name in
//     Host, never with one of ours.
//   - A request a browser marks as coming from another site (Sec-Fetch-Site
//     cross-site or same-site) or from another origin (Origin that is not
//     this daemon's own, "null" included) gets 403; only a top-level GET
//     navigation (a link, a bookmark) passes, and it changes nothing.
//   - A request that changes something and carries a body must say
//     application/json, else 415: a browser sends a cross-site body without
//     a preflight only as text/plain, form-urlencoded or multipart.
//
// Tills that are not browsers (curl, Java, Go, 1C) send neither Origin nor
// Sec-Fetch-*, and keep working unchanged.

// guardError is a refusal by the browser rules.
type guardError struct {
	status  int
	code    string
	message string
}

// guard applies the browser rules to r and returns the refusal, or nil.
func (h *handler) guard(r *http.Request) *guardError {
	host := hostOnly(r.Host)
	if !h.hostAllowed(host, r) {
		return &guardError{http.StatusMisdirectedRequest, "unknown_host", fmt.Sprintf(
			"Host %q does not name this sbpd: send localhost, a loopback address or the listen address; "+
				"another name the till uses must be listed in the setting api.hosts", printable(r.Host))}
	}
	if site := r.Header.Get("Sec-Fetch-Site"); site == "cross-site" || site == "same-site" {
		if !(safeMethod(r.Method) && r.Header.Get("Sec-Fetch-Mode") == "navigate") {
			return &guardError{http.StatusForbidden, "cross_origin", fmt.Sprintf(
				"the browser marks this request as coming from another web site (Sec-Fetch-Site: %s): "+
					"sbpd answers only the till and its own pages", site)}
		}
	}
	if origin := r.Header.Get("Origin"); origin != "" && !h.originAllowed(origin, r) {
		return &guardError{http.StatusForbidden, "cross_origin", fmt.Sprintf(
			"the request comes from the web page %q, not from sbpd's own pages: sbpd answers only the till and its own pages",
			printable(origin))}
	}
	if !safeMethod(r.Method) && hasBody(r) {
		mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
		if err != nil || mt != "application/json" {
			got := r.Header.Get("Content-Type")
			if got == "" {
				got = "none"
			}
			return &guardError{http.StatusUnsupportedMediaType, "unsupported_media_type", fmt.Sprintf(
				"a request body must be sent as Content-Type: application/json; got %s", printable(got))}
		}
	}
	return nil
}

// hostAllowed reports whether host (without port, lower case) names this
// daemon: localhost, a loopback address, the configured listen host, the
// address the connection reached, or a name in api.hosts.
func (h *handler) hostAllowed(host string, r *http.Request) bool {
	if host == "" {
		return false
	}
	if host == "localhost" || host == h.listenHost {
		return true
	}
	if _, ok := h.hosts[host]; ok {
		return true
	}
	ip, err := netip.ParseAddr(host)
	if err != nil {
		return false
	}
	ip = ip.Unmap()
	if ip.IsLoopback() {
		return true
	}
	local, ok := localAddr(r)
	return ok && !ip.IsUnspecified() && local.Addr() == ip
}

// originAllowed reports whether an Origin header is this daemon's own:
// http(s), a host hostAllowed accepts, and the port the connection reached.
func (h *handler) originAllowed(origin string, r *http.Request) bool {
	u, err := url.Parse(origin)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.User != nil ||
		(u.Path != "" && u.Path != "/") || u.RawQuery != "" {
		return false
	}
	if !h.hostAllowed(strings.TrimSuffix(strings.ToLower(u.Hostname()), "."), r) {
		return false
	}
	port := u.Port()
	if port == "" {
		port = map[string]string{"http": "80", "https": "443"}[u.Scheme]
	}
	want := ""
	if local, ok := localAddr(r); ok {
		want = fmt.Sprint(local.Port())
	} else if _, p, err := net.SplitHostPort(r.Host); err == nil {
		want = p
	}
	return port == want
}

// localAddr is the address the request's connection reached.
func localAddr(r *http.Request) (netip.AddrPort, bool) {
	la, ok := r.Context().Value(http.LocalAddrContextKey).(net.Addr)
	if !ok || la == nil {
		return netip.AddrPort{}, false
	}
	ap, err := netip.ParseAddrPort(la.String())
	if err != nil {
		return netip.AddrPort{}, false
	}
	return netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port()), true
}

// hostOnly is the host of a Host header without its port, lower case,
// without brackets or a trailing dot.
func hostOnly(hostport string) string {
	host, _, err := net.SplitHostPort(hostport)
	if err != nil {
		host = hostport
	}
	host = strings.TrimSuffix(strings.TrimPrefix(host, "["), "]")
	return strings.TrimSuffix(strings.ToLower(host), ".")
}

// NormalizeHost returns a name for Server.Hosts as the guard compares it.
func NormalizeHost(name string) string { return hostOnly(strings.TrimSpace(name)) }

// safeMethod reports whether method changes nothing by HTTP's rules.
func safeMethod(method string) bool {
	return method == http.MethodGet || method == http.MethodHead || method == http.MethodOptions
}

// hasBody reports whether a request carries a body: a non-zero
// Content-Length, or chunked.
func hasBody(r *http.Request) bool {
	return r.ContentLength != 0 && r.Body != nil && r.Body != http.NoBody
}

// printable quotes back a header value with control characters escaped
// and at most maxEchoedValue bytes.
func printable(s string) string {
	if len(s) > maxEchoedValue {
		s = s[:maxEchoedValue] + "…"
	}
	q := fmt.Sprintf("%q", s)
	return q[1 : len(q)-1]
}

package tillapi

import (
	"fmt"
	"mime"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strings"

	"github.com/sbpd/sbpd/plugin"
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
//     a preflight only as text/plain, form-urlencoded or multipart. Only
//     the pages under Server.Forms (the back office) take
//     application/x-www-form-urlencoded as well, and only from a browser
//     that says the form is sbpd's own (an Origin, which the rule above
//     has checked, or Sec-Fetch-Site: same-origin), else 403; those pages
//     check a CSRF token of their own besides.
//
// Tills that are not browsers (curl, Java, Go, 1C) send neither Origin nor
// Sec-Fetch-*, and keep working unchanged.

// guardError is a refusal by the browser rules.
type guardError struct {
	status  int
	code    string
	message string
}

// rules are the names this daemon answers to, for the browser rules.
type rules struct {
	hosts      map[string]struct{} // Server.Hosts, normalised
	listenHost string              // the host of Server.Listen, normalised; "" for every interface
	forms      []string            // Server.Forms: path prefixes of pages that take forms
}

func newRules(listen string, hosts []string) rules {
	r := rules{hosts: map[string]struct{}{}, listenHost: NormalizeHost(listen)}
	if ip, err := netip.ParseAddr(r.listenHost); err == nil && ip.IsUnspecified() {
		r.listenHost = "" // 0.0.0.0 and :: are no names: the connection's address stands in
	}
	for _, name := range hosts {
		if n := NormalizeHost(name); n != "" {
			r.hosts[n] = struct{}{}
		}
	}
	return r
}

// guard applies the browser rules to r and returns the refusal, or nil.
// page tells whether the route serves an HTML page (not the API, not an
// event stream): only a page may be opened from another site, as a
// top-level document.
func (ru rules) guard(r *http.Request, page bool) *guardError {
	if r.Host != "" && !ru.hostAllowed(hostOnly(r.Host), r) {
		// An empty Host is no browser's (HTTP/1.0 clients): it cannot be a
		// rebound name.
		return &guardError{http.StatusMisdirectedRequest, "unknown_host", fmt.Sprintf(
			"Host %q does not name this sbpd: send localhost, a loopback address or the listen address; "+
				"another name the till uses must be listed in the setting api.hosts", printable(r.Host))}
	}
	if site := r.Header.Get("Sec-Fetch-Site"); site == "cross-site" || site == "same-site" {
		topLevel := r.Header.Get("Sec-Fetch-Mode") == "navigate" && r.Header.Get("Sec-Fetch-Dest") == "document"
		if !(page && safeMethod(r.Method) && topLevel) {
			return &guardError{http.StatusForbidden, "cross_origin", fmt.Sprintf(
				"the browser marks this request as coming from another web site (Sec-Fetch-Site: %s): "+
					"sbpd answers only the till and its own pages", site)}
		}
	}
	if origin := r.Header.Get("Origin"); origin != "" && !originAllowed(origin, r) {
		return &guardError{http.StatusForbidden, "cross_origin", fmt.Sprintf(
			"the request comes from the web page %q, not from sbpd's own pages: sbpd answers only the till and its own pages",
			printable(origin))}
	}
	if !safeMethod(r.Method) && hasBody(r) {
		mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
		form := err == nil && mt == "application/x-www-form-urlencoded" && page && ru.takesForms(r.URL.Path)
		if form && r.Header.Get("Origin") == "" && r.Header.Get("Sec-Fetch-Site") != "same-origin" {
			return &guardError{http.StatusForbidden, "form_without_origin",
				"a form is taken only from sbpd's own pages, sent by a browser that says so (Origin or Sec-Fetch-Site: same-origin)"}
		}
		if !form && (err != nil || mt != "application/json") {
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

// takesForms reports whether path is under one of the prefixes of
// Server.Forms.
func (ru rules) takesForms(path string) bool {
	for _, p := range ru.forms {
		if strings.HasPrefix(path, p) {
			return true
		}
	}
	return false
}

// hostAllowed reports whether host (without port, lower case) names this
// daemon: localhost, a loopback address, the configured listen host, the
// address the connection reached, or a name in api.hosts.
func (ru rules) hostAllowed(host string, r *http.Request) bool {
	if host == "" {
		return false
	}
	if host == "localhost" || host == ru.listenHost {
		return true
	}
	if _, ok := ru.hosts[host]; ok {
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

// originAllowed reports whether an Origin header is the page's own: sbpd
// serves plain http, so "http://" and exactly the Host the request names
// (which hostAllowed has accepted), the default port written or not.
func originAllowed(origin string, r *http.Request) bool {
	u, err := url.Parse(origin)
	if err != nil || u.Scheme != "http" || u.User != nil || (u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Opaque != "" {
		return false
	}
	return sameHostPort(u.Host, r.Host)
}

// sameHostPort compares two "host[:port]" as HTTP names them: the host
// without case or a trailing dot, a missing port as 80.
func sameHostPort(a, b string) bool {
	norm := func(hp string) string {
		host, port, err := net.SplitHostPort(hp)
		if err != nil {
			host, port = hp, "80"
		}
		host = strings.TrimSuffix(strings.TrimPrefix(host, "["), "]")
		if ip, err := netip.ParseAddr(host); err == nil {
			host = ip.Unmap().String()
		}
		return strings.TrimSuffix(strings.ToLower(host), ".") + " " + port
	}
	return a != "" && norm(a) == norm(b)
}

// Guard serves next behind the browser rules, for a server other than the
// till API's own (the development sandbox's): listen and hosts as in
// Server.Listen and Server.Hosts. Every route counts as API, not page.
func Guard(next http.Handler, listen string, hosts []string) http.Handler {
	ru := newRules(listen, hosts)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if gerr := ru.guard(r, false); gerr != nil {
			w.Header().Set("Connection", "close")
			writeError(w, gerr.status, gerr.code, gerr.message)
			return
		}
		next.ServeHTTP(w, r)
	})
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
	q := fmt.Sprintf("%q", plugin.ClipTo(s, maxEchoedValue))
	return q[1 : len(q)-1]
}

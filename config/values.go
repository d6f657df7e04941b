package config

import (
	"fmt"
	"math"
	"net"
	"net/netip"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/sbpd/sbpd/plugin"
)

// parse turns a raw value from any layer (a typed YAML/TOML value or the
// text of a till setting, variable or flag) into the key's Go type. It
// returns the rule the value breaks when it cannot.
func parse(k Key, raw any) (any, string) {
	switch raw.(type) {
	case map[string]any, []any:
		return nil, "must be a single value, not a list or a section"
	}
	switch k.Type {
	case String:
		if raw == nil {
			return "", ""
		}
		if k.norm != nil {
			return k.norm(fmt.Sprint(raw)), ""
		}
		return fmt.Sprint(raw), ""
	case Int:
		if n, ok := castInt(raw); ok {
			return n, ""
		}
		if k.Rule != "" {
			return nil, k.Rule
		}
		return nil, "must be a whole number"
	case Bool:
		switch b := raw.(type) {
		case bool:
			return b, ""
		case string:
			switch strings.ToLower(strings.TrimSpace(b)) {
			case "true", "1", "yes", "on":
				return true, ""
			case "false", "0", "no", "off":
				return false, ""
			}
		}
		return nil, "must be true or false"
	case Duration:
		switch d := raw.(type) {
		case time.Duration:
			return d, ""
		case string:
			if dd, err := time.ParseDuration(strings.TrimSpace(d)); err == nil {
				return dd, ""
			}
		}
		return nil, "must be a duration such as 3s, 2m or 1m30s"
	case Enum:
		s := strings.TrimSpace(fmt.Sprint(raw))
		for _, c := range k.Choices {
			if strings.EqualFold(s, c.Value) {
				if _, isInt := k.Default.(int); isInt {
					n, _ := strconv.Atoi(c.Value)
					return n, ""
				}
				return c.Value, ""
			}
		}
		return nil, k.Rule
	}
	return nil, "has an unknown type"
}

func castInt(x any) (int, bool) {
	switch n := x.(type) {
	case int:
		return n, true
	case int64:
		return int(n), true
	case uint64:
		if n <= math.MaxInt32 {
			return int(n), true
		}
	case float64:
		if n == math.Trunc(n) && math.Abs(n) < 1<<31 {
			return int(n), true
		}
	case string:
		if i, err := strconv.Atoi(strings.TrimSpace(n)); err == nil {
			return i, true
		}
	}
	return 0, false
}

// format writes a typed value the way settings show and store it.
func format(v any) string {
	switch x := v.(type) {
	case time.Duration:
		return formatDuration(x)
	case nil:
		return ""
	}
	return fmt.Sprint(v)
}

// formatDuration drops the zero tails Go prints: 5m0s -> 5m, 1h0m0s -> 1h.
func formatDuration(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}

// Normalize checks a value for key as it would be stored in the per-till
// settings and returns its canonical text (yes -> true, 60s -> 1m). The
// error has the usual shape: key = value (till settings): allowed.
func Normalize(key, value string) (string, error) {
	k, ok := Lookup(key)
	if !ok {
		return "", UnknownKeyError(key)
	}
	v, rule := parse(k, value)
	if rule == "" && k.ok != nil && !k.ok(v) {
		rule = k.Rule
	}
	if rule != "" {
		return "", &ValidationError{Problems: []Problem{{Key: key, Message: fmt.Sprintf("%s = %s (%s): %s", key, shown(k, value), SourceTill, rule)}}}
	}
	if k.Secret || k.Type == String {
		return value, nil
	}
	return format(v), nil
}

// shown is a value as errors and listings may print it.
func shown(k Key, v string) string {
	if k.Secret {
		return Mask(v)
	}
	v = k.Masked(v)
	if v == "" || strings.TrimSpace(v) != v {
		return strconv.Quote(v)
	}
	return v
}

// Masked is value as people may see it, as listings, errors, diffs and
// exports show it: a secret key's value as Mask(value), a Credentials key's
// URL with its user, password and query hidden by plugin.RedactURL,
// anything else as it is.
func (k Key) Masked(value string) string {
	switch {
	case k.Secret:
		return Mask(value)
	case k.Credentials:
		return plugin.RedactURL(value)
	}
	return value
}

// IsSecretValue reports whether value, as k's, holds a secret: any value of
// a secret key, and a Credentials key's URL with a part plugin.RedactURL
// hides (a user or password, a query's value, a fragment). Such a value is
// never taken on the command line.
func (k Key) IsSecretValue(value string) bool {
	switch {
	case k.Secret:
		return true
	case k.Credentials:
		return len(plugin.URLSecretParts(value)) > 0
	}
	return false
}

// IsMaskedURL reports whether s is a URL whose secret parts were hidden
// by plugin.RedactURL, as `sbpd settings export` writes one (any of them
// is the marker): importing it must not replace the real URL.
func IsMaskedURL(s string) bool {
	return slices.Contains(plugin.URLSecretParts(s), plugin.Redacted)
}

// Mask hides a secret completely, as plugin.Redacted; it only tells
// whether one is set.
func Mask(s string) string { return plugin.MaskSecret(s) }

// The value rules of Keys.

func notEmpty(v any) bool { return v.(string) != "" }

func noSpace(v any) bool {
	return !strings.ContainsFunc(v.(string), func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) })
}

func isID(v any) bool { return noSpace(v) && len(v.(string)) <= 64 }

var tillIDRe = regexp.MustCompile(`^[A-Za-z0-9_-]{1,32}$`)

func isTillID(v any) bool { return tillIDRe.MatchString(v.(string)) }

func isHostPort(v any) bool {
	_, port, err := net.SplitHostPort(v.(string))
	if err != nil {
		return false
	}
	n, err := strconv.Atoi(port)
	return err == nil && n >= 0 && n <= 65535
}

func isHTTPURL(v any) bool {
	u, err := url.Parse(v.(string))
	return err == nil && (u.Scheme == "https" || u.Scheme == "http") && u.Host != ""
}

// isPayMasterURL: https, or plain http only to this machine (the sandbox):
// the bearer token goes with every request.
func isPayMasterURL(v any) bool {
	u, err := url.Parse(v.(string))
	if err != nil || u.Host == "" || u.User != nil || u.RawQuery != "" || u.Fragment != "" || u.ForceQuery {
		return false
	}
	// The driver appends /api/v2/…: a base that has it already gets 404s.
	if p := strings.ToLower(strings.TrimRight(u.Path, "/")); strings.HasSuffix(p, "/api/v2") {
		return false
	}
	return u.Scheme == "https" || (u.Scheme == "http" && isLoopbackHost(u.Hostname()))
}

// plainHTTPElsewhere reports whether raw is an http:// URL to a host that
// is not this machine: what is sent there crosses the network in clear.
func plainHTTPElsewhere(raw string) bool {
	u, err := url.Parse(raw)
	return err == nil && u.Scheme == "http" && u.Host != "" && !isLoopbackHost(u.Hostname())
}

// isLoopbackHost: localhost, 127.0.0.0/8 or ::1.
func isLoopbackHost(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(strings.Trim(host, "[]"))
	return ip != nil && ip.IsLoopback()
}

// isLongSecret: a secret sbpd's integrator chooses, MinSecretLen
// characters or more, without spaces or control characters.
func isLongSecret(v any) bool {
	return noSpace(v) && utf8.RuneCountInString(v.(string)) >= MinSecretLen
}

// hostLabelRe is one label of a host name: letters, digits and hyphens,
// not starting or ending with a hyphen.
var hostLabelRe = regexp.MustCompile(`^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$`)

// normHostList is api.hosts as the HTTP layer compares it: entries trimmed
// and lower-cased, empty ones dropped, IP addresses in their canonical form
// without brackets ([FE80::1] -> fe80::1), joined with commas.
func normHostList(s string) string {
	return strings.Join(splitHostList(s), ",")
}

func splitHostList(s string) []string {
	var out []string
	for _, h := range strings.Split(s, ",") {
		h = strings.ToLower(strings.TrimSpace(h))
		if h == "" {
			continue
		}
		if ip, err := netip.ParseAddr(strings.TrimSuffix(strings.TrimPrefix(h, "["), "]")); err == nil && ip.Zone() == "" {
			h = ip.String()
		}
		out = append(out, h)
	}
	return out
}

// isHostList: at most MaxAPIHosts host names or IP addresses (no zone),
// comma-separated; no scheme, port, path or wildcard.
func isHostList(v any) bool {
	hosts := splitHostList(v.(string))
	if len(hosts) > MaxAPIHosts {
		return false
	}
	for _, h := range hosts {
		if ip, err := netip.ParseAddr(h); err == nil {
			if ip.Zone() != "" {
				return false
			}
			continue
		}
		if len(h) > 253 {
			return false
		}
		for _, label := range strings.Split(h, ".") {
			if !hostLabelRe.MatchString(label) {
				return false
			}
		}
	}
	return true
}

var comPortRe = regexp.MustCompile(`^(?i:COM)[0-9]{1,3}$`)

func isPort(v any) bool {
	s := v.(string)
	return s == "" || (strings.HasPrefix(s, "/") && noSpace(s)) || comPortRe.MatchString(s)
}

func emptyOr(f func(any) bool) func(any) bool {
	return func(v any) bool { return v.(string) == "" || f(v) }
}

func durationIn(lo, hi time.Duration) func(any) bool {
	return func(v any) bool { d := v.(time.Duration); return d >= lo && d <= hi }
}

func intIn(lo, hi int) func(any) bool {
	return func(v any) bool { n := v.(int); return n >= lo && n <= hi }
}

func oneOf(ns ...int) func(any) bool {
	return func(v any) bool {
		for _, n := range ns {
			if v.(int) == n {
				return true
			}
		}
		return false
	}
}

// isLoopback reports whether a listen address only accepts connections from
// this machine (the same rule as the till API's listener).
func isLoopback(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false
	}
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(strings.Trim(host, "[]"))
	return ip != nil && ip.IsLoopback()
}

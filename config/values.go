package config

import (
	"fmt"
	"math"
	"net"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode"
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
	if v == "" || strings.TrimSpace(v) != v {
		return strconv.Quote(v)
	}
	return v
}

// Mask hides a secret completely; it only tells whether one is set.
func Mask(s string) string {
	if s == "" {
		return "(not set)"
	}
	return "****** (set)"
}

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

package config

import (
	"strings"

	"github.com/sbpd/sbpd/plugin"
)

// Diff lists the keys whose values differ between old and new, in the
// order of Keys, as "key: old → new" with secrets masked (and the user and
// password of a URL, Key.Credentials). A daemon that
// reloads its settings logs these lines.
func Diff(old, new *Config) []string {
	var out []string
	for _, key := range Changed(old, new) {
		k, _ := Lookup(key)
		a, b := format(old.get(key)), format(new.get(key))
		switch {
		case k.Secret:
			a, b = Mask(a), Mask(b)
			if a == b {
				b = strings.TrimSuffix(b, ")") + ", changed)"
			}
		case k.Credentials:
			a, b = plugin.RedactURL(a), plugin.RedactURL(b)
			if a == b {
				b += " (credentials changed)"
			}
		}
		out = append(out, key+": "+orEmpty(a)+" → "+orEmpty(b))
	}
	return out
}

// Changed lists the keys whose values differ between old and new, in the
// order of Keys. Look a key up to see whether it needs a restart
// (Key.Restart).
func Changed(old, new *Config) []string {
	var out []string
	for _, k := range Keys {
		if old.get(k.Name) != new.get(k.Name) {
			out = append(out, k.Name)
		}
	}
	return out
}

func orEmpty(s string) string {
	if s == "" {
		return `""`
	}
	return s
}

package config

import "github.com/sbpd/sbpd/plugin"

// Secrets are the secret values in c as they may appear in a message: every
// Secret key's value, and the secret parts of a Credentials key's URL as
// plugin.URLSecrets finds them (the password, also query-escaped, or the
// user when there is no password; each value of the query and the
// fragment, as written and unescaped). plugin.Redact cuts them out of text
// about to be shown. Settings that did not load (a nil c) have none.
func (c *Config) Secrets() []string {
	var out []string
	if c == nil {
		return nil
	}
	for _, k := range Keys {
		switch v, _ := c.get(k.Name).(string); {
		case k.Secret:
			out = append(out, v)
		case k.Credentials:
			out = append(out, plugin.URLSecrets(v)...)
		}
	}
	return out
}

package config

import "net/url"

// Secrets are the secret values in c as they may appear in a message: every
// Secret key's value, and the password inside a Credentials key's URL (its
// query-escaped form too), or its user when there is no password (a token
// given as the user). plugin.Redact cuts them out of text about to be shown.
// Settings that did not load (a nil c) have none.
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
			out = append(out, urlCredentials(v)...)
		}
	}
	return out
}

// urlCredentials are the password in raw, or its user when there is no
// password.
func urlCredentials(raw string) []string {
	u, err := url.Parse(raw)
	if err != nil || u.User == nil {
		return nil
	}
	if p, ok := u.User.Password(); ok {
		return []string{p, url.QueryEscape(p)}
	}
	return []string{u.User.Username()}
}

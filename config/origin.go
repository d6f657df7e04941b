package config

import (
	"strings"

	"github.com/sbpd/sbpd/plugin"
)

// Origin is where a key's effective value comes from, as values rather
// than Source's text (doctor's advice reads it).
type Origin = plugin.SettingOrigin

// Origin says which layer holds key's effective value (SourceDefault for
// a key that no layer sets, or one config does not know), and whether
// the key is a secret or the template's only.
func (c *Config) Origin(key string) Origin {
	o := c.origin(key)
	k, _ := Lookup(key)
	o.Secret, o.TemplateOnly = k.Secret, k.TemplateOnly
	return o
}

func (c *Config) origin(key string) Origin {
	switch src := c.Source(key); {
	case strings.HasPrefix(src, SourceTemplate):
		return Origin{Layer: SourceTemplate, File: c.template}
	case src == SourceTill:
		return Origin{Layer: SourceTill}
	case strings.HasPrefix(src, SourceEnvFile):
		return Origin{Layer: SourceEnvFile, File: c.envFile, Var: EnvName(key)}
	case strings.HasPrefix(src, SourceEnv):
		return Origin{Layer: SourceEnv, Var: EnvName(key)}
	case strings.HasPrefix(src, SourceFlag):
		return Origin{Layer: SourceFlag, Flag: "--" + key}
	}
	return Origin{Layer: SourceDefault}
}

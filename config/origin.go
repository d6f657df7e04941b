package config

import "strings"

// Origin is where a key's effective value comes from, as values rather
// than Source's text, so that advice can name the layer that holds it:
// a value from the env file outranks the till settings, and `sbpd settings
// set` cannot change it there.
type Origin struct {
	Layer string // SourceDefault, SourceTemplate, SourceTill, SourceEnvFile, SourceEnv or SourceFlag
	File  string // the template or the env file, for those layers
	Var   string // the SBPD_ variable, for SourceEnvFile and SourceEnv
	Flag  string // the flag, "--listen", for SourceFlag
}

// Origin says which layer holds key's effective value (SourceDefault for
// a key that no layer sets, or one config does not know).
func (c *Config) Origin(key string) Origin {
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

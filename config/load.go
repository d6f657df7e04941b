package config

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"

	"github.com/spf13/pflag"
	"github.com/spf13/viper"
)

// TillStore is the per-till settings layer: the till's own database, which
// a field technician edits with `sbpd settings`. Values are text, as
// `sbpd settings set` stores them. drivers/sqlite implements it.
type TillStore interface {
	TillSettings(ctx context.Context) (map[string]string, error)
}

// MapStore is a TillStore in memory: for tests, and to check a change
// before it is written.
type MapStore map[string]string

// TillSettings returns a copy of m.
func (m MapStore) TillSettings(context.Context) (map[string]string, error) { return maps.Clone(m), nil }

// Options says where Open and Resolve find each layer.
type Options struct {
	// Path is the template file: YAML (.yaml, .yml) or TOML (.toml) by its
	// extension; "" for none. A missing file is an error only when
	// MustExist is set.
	Path      string
	MustExist bool
	// Template, when set, is read (YAML, or TOML if Path ends in .toml)
	// instead of the file; Path, or "-", names it in sources.
	Template io.Reader
	// Till is the per-till settings; nil for none.
	Till TillStore
	// Flags whose names are keys (--listen, --data_dir) override everything
	// when they are given on the command line.
	Flags *pflag.FlagSet
	// EnvFile is a file of SBPD_…=value lines (systemd's EnvironmentFile
	// syntax) read above the till settings and below the real environment;
	// default sbpd.env beside the template file (EnvFileName). A missing
	// file is no file.
	EnvFile string
}

// Load reads the template file at path (none if path is ""), then the
// SBPD_… environment, then flags whose names are keys (e.g. --listen):
// Open without the per-till settings. It returns a valid Config or an
// error, never both.
func Load(path string, mustExist bool, flags *pflag.FlagSet) (*Config, error) {
	return Open(context.Background(), Options{Path: path, MustExist: mustExist, Flags: flags})
}

// Parse reads a template from r (YAML) with the environment on top; for
// tests. It returns a valid Config or an error, never both.
func Parse(r io.Reader) (*Config, error) {
	return Open(context.Background(), Options{Template: r})
}

// Open resolves every layer (see Resolve) and returns the Config only when
// it is valid: a valid Config or an error, never both. An invalid result
// is a *ValidationError listing every problem.
func Open(ctx context.Context, o Options) (*Config, error) {
	c, ps, err := Resolve(ctx, o)
	if err != nil {
		return nil, err
	}
	if len(ps) > 0 {
		return nil, &ValidationError{Problems: ps}
	}
	return c, nil
}

// Resolve resolves every layer, lowest to highest: defaults, the template,
// the per-till settings, the environment file beside the template (the
// package's /etc/sbpd/sbpd.env, for secrets), SBPD_… environment variables
// (an empty variable counts as unset) and flags. Every value is then
// validated.
//
// It returns the Config as resolved with the problems found, so that
// `sbpd settings list` and `sbpd doctor` can show what is set where; never
// run with a Config that has problems (Open refuses it). The error is for
// layers that cannot be read: a template that cannot be read or a till
// store that fails; the Config is nil then.
func Resolve(ctx context.Context, o Options) (*Config, []Problem, error) {
	c := &Config{layers: map[string][]Layer{}, bad: map[string]bool{}, misplaced: map[string]string{}}
	tmpl, err := c.readTemplate(o)
	if err != nil {
		return nil, nil, err
	}
	var till map[string]string
	if o.Till != nil {
		if till, err = o.Till.TillSettings(ctx); err != nil {
			return nil, nil, fmt.Errorf("till settings: %w", err)
		}
	}
	envFile := c.readEnvFile(envFilePath(o))
	for _, k := range Keys {
		c.resolveKey(k, o, tmpl, till, envFile)
	}
	c.warnAll(o, tmpl, till, envFile)
	return c, Problems(c.Validate()), nil
}

// resolveKey stacks k's layers and sets its value from the highest.
func (c *Config) resolveKey(k Key, o Options, tmpl map[string]any, till, envFile map[string]string) {
	ls := []Layer{newLayer(k, SourceDefault, k.Default)}
	if v, ok := tmpl[k.Name]; ok {
		ls = append(ls, newLayer(k, SourceTemplate+" "+c.template, v))
	}
	if v, ok := till[k.Name]; ok {
		if k.TemplateOnly {
			c.misplaced[k.Name] = shown(k, v)
		} else {
			ls = append(ls, newLayer(k, SourceTill, v))
		}
	}
	env := EnvName(k.Name)
	if v := envFile[env]; v != "" {
		ls = append(ls, newLayer(k, fmt.Sprintf("%s %s (%s)", SourceEnvFile, c.envFile, env), v))
	}
	if os.Getenv(env) != "" {
		ls = append(ls, newLayer(k, SourceEnv+" "+env, os.Getenv(env)))
	}
	if o.Flags != nil {
		if f := o.Flags.Lookup(k.Name); f != nil && f.Changed {
			ls = append(ls, newLayer(k, SourceFlag+" --"+f.Name, f.Value.String()))
		}
	}
	c.layers[k.Name] = ls
	v, rule := parse(k, ls[len(ls)-1].raw)
	if rule != "" {
		c.bad[k.Name] = true
		v, _ = parse(k, k.Default)
	}
	c.set(k.Name, v)
}

// warnAll adds the warnings that do not stop sbpd: a notify.url in clear
// to another host, an api.token that can be guessed, secrets in a file
// others can read, unknown till keys.
func (c *Config) warnAll(o Options, tmpl map[string]any, till, envFile map[string]string) {
	if !c.bad["notify.url"] && plainHTTPElsewhere(c.Notify.URL) {
		c.warnings = append(c.warnings, fmt.Sprintf("notify.url = %s (%s): the notifications, signed and with the payment data, travel in clear to a host that is not this machine; use an https:// URL",
			c.shownValue("notify.url"), c.Source("notify.url")))
	}
	c.warnWeakToken()
	if id := c.PayMaster.MerchantID; id != "" && !c.bad["paymaster.merchant_id"] && !guid.MatchString(id) {
		c.warnings = append(c.warnings, fmt.Sprintf("paymaster.merchant_id = %s (%s): not a GUID such as 0b7c2f9e-3a51-4c1d-9e8a-5f2d6c7b8a90, as PayMaster's merchant ids are: copy it again from the PayMaster cabinet (sbpd doctor asks PayMaster)",
			c.shownValue("paymaster.merchant_id"), c.Source("paymaster.merchant_id")))
	}
	if o.Template == nil && c.template != "" {
		c.warnPerms("template", c.template, func(k Key) string { return format(tmpl[k.Name]) })
	}
	if c.envFile != "" {
		c.warnPerms("environment file", c.envFile, func(k Key) string { return envFile[EnvName(k.Name)] })
	}
	var unknown []string
	for key := range till {
		if _, ok := Lookup(key); !ok {
			unknown = append(unknown, key)
		}
	}
	sort.Strings(unknown)
	for _, key := range unknown {
		c.warnings = append(c.warnings, fmt.Sprintf("till settings: %v; it is ignored (remove it with `sbpd settings unset %s`)", UnknownKeyError(key), key))
	}
}

// guid is the form of PayMaster's merchant ids.
var guid = regexp.MustCompile(`^[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}$`)

// warnPerms warns when the file at path holds secrets (value gives each
// key's value there, "" for none) and others may read it.
func (c *Config) warnPerms(what, path string, value func(Key) string) {
	var secrets []string
	for _, k := range Keys {
		if v := value(k); v != "" && k.IsSecretValue(v) {
			secrets = append(secrets, k.Name)
		}
	}
	if w := permsWarning(what, path, secrets); w != "" {
		c.warnings = append(c.warnings, w)
	}
}

func newLayer(k Key, source string, raw any) Layer {
	return Layer{Source: source, Value: shown(k, format(raw)), raw: raw}
}

// readTemplate returns the template's values of known keys, typed as the
// file has them, and warns about keys sbpd does not know.
func (c *Config) readTemplate(o Options) (map[string]any, error) {
	v := viper.New() // the file alone: layers are resolved by Resolve
	switch {
	case o.Template != nil:
		name := o.Path
		if name == "" {
			name = "-"
		}
		v.SetConfigType("yaml")
		if strings.EqualFold(filepath.Ext(name), ".toml") {
			v.SetConfigType("toml")
		}
		if err := v.ReadConfig(o.Template); err != nil {
			return nil, fmt.Errorf("config file %s: %w", name, err)
		}
		c.template = name
	case o.Path != "":
		if _, err := os.Stat(o.Path); errors.Is(err, fs.ErrNotExist) {
			if o.MustExist {
				return nil, fmt.Errorf("config file %s does not exist", o.Path)
			}
			return nil, nil
		}
		switch strings.ToLower(filepath.Ext(o.Path)) {
		case ".yaml", ".yml", ".toml":
		default:
			return nil, fmt.Errorf("config file %s: the template must be YAML (.yaml, .yml) or TOML (.toml)", o.Path)
		}
		v.SetConfigFile(o.Path)
		if err := v.ReadInConfig(); err != nil {
			return nil, fmt.Errorf("config file %s: %w", o.Path, err)
		}
		c.template = o.Path
	default:
		return nil, nil
	}
	m := map[string]any{}
	for _, k := range Keys {
		if v.InConfig(k.Name) {
			m[k.Name] = v.Get(k.Name)
		}
	}
	all := v.AllKeys()
	sort.Strings(all)
	for _, key := range all {
		if _, ok := Lookup(key); !ok {
			c.warnings = append(c.warnings, fmt.Sprintf("template %s: %v; it is ignored", c.template, UnknownKeyError(key)))
		}
	}
	return m, nil
}

package doctor

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/sbpd/sbpd/plugin"
)

// Settings is how the settings loaded.
type Settings struct {
	Loaded       bool      // false: they do not load at all (LoadErr says why)
	LoadErr      error     // nil when they are valid
	Problems     []Problem // the keys LoadErr names
	Warnings     []string
	Template     string // the template file's path, as given
	TemplateRead bool   // it exists and was read
	WithTill     bool   // the till settings in the journal were read
	// Where says which layer holds a key's value; nil is the till
	// settings for every key.
	Where func(key string) Where
}

// Problem is a setting's broken rule: Message is the whole line.
type Problem = plugin.SettingProblem

// BadAmong lists the keys of needs that a problem names.
func (s Settings) BadAmong(needs []string) []string {
	var bad []string
	for _, k := range needs {
		if s.bad(k) {
			bad = append(bad, k)
		}
	}
	return bad
}

func (s Settings) bad(key string) bool {
	for _, p := range s.Problems {
		if p.Key == key {
			return true
		}
	}
	return false
}

func (s Settings) where(key string) Where {
	if s.Where == nil {
		return Where{Layer: plugin.LayerTill}
	}
	return s.Where(key)
}

// HowToSet is the advice to change key: `sbpd settings set` when the till
// settings would hold the new value above where it is, or the file or
// variable that outranks them.
func (s Settings) HowToSet(key, value string) string {
	w := s.where(key)
	switch {
	case w.Layer == plugin.LayerEnvFile:
		return fmt.Sprintf("edit %s: %s=%s (that file outranks the till settings, so `sbpd settings set` cannot change it)", w.File, w.Var, value)
	case w.Layer == plugin.LayerEnv:
		return fmt.Sprintf("change the environment variable %s where it is set (the service's unit: systemctl edit sbpd); it outranks the till settings and sbpd.env", w.Var)
	case w.TemplateOnly:
		return fmt.Sprintf("edit %s (%s is read from the template only)", s.Template, key)
	case w.Secret:
		return fmt.Sprintf("sbpd settings set %s -, which reads it from standard input", key)
	}
	return fmt.Sprintf("sbpd settings set %s %s", key, value)
}

// Sources names the layers read.
func (s Settings) Sources() string {
	switch {
	case !s.TemplateRead:
		return "the defaults and the SBPD_ environment (no template file at " + s.Template + ")"
	case s.WithTill:
		return "the template " + s.Template + ", the till settings and the SBPD_ environment"
	}
	return "the template " + s.Template + " and the SBPD_ environment"
}

func (k *Kiosk) checkSettings(context.Context) Result {
	s := k.Settings
	if s.Loaded && s.LoadErr == nil {
		if len(s.Warnings) > 0 {
			return Warning(s.Sources()+" give valid settings, with "+CountNoun(len(s.Warnings), "warning", "warnings")+":\n"+strings.Join(s.Warnings, "\n"),
				"act on each warning above")
		}
		return Pass(s.Sources() + " give valid settings")
	}
	var lines []string
	for _, p := range s.Problems {
		lines = append(lines, strings.Split(strings.TrimSpace(p.Message), "\n")...)
	}
	if !s.Loaded || len(lines) == 0 { // not about a key: the file is missing or unreadable
		return Failure("the settings do not load: "+strings.Join(strings.Split(strings.TrimSpace(fmt.Sprint(s.LoadErr)), "\n"), "; "),
			"check that --config or "+plugin.ConfigEnv+" names the template file (default "+plugin.ConfigFile+") and that it is valid YAML")
	}
	msg := CountNoun(len(lines), "problem", "problems") + " in " + s.Sources() + ":\n" + strings.Join(lines, "\n")
	return Failure(msg, s.settingsFix())
}

// settingsFix names, beside the usual ways, each file or variable above
// the till settings that holds a bad value.
func (s Settings) settingsFix() string {
	fix := fmt.Sprintf("correct each key named above: per-till values with `sbpd settings set KEY VALUE` (a secret: `sbpd settings set KEY -`), template values in %s, or the SBPD_ variable named", s.Template)
	above := map[string]bool{}
	for _, p := range s.Problems {
		switch w := s.where(p.Key); w.Layer {
		case plugin.LayerEnvFile:
			above[fmt.Sprintf("%s in %s: edit that file, which outranks the till settings", w.Var, w.File)] = true
		case plugin.LayerEnv:
			above[fmt.Sprintf("%s in the environment: change it where it is set, as it outranks the till settings", w.Var)] = true
		}
	}
	if len(above) == 0 {
		return fix
	}
	list := make([]string, 0, len(above))
	for a := range above {
		list = append(list, a)
	}
	sort.Strings(list)
	return fix + "; " + strings.Join(list, "; ")
}

package config

import (
	"context"
	"maps"
	"strings"
)

// CheckChange validates the settings with next as the till settings instead
// of cur (o.Till is ignored). It refuses the change, with a
// *ValidationError of only the new problems, when next brings problems cur
// does not have; the problems both have come back as still, to be shown as
// a warning, so that one fix at a time is possible on a kiosk whose
// settings are already broken. The Config is the one next gives.
func CheckChange(ctx context.Context, o Options, cur, next map[string]string) (cfg *Config, still []Problem, err error) {
	o.Till = MapStore(cur)
	_, had, err := Resolve(ctx, o)
	if err != nil {
		return nil, nil, err
	}
	seen := map[string]bool{}
	for _, p := range had {
		seen[p.Message] = true
	}
	o.Till = MapStore(maps.Clone(next))
	cfg, ps, err := Resolve(ctx, o)
	if err != nil {
		return nil, nil, err
	}
	var fresh []Problem
	for _, p := range ps {
		if seen[p.Message] {
			still = append(still, p)
		} else {
			fresh = append(fresh, p)
		}
	}
	if len(fresh) > 0 {
		return nil, nil, &ValidationError{Problems: fresh}
	}
	return cfg, still, nil
}

// TillWriter stores a change of the till settings in one transaction, as
// who (the journal's settings table), only when the till settings are
// still from, the rows the change was checked against; otherwise it
// writes nothing and refuses with plugin.RefusedSettingsChanged.
type TillWriter interface {
	ApplyIf(ctx context.Context, from, set map[string]string, unset []string, who string) error
}

// WriteTill changes the till settings from cur to next: it checks the
// change first (CheckChange: refused only for the problems it adds), and
// only then opens the store, which may create the journal, so that a
// refused change creates nothing; it writes the difference (TillChanges)
// as who, if the store still holds cur. It returns the settings that result and the problems that were
// there before and stay.
func WriteTill(ctx context.Context, o Options, cur, next map[string]string, open func() (TillWriter, error), who string) (*Config, []Problem, error) {
	cfg, still, err := CheckChange(ctx, o, cur, next)
	if err != nil {
		return nil, nil, err
	}
	store, err := open()
	if err != nil {
		return nil, nil, err
	}
	set, unset := TillChanges(cur, next)
	if err := store.ApplyIf(ctx, cur, set, unset, who); err != nil {
		return nil, nil, err
	}
	return cfg, still, nil
}

// ProblemsOf are the problems in ps about key.
func ProblemsOf(ps []Problem, key string) []Problem {
	var mine []Problem
	for _, p := range ps {
		if p.Key == key || strings.Contains(p.Message, key+" ") {
			mine = append(mine, p)
		}
	}
	return mine
}

// NeedRestart lists the keys changed between old and new that a running
// daemon applies only when it restarts (Key.Restart), in the order of Keys.
func NeedRestart(old, new *Config) []string {
	var out []string
	for _, key := range Changed(old, new) {
		if k, _ := Lookup(key); k.Restart {
			out = append(out, key)
		}
	}
	return out
}

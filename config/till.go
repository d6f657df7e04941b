package config

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"maps"
	"os"
	"time"

	"github.com/sbpd/sbpd/plugin"
)

// TillRows is the till's database as the settings acts read it: the till
// settings, and who last wrote each one and when (a History).
// drivers/sqlite's Settings implements it.
type TillRows interface {
	TillStore
	TillHistory(ctx context.Context) (func(key string) (at time.Time, by string, ok bool), error)
}

// TillSettings is the till layer of a kiosk's settings, as a technician
// acts on it (`sbpd settings`; any other front end calls the same): View
// it with every layer resolved; Set, Unset and Import, each change checked
// with all the other settings first and refused, as a *ValidationError of
// only the problems it adds (CheckChange), or as a *plugin.Error with a
// reason (RUnknownKey, ...); Export it for another kiosk. Whoever acts is
// named by the caller (who), as the database records it.
type TillSettings struct {
	// Layers are every layer but the till settings (Layers.Till is not
	// read: Store is). Every act reads them again, so a template comes from
	// Layers.Path, not from a Layers.Template reader, which reads once.
	Layers Options
	// Store is the till's database; nil when there is none yet, and the
	// till settings are empty.
	Store TillRows
	// Create returns the writer of the till's database, making data_dir
	// and the database when there is none yet. It is called only for a
	// change that is not refused, so a refusal creates nothing.
	Create func() (TillWriter, error)
	// Database is the database's path, as listings, exports and imports
	// name it.
	Database string
}

// View is the settings as a kiosk has them: for `sbpd settings list` and
// `get`.
type View struct {
	Config   *Config   // every layer resolved, the till settings included
	Problems []Problem // what is wrong with Config
	History  History   // who last wrote each till setting, and when
	Database string
	Missing  bool     // there is no till database yet: the till settings are empty
	Notes    []string // what to know: why the till settings are empty (Missing)
}

// Written is what a change of the till settings wrote.
type Written struct {
	Config *Config           `json:"-"` // the settings in force with the change (secrets in clear: not for output)
	Set    map[string]string // the keys written, with their values as people may see them (secrets masked)
	Unset  []string          // the keys removed
	Still  []Problem         // problems that were there before and stay: a warning, not a refusal
}

// Change is what Set or Unset did to one key.
type Change struct {
	Written
	Key    string
	Stored string   // Set: the value written, as people may see it (DisplayValue, masked)
	Now    string   // the value in force now, as people may see it, from Source
	Source string   // the layer the value in force comes from
	Known  bool     // sbpd knows Key (Unset may remove one it does not: it has no value in force)
	Done   bool     // false: Unset of a key that is not set, nothing to do
	Notes  []string // what to know: a higher layer that overrides Key, a restart it needs
}

// Imported is what Import did.
type Imported struct {
	Written
	Name     string   // the file, as given
	Database string   // where it went
	Read     int      // the values the file set (secrets it skips not counted)
	Notes    []string // the keys skipped, and why
}

// Exported is the till's own settings as `sbpd settings export` writes
// them (Export: what is left out and why).
type Exported struct {
	Export
	Data    []byte // the YAML file
	Missing bool   // there is no till database yet: nothing to export (the first of Notes says so)
}

// View reads the till settings and resolves every layer with them. A
// kiosk with no till database yet, data_dir included (sbpd serve has never
// run), shows the other layers: Missing, with a note saying why the till
// settings are empty, so that they are not taken for settings lost; but a
// data_dir given as a flag that does not exist is refused (RNoDataDir).
func (t *TillSettings) View(ctx context.Context) (View, error) {
	cfg, ps, err := t.resolve(ctx, true)
	if err != nil {
		return View{}, err
	}
	v := View{Config: cfg, Problems: ps, Database: t.Database, Missing: t.Store == nil, History: noHistory}
	if v.Missing {
		v.Notes = []string{fmt.Sprintf(noDatabase, t.Database)}
		if err := needDataDir(cfg); err != nil && cfg.Origin("data_dir").Layer == SourceFlag {
			return View{}, err // given on the command line: a typo until shown otherwise
		} else if err != nil {
			v.Notes = []string{fmt.Sprintf("data_dir %s (%s) does not exist yet: no till database, the till settings are empty "+
				"(sbpd serve creates it when it first starts; if it should be there, check data_dir or give --data-dir)", cfg.DataDir, cfg.Source("data_dir"))}
		}
	}
	if t.Store != nil {
		h, err := t.Store.TillHistory(ctx)
		if err != nil {
			return View{}, fmt.Errorf("till settings: %w", err)
		}
		v.History = h
	}
	return v, nil
}

// noDatabase is the note of a kiosk without a till database (at %s).
const noDatabase = "no till database at %s yet: the till settings are empty"

// noHistory is the history of a database that is not there.
func noHistory(string) (time.Time, string, bool) { return time.Time{}, "", false }

// resolve resolves every layer, the till settings with them when withTill.
func (t *TillSettings) resolve(ctx context.Context, withTill bool) (*Config, []Problem, error) {
	o := t.Layers
	o.Till = nil
	if withTill && t.Store != nil {
		o.Till = t.Store
	}
	return Resolve(ctx, o)
}

// needDataDir refuses (RNoDataDir) when cfg's data_dir does not exist: the
// kiosk is not where the settings say, and an act on the till settings
// alone (export, unset) must not look as if it found them empty.
func needDataDir(cfg *Config) error {
	if _, err := os.Stat(cfg.DataDir); err != nil {
		return &plugin.Error{Code: plugin.ENotFound, Reason: RNoDataDir, Message: fmt.Sprintf(
			"data_dir %s (%s) does not exist: check data_dir or give --data-dir (sbpd serve creates it when it first starts)", cfg.DataDir, cfg.Source("data_dir"))}
	}
	return nil
}

// current is the till settings as stored: empty when there is no database.
// An act that may not create the database needs data_dir to exist.
func (t *TillSettings) current(ctx context.Context, mayCreate bool) (map[string]string, error) {
	if !mayCreate {
		cfg, _, err := t.resolve(ctx, false)
		if err == nil {
			err = needDataDir(cfg)
		}
		if err != nil {
			return nil, err
		}
	}
	if t.Store == nil {
		return map[string]string{}, nil
	}
	cur, err := t.Store.TillSettings(ctx)
	if err != nil {
		return nil, fmt.Errorf("till settings: %w", err)
	}
	if cur == nil {
		cur = map[string]string{}
	}
	return cur, nil
}

// tries bounds how often a change is checked again when the till
// settings changed under it (plugin.RefusedSettingsChanged).
const tries = 3

// change reads the till settings (current), makes the next ones with
// edit, and writes them as who (WriteTill: checked first, the database
// created only for a change not refused, written only if the rows are
// still those checked). When someone else changed the rows meanwhile, it
// reads and checks again. edit returning nil, nil is nothing to do.
func (t *TillSettings) change(ctx context.Context, mayCreate bool, who string,
	edit func(cur map[string]string) (map[string]string, error)) (Written, bool, error) {
	for try := 1; ; try++ {
		cur, err := t.current(ctx, mayCreate)
		if err != nil {
			return Written{}, false, err
		}
		next, err := edit(cur)
		if err != nil || next == nil {
			return Written{}, false, err
		}
		cfg, still, err := WriteTill(ctx, t.Layers, cur, next, t.create, who)
		if plugin.ErrorReason(err) == plugin.RefusedSettingsChanged && try < tries {
			continue
		} else if err != nil {
			return Written{}, false, err
		}
		set, unset := TillChanges(cur, next)
		for key, v := range set { // no secret in what is handed back
			if k, ok := Lookup(key); ok {
				set[key] = k.Masked(v)
			}
		}
		return Written{Config: cfg, Set: set, Unset: unset, Still: still}, true, nil
	}
}

// create is Create; the database it makes is Store from then on.
func (t *TillSettings) create() (TillWriter, error) {
	w, err := t.Create()
	if rows, ok := w.(TillRows); ok && err == nil && t.Store == nil {
		t.Store = rows
	}
	return w, err
}

// Set stores value for the till key name, as who: the key must be a till
// key (RUnknownKey, RTemplateOnly), the value valid (InputValue) and the
// settings no worse with it.
func (t *TillSettings) Set(ctx context.Context, name, value, who string) (Change, error) {
	k, err := TillKey(name)
	if err != nil {
		return Change{}, err
	}
	if value, err = InputValue(k, value); err != nil {
		return Change{}, err
	}
	w, _, err := t.change(ctx, true, who, func(cur map[string]string) (map[string]string, error) {
		next := maps.Clone(cur)
		next[k.Name] = value
		return next, nil
	})
	if err != nil {
		return Change{}, err
	}
	return Change{Written: w, Key: k.Name, Stored: DisplayValue(k.Masked(value)), Now: DisplayValue(w.Config.Value(k.Name)),
		Source: w.Config.Source(k.Name), Known: true, Done: true, Notes: SetNotes(w.Config, k)}, nil
}

// Unset removes name from the till settings, as who, when the settings
// still work without it. A key sbpd does not know, or that belongs in the
// template, may be removed too; one that is not set is nothing to do; one
// neither set nor known is refused (RUnknownKey).
func (t *TillSettings) Unset(ctx context.Context, name, who string) (Change, error) {
	_, known := Lookup(name)
	w, done, err := t.change(ctx, false, who, func(cur map[string]string) (map[string]string, error) {
		if _, ok := cur[name]; !ok && !known {
			return nil, UnknownKeyError(name)
		} else if !ok {
			return nil, nil // not set: nothing to do
		}
		next := maps.Clone(cur)
		delete(next, name)
		return next, nil
	})
	if err != nil || !done {
		return Change{Key: name, Known: known}, err
	}
	c := Change{Written: w, Key: name, Known: known, Done: true}
	if known {
		c.Now, c.Source = DisplayValue(w.Config.Value(name)), w.Config.Source(name)
	}
	return c, nil
}

// Import writes the settings of im (ReadImportFile), read from the file
// name, as who: all of them or, when the result would not work, none
// ("nothing was imported from NAME:" and the *ValidationError). With
// replace, till settings the file does not mention are removed, but for
// the secrets it skips.
func (t *TillSettings) Import(ctx context.Context, im Import, name string, replace bool, who string) (Imported, error) {
	w, _, err := t.change(ctx, true, who, func(cur map[string]string) (map[string]string, error) {
		return im.Next(cur, replace), nil
	})
	if Problems(err) != nil {
		return Imported{}, fmt.Errorf("nothing was imported from %s:\n%w", name, err)
	} else if err != nil {
		return Imported{}, err
	}
	return Imported{Written: w, Name: name, Database: t.Database, Read: len(im.Values), Notes: im.Notes}, nil
}

// Export is the till's own settings as a file for another kiosk
// (ExportTill: no secret, till.id only with keepID), taken at at.
func (t *TillSettings) Export(ctx context.Context, keepID bool, at time.Time) (Exported, error) {
	till, err := t.current(ctx, false)
	if err != nil {
		return Exported{}, err
	}
	e := Exported{Export: ExportTill(till, keepID), Missing: t.Store == nil}
	if e.Missing {
		e.Notes = append([]string{fmt.Sprintf(noDatabase, t.Database)}, e.Notes...)
	}
	var buf bytes.Buffer
	if err := e.Write(&buf, t.Database, at); err != nil {
		return Exported{}, err
	}
	e.Data = buf.Bytes()
	return e, nil
}

// Save writes the exported file to path, or to w when path is "". A new
// file is made readable and writable by its owner only; a file that was
// there keeps its mode, as a shell's redirection would (the export holds
// no secret: a chosen mode, a symbolic link or an appended log stay as
// they were).
func (e Exported) Save(path string, w io.Writer) error {
	if path == "" {
		_, err := w.Write(e.Data)
		return err
	}
	return os.WriteFile(path, e.Data, 0o600)
}

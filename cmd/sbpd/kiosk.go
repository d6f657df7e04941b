package main

import (
	"fmt"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/sbpd/sbpd/config"
	"github.com/sbpd/sbpd/drivers/sqlite"
)

// kiosk is this kiosk as every command sees it: the settings with every
// layer (template, sbpd.env, environment, the till settings in the
// journal's database, flags) and the journal, when there is one. openKiosk
// never creates the journal; create does, for the commands that write.
type kiosk struct {
	layers    config.Options   // every layer but the till settings
	cfg       *config.Config   // as resolved, every layer; see problems. Nil only when loadErr
	problems  []config.Problem // what is wrong with cfg; never run with it then
	loadErr   error            // inspectKiosk: why the settings do not load at all
	withTill  bool             // the till settings in the journal's database were read
	modeFixes []sqlite.ModeFix // loose journal modes found (and tightened) opening it
	dir       string           // data_dir
	dbPath    string
	db        *sqlite.DB // nil when there is no journal yet
}

// dataDirFlag adds --data-dir to fs: every command that reads this
// kiosk's settings or journal takes it, as the till settings live in
// data_dir/sbpd.db.
func dataDirFlag(fs *pflag.FlagSet) {
	fs.String("data-dir", "", "directory of the till's database (overrides data_dir from the template and SBPD_DATA_DIR)")
}

// openKiosk reads the settings of cmd's --config and flags, finds the
// journal through data_dir and opens it when it exists, reading the till
// settings from it. A data_dir that does not exist, or an empty sbpd.db,
// is no journal yet. Settings that do not load or a journal that does
// not open are an error.
func openKiosk(cmd *cobra.Command) (*kiosk, error) { return readKiosk(cmd, false) }

// inspectKiosk opens the kiosk as doctor and the PayMaster probe look at
// it: settings that do not load leave cfg nil and say why in loadErr; a
// journal that does not open, or till settings that do not read, leave
// the settings without the till's (doctor's Journal check says why).
func inspectKiosk(cmd *cobra.Command) *kiosk {
	k, _ := readKiosk(cmd, true)
	return k
}

// readKiosk is openKiosk, or inspectKiosk when tolerant: then it returns
// a kiosk and no error.
func readKiosk(cmd *cobra.Command, tolerant bool) (*kiosk, error) {
	path, _ := cmd.Flags().GetString("config")
	k := &kiosk{layers: config.Options{Path: path, MustExist: cmd.Flags().Changed("config"), Flags: cmd.Flags()}}
	base, ps, err := config.Resolve(cmd.Context(), k.layers)
	if err != nil {
		if tolerant {
			k.loadErr = err
			return k, nil
		}
		return nil, err
	}
	k.cfg, k.problems, k.dir = base, ps, base.DataDir
	if k.dbPath, err = base.JournalPath(); err == nil {
		k.db, err = sqlite.OpenExisting(k.dbPath)
	}
	if err == nil && k.db != nil {
		k.modeFixes = k.db.ModeFixes()
		err = k.resolve(cmd)
	}
	if err != nil && !tolerant {
		k.Close()
		return nil, err
	}
	return k, nil
}

// resolve reads every layer again, the till settings included.
func (k *kiosk) resolve(cmd *cobra.Command) error {
	o := k.layers
	if k.db != nil {
		o.Till = k.db.Settings()
	}
	cfg, ps, err := config.Resolve(cmd.Context(), o)
	if err != nil {
		return err
	}
	k.cfg, k.problems, k.withTill = cfg, ps, k.db != nil
	return nil
}

// config is the settings to run with: valid, or an error listing every
// problem.
func (k *kiosk) config() (*config.Config, error) {
	if len(k.problems) > 0 {
		return nil, &config.ValidationError{Problems: k.problems}
	}
	return k.cfg, nil
}

// journal is the existing journal, or an error saying there is none yet.
func (k *kiosk) journal() (*sqlite.DB, error) {
	if k.db == nil {
		return nil, fmt.Errorf("no journal at %s (data_dir from %s): check data_dir or give --data-dir; sbpd serve creates it when it first starts",
			k.dbPath, k.cfg.Source("data_dir"))
	}
	return k.db, nil
}

// create makes data_dir and the journal if they do not exist yet.
func (k *kiosk) create() (*sqlite.DB, error) {
	if k.db == nil {
		db, err := sqlite.Create(k.dbPath)
		if err != nil {
			return nil, err
		}
		k.db = db
	}
	return k.db, nil
}

// Close closes the journal if it is open.
func (k *kiosk) Close() error {
	if k.db == nil {
		return nil
	}
	err := k.db.Close()
	k.db = nil
	return err
}

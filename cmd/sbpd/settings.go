package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"os"
	"os/user"
	"path/filepath"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/sbpd/sbpd/config"
	"github.com/sbpd/sbpd/drivers/sqlite"
)

// The till's database holds the per-till layer of the settings.
var _ config.TillStore = (*sqlite.Settings)(nil)

func newSettingsCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "settings",
		Short: "Show and change this kiosk's settings (the per-till settings in the till's database)",
		Long: `Settings come in layers, lowest to highest:

  default         built into sbpd
  template        the cash-desk template (--config), shared by a group of kiosks
  till settings   this kiosk's own settings, in the till's database (data_dir/sbpd.db)
  env             SBPD_… variables: sbp.qr_mode is SBPD_SBP_QR_MODE
  flag            command-line flags

"sbpd settings" shows every layer and changes only the till settings. It works
whether the daemon runs or not; a running daemon applies a change from its
next payment on. Every change is checked with all the other settings before it
is written, and refused with the reason if the result would not work.
Secrets (api.token, paymaster.token, notify.secret) are never shown, only
whether they are set, and never exported; nor is the user and password inside
notify.url (shown as https://***@host/…). Secrets are never taken on the
command line, where they would stay in the shell history: give them on
standard input (-) or from a file (--from-file FILE).

sbp.enabled and sbp.mixed_payment are the integrator's: they belong in the
cash-desk template, not in the till settings.

Run it as the daemon's user (sudo -u sbpd sbpd settings …) so that a database
it creates stays writable by the daemon.`,
		Example: `  sbpd settings list
  sbpd settings get sbp.qr_mode -v
  sbpd settings set sbp.qr_mode 2
  sbpd settings set paymaster.token -     # the token from standard input, never as an argument
  sbpd settings set api.token --from-file /root/api-token
  sbpd settings unset sbp.poll_interval
  sbpd settings export -o k07.yaml        # on the kiosk to copy
  sbpd settings import k07.yaml           # on the new kiosk`,
		Args: cobra.NoArgs,
	}
	cmd.PersistentFlags().String("data_dir", "", "directory of the till's database (overrides data_dir from the template and SBPD_DATA_DIR)")
	cmd.AddCommand(newSettingsListCmd(), newSettingsGetCmd(), newSettingsSetCmd(), newSettingsUnsetCmd(),
		newSettingsExportCmd(), newSettingsImportCmd())
	return cmd
}

// settingsStore is the till's database as the settings commands use it,
// with the other layers (template, environment, flags).
type settingsStore struct {
	opts   config.Options // every layer but the till settings
	dir    string         // data_dir
	dbPath string
	db     *sqlite.DB // nil when the database does not exist yet
}

// openSettingsStore finds the till's database through data_dir and opens
// it if it exists. Commands that write (mayCreate) accept a data_dir that
// does not exist yet and call create before writing; the others see empty
// till settings when the database does not exist yet.
func openSettingsStore(cmd *cobra.Command, mayCreate bool) (*settingsStore, error) {
	path, _ := cmd.Flags().GetString("config")
	s := &settingsStore{opts: config.Options{Path: path, MustExist: cmd.Flags().Changed("config"), Flags: cmd.Flags()}}
	base, err := config.LoadWith(cmd.Context(), s.opts)
	if base == nil {
		return nil, err
	}
	dir, src := base.DataDir, base.Source("data_dir")
	if dir == "" {
		return nil, fmt.Errorf("data_dir is empty (%s): it must name the directory of the till's database", src)
	}
	s.dir, s.dbPath = dir, filepath.Join(dir, "sbpd.db")
	st, err := os.Stat(dir)
	switch {
	case err == nil && !st.IsDir():
		return nil, fmt.Errorf("data_dir %s (%s) is not a directory", dir, src)
	case errors.Is(err, fs.ErrNotExist) && mayCreate:
		return s, nil
	case errors.Is(err, fs.ErrNotExist):
		return nil, fmt.Errorf("data_dir %s (%s) does not exist: check data_dir or give --data_dir (sbpd serve creates it when it first starts)", dir, src)
	case err != nil:
		return nil, fmt.Errorf("data_dir %s (%s): %w", dir, src, err)
	}
	if _, err := os.Stat(s.dbPath); errors.Is(err, fs.ErrNotExist) {
		return s, nil
	}
	if s.db, err = sqlite.Open(s.dbPath); err != nil {
		return nil, err
	}
	return s, nil
}

// create makes data_dir and the database if they do not exist yet.
func (s *settingsStore) create() (*sqlite.Settings, error) {
	if s.db == nil {
		if err := os.MkdirAll(s.dir, 0o750); err != nil {
			return nil, fmt.Errorf("data_dir %s: %w", s.dir, err)
		}
		db, err := sqlite.Open(s.dbPath)
		if err != nil {
			return nil, err
		}
		s.db = db
	}
	return s.db.Settings(), nil
}

func (s *settingsStore) Close() error {
	if s.db == nil {
		return nil
	}
	return s.db.Close()
}

// rows are the till settings as stored.
func (s *settingsStore) rows(ctx context.Context) ([]sqlite.Setting, error) {
	if s.db == nil {
		return nil, nil
	}
	return s.db.Settings().All(ctx)
}

// resolved reads the till settings and resolves every layer with them. The
// Config comes back with its validation error when the settings are not
// valid (so they can be shown), and nil when they cannot be read at all.
func (s *settingsStore) resolved(ctx context.Context) ([]sqlite.Setting, *config.Config, error) {
	rows, err := s.rows(ctx)
	if err != nil {
		return nil, nil, err
	}
	cfg, err := s.load(ctx, rowValues(rows))
	return rows, cfg, err
}

func rowValues(rows []sqlite.Setting) map[string]string {
	m := make(map[string]string, len(rows))
	for _, r := range rows {
		m[r.Key] = r.Value
	}
	return m
}

func (s *settingsStore) current(ctx context.Context) (map[string]string, error) {
	if s.db == nil {
		return map[string]string{}, nil
	}
	return s.db.Settings().TillSettings(ctx)
}

// load resolves every layer with till as the till settings. A Config with
// a *config.ValidationError is still returned, as config.LoadWith does.
func (s *settingsStore) load(ctx context.Context, till map[string]string) (*config.Config, error) {
	o := s.opts
	o.Till = config.MapStore(till)
	return config.LoadWith(ctx, o)
}

// check validates the settings with next as the till settings instead of
// cur. It refuses the change when that brings problems cur does not have;
// the problems both have come back to be shown as a warning, so that one
// fix at a time is possible on a kiosk whose settings are already broken.
func (s *settingsStore) check(ctx context.Context, cur, next map[string]string) (*config.Config, []config.Problem, error) {
	_, err := s.load(ctx, cur)
	if err != nil && !errors.Is(err, config.ErrInvalid) {
		return nil, nil, err
	}
	had := map[string]bool{}
	for _, p := range config.Problems(err) {
		had[p.Message] = true
	}
	cfg, err := s.load(ctx, next)
	if err != nil && !errors.Is(err, config.ErrInvalid) {
		return nil, nil, err
	}
	var fresh, still []config.Problem
	for _, p := range config.Problems(err) {
		if had[p.Message] {
			still = append(still, p)
		} else {
			fresh = append(fresh, p)
		}
	}
	if len(fresh) > 0 {
		return nil, nil, &config.ValidationError{Problems: fresh}
	}
	return cfg, still, nil
}

func (s *settingsStore) noteMissing(w io.Writer) {
	if s.db == nil {
		fmt.Fprintf(w, "note: no till database at %s yet: the till settings are empty\n", s.dbPath)
	}
}

// settingsWho names the person and command for the updated_by column.
func settingsWho(verb string) string {
	name := "unknown user"
	if u, err := user.Current(); err == nil {
		name = u.Username
	}
	if sudo := os.Getenv("SUDO_USER"); sudo != "" && sudo != name {
		name = sudo + " as " + name
	}
	return name + " via sbpd settings " + verb
}

func reportProblems(w io.Writer, head string, ps []config.Problem, warnings []string) {
	if len(ps) > 0 {
		fmt.Fprintln(w, head)
		for _, p := range ps {
			fmt.Fprintln(w, "  "+p.Message)
		}
	}
	for _, msg := range warnings {
		fmt.Fprintln(w, "warning: "+msg)
	}
}

// completeKeys offers key names, and an enum's or bool's values after a key.
func completeKeys(values bool) cobra.CompletionFunc {
	return func(cmd *cobra.Command, args []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
		var out []cobra.Completion
		switch {
		case len(args) == 0:
			for _, k := range config.Keys {
				out = append(out, cobra.CompletionWithDesc(k.Name, k.Description))
			}
		case len(args) == 1 && values:
			k, _ := config.Lookup(args[0])
			for _, c := range k.Choices {
				out = append(out, cobra.CompletionWithDesc(c.Value, c.Meaning))
			}
			if k.Type == config.Bool {
				out = append(out, "true", "false")
			}
		}
		return out, cobra.ShellCompDirectiveNoFileComp
	}
}

func displayValue(v string) string {
	if v == "" {
		return `""`
	}
	return v
}

// settingJSON is one key in `settings list --json` and `get --json`.
type settingJSON struct {
	Key          string     `json:"key"`
	Value        string     `json:"value"` // secrets masked
	Source       string     `json:"source"`
	Type         string     `json:"type"`
	Default      string     `json:"default"`
	Allowed      string     `json:"allowed,omitempty"`
	Description  string     `json:"description"`
	Secret       bool       `json:"secret,omitempty"`
	TemplateOnly bool       `json:"template_only,omitempty"`
	Restart      bool       `json:"restart,omitempty"`
	UpdatedAt    *time.Time `json:"updated_at,omitempty"` // of the till setting
	UpdatedBy    string     `json:"updated_by,omitempty"`
}

func describe(cfg *config.Config, k config.Key, rows []sqlite.Setting) settingJSON {
	j := settingJSON{Key: k.Name, Value: cfg.Value(k.Name), Source: cfg.Source(k.Name), Type: string(k.Type),
		Default: cfg.Layers(k.Name)[0].Value, Allowed: k.Rule, Description: k.Description,
		Secret: k.Secret, TemplateOnly: k.TemplateOnly, Restart: k.Restart}
	for _, r := range rows {
		if r.Key == k.Name {
			at := r.UpdatedAt
			j.UpdatedAt, j.UpdatedBy = &at, r.UpdatedBy
		}
	}
	return j
}

func newSettingsListCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "list",
		Short: "Show every setting: its value in use and where it comes from",
		Long: `list shows every key with the value in use and its source: default,
template FILE, till settings, env SBPD_… or flag --…. Secrets show only
whether they are set. Problems with the settings follow on standard error.`,
		Example: `  sbpd settings list
  sbpd settings list --config /etc/sbpd/sbpd.yaml
  sbpd settings list --json | jq '.settings[] | select(.source == "till settings")'`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			s, err := openSettingsStore(cmd, false)
			if err != nil {
				return err
			}
			defer s.Close()
			rows, cfg, err := s.resolved(ctx)
			if cfg == nil {
				return err
			}
			problems := config.Problems(err)
			if asJSON, _ := cmd.Flags().GetBool("json"); asJSON {
				out := struct {
					Database string        `json:"database"`
					Template string        `json:"template"`
					Settings []settingJSON `json:"settings"`
					Problems []string      `json:"problems"`
					Warnings []string      `json:"warnings"`
				}{Database: s.dbPath, Template: cfg.Template(), Problems: []string{}, Warnings: cfg.Warnings()}
				for _, k := range config.Keys {
					out.Settings = append(out.Settings, describe(cfg, k, rows))
				}
				for _, p := range problems {
					out.Problems = append(out.Problems, p.Message)
				}
				if out.Warnings == nil {
					out.Warnings = []string{}
				}
				enc := json.NewEncoder(cmd.OutOrStdout())
				enc.SetIndent("", "  ")
				enc.SetEscapeHTML(false)
				return enc.Encode(out)
			}
			s.noteMissing(cmd.ErrOrStderr())
			tw := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 0, 2, ' ', 0)
			fmt.Fprintln(tw, "KEY\tVALUE\tSOURCE")
			for _, k := range config.Keys {
				fmt.Fprintf(tw, "%s\t%s\t%s\n", k.Name, displayValue(cfg.Value(k.Name)), cfg.Source(k.Name))
			}
			if err := tw.Flush(); err != nil {
				return err
			}
			reportProblems(cmd.ErrOrStderr(), "the settings are not valid:", problems, cfg.Warnings())
			return nil
		},
	}
	cmd.Flags().Bool("json", false, "print the settings as JSON, with type, default, description and who changed a till setting")
	return cmd
}

func newSettingsGetCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "get KEY",
		Short: "Print one setting's value in use (secrets: only whether they are set)",
		Example: `  sbpd settings get sbp.qr_mode
  sbpd settings get sbp.qr_mode -v     # type, default, rule and every layer`,
		Args:              cobra.ExactArgs(1),
		ValidArgsFunction: completeKeys(false),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			k, ok := config.Lookup(args[0])
			if !ok {
				return config.UnknownKeyError(args[0])
			}
			s, err := openSettingsStore(cmd, false)
			if err != nil {
				return err
			}
			defer s.Close()
			rows, cfg, err := s.resolved(ctx)
			if cfg == nil {
				return err
			}
			out := cmd.OutOrStdout()
			if verbose, _ := cmd.Flags().GetBool("verbose"); !verbose {
				fmt.Fprintln(out, cfg.Value(k.Name))
			} else {
				d := describe(cfg, k, rows)
				fmt.Fprintf(out, "%s = %s (%s)\n", k.Name, displayValue(d.Value), d.Source)
				fmt.Fprintf(out, "  type:     %s\n  default:  %s\n  allowed:  %s\n  about:    %s\n", d.Type, displayValue(d.Default), d.Allowed, d.Description)
				if k.TemplateOnly {
					fmt.Fprintf(out, "  per-till: no, %s\n", k.Why)
				}
				if k.Restart {
					fmt.Fprintln(out, "  a running daemon applies a change when it restarts")
				}
				for i, l := range cfg.Layers(k.Name) {
					label := "  layers:   "
					if i > 0 {
						label = "            "
					}
					line := label + l.Source + ": " + displayValue(l.Value)
					if l.Source == config.SourceTill && d.UpdatedAt != nil {
						line += fmt.Sprintf("  (%s, %s)", d.UpdatedBy, d.UpdatedAt.Format(time.RFC3339))
					}
					fmt.Fprintln(out, line)
				}
			}
			var mine []config.Problem
			for _, p := range config.Problems(err) {
				if strings.Contains(p.Message, k.Name+" ") {
					mine = append(mine, p)
				}
			}
			reportProblems(cmd.ErrOrStderr(), "problems:", mine, nil)
			return nil
		},
	}
	cmd.Flags().BoolP("verbose", "v", false, "also show the type, default, rule, description and the value in every layer")
	return cmd
}

// readValue reads a value from standard input for `set KEY -`: without
// echo on a terminal, otherwise the first line.
func readValue(cmd *cobra.Command, key string) (string, error) {
	in := cmd.InOrStdin()
	if f, ok := in.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		fmt.Fprintf(cmd.ErrOrStderr(), "%s: ", key)
		b, err := term.ReadPassword(int(f.Fd()))
		fmt.Fprintln(cmd.ErrOrStderr())
		return string(b), err
	}
	line, err := bufio.NewReader(in).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return "", fmt.Errorf("read the value of %s from standard input: %w", key, err)
	}
	return strings.TrimRight(line, "\r\n"), nil
}

// maxValueFile bounds what `set --from-file` reads.
const maxValueFile = 64 << 10

// readValueFile reads a value from a file for `set KEY --from-file FILE`:
// the file's text with its one trailing line break trimmed. A second line
// stays in the value, which the key's rule then refuses (no setting takes
// a line break), rather than being dropped unseen.
func readValueFile(key, path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", fmt.Errorf("read the value of %s: %w", key, err)
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, maxValueFile+1))
	if err != nil {
		return "", fmt.Errorf("read the value of %s: %w", key, err)
	}
	if len(b) > maxValueFile {
		return "", fmt.Errorf("read the value of %s: %s is larger than %d KB: it is not a setting's value", key, path, maxValueFile>>10)
	}
	v := strings.TrimSuffix(string(b), "\n")
	return strings.TrimSuffix(v, "\r"), nil
}

// secretArgError refuses a secret given on the command line and says how
// to give it.
func secretArgError(k config.Key) error {
	what := "is a secret"
	if !k.Secret {
		what = "holds a user and password"
	}
	return fmt.Errorf("%s %s: it is not taken on the command line, where it would stay in the shell history and show in the process list; "+
		"give it on standard input (sbpd settings set %s -) or from a file (sbpd settings set %s --from-file FILE)", k.Name, what, k.Name, k.Name)
}

func newSettingsSetCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "set KEY {VALUE | - | --from-file FILE}",
		Short: "Set a per-till setting, after checking it with all the other settings",
		Long: `set stores VALUE for KEY in the till settings. The value is checked, and so
is every rule between keys with it in place (sbp.qr_mode 2 needs
paymaster.sticker_id, 0 needs printer.port, ...): a value that would not work is
refused with the reason and nothing is written.

Secrets (api.token, paymaster.token, notify.secret, and a notify.url with a
user and password in it) are never on the command line, where they would stay
in the shell history and show in the process list: a VALUE of - reads the
value from standard input (one line, without echo on a terminal), and
--from-file FILE reads it from a file (its line break trimmed). Both work for
any key.`,
		Example: `  sbpd settings set sbp.qr_mode 2
  sbpd settings set paymaster.sticker_id a1b2c3d4e5f6
  sbpd settings set paymaster.token -                       # asks for it, without echo
  printf '%s\n' "$TOKEN" | sbpd settings set paymaster.token -
  sbpd settings set api.token --from-file /root/api-token   # e.g. made with: openssl rand -hex 16 > /root/api-token`,
		Args: func(cmd *cobra.Command, args []string) error {
			want := 2
			if cmd.Flags().Changed("from-file") {
				want = 1
			}
			if len(args) != want {
				return errors.New("give KEY and its value as VALUE, - or --from-file FILE: sbpd settings set KEY VALUE")
			}
			return nil
		},
		ValidArgsFunction: completeKeys(true),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			k, err := config.TillKey(args[0])
			if err != nil {
				return err
			}
			var value string
			switch from, _ := cmd.Flags().GetString("from-file"); {
			case cmd.Flags().Changed("from-file"):
				if value, err = readValueFile(k.Name, from); err != nil {
					return err
				}
			case args[1] == "-":
				if value, err = readValue(cmd, k.Name); err != nil {
					return err
				}
			case k.IsSecretValue(args[1]):
				return secretArgError(k)
			default:
				value = args[1]
			}
			if k.Credentials && config.IsMaskedURL(value) {
				return fmt.Errorf("%s: the user and password in %s are masked, as sbpd shows and exports them: give the real URL on standard input (sbpd settings set %s -)", k.Name, value, k.Name)
			}
			value, err = config.Normalize(k.Name, value)
			if err != nil {
				return err
			}
			s, err := openSettingsStore(cmd, true)
			if err != nil {
				return err
			}
			defer s.Close()
			cur, err := s.current(ctx)
			if err != nil {
				return err
			}
			next := maps.Clone(cur)
			next[k.Name] = value
			cfg, still, err := s.check(ctx, cur, next)
			if err != nil {
				return err
			}
			store, err := s.create()
			if err != nil {
				return err
			}
			if err := store.Set(ctx, k.Name, value, settingsWho("set")); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "%s = %s (%s)\n", k.Name, displayValue(k.Masked(value)), config.SourceTill)
			if src := cfg.Source(k.Name); src != config.SourceTill {
				fmt.Fprintf(cmd.ErrOrStderr(), "note: %s overrides the till settings here: the value in use is %s\n", src, displayValue(cfg.Value(k.Name)))
			}
			if k.Restart {
				fmt.Fprintln(cmd.ErrOrStderr(), "note: a running daemon applies this when it restarts")
			}
			reportProblems(cmd.ErrOrStderr(), "warning: the settings are still not valid:", still, nil)
			return nil
		},
	}
	cmd.Flags().String("from-file", "", "read the value from `FILE` (its line break trimmed) instead of the command line: for secrets")
	return cmd
}

func newSettingsUnsetCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "unset KEY",
		Short: "Remove a per-till setting: the template's value or the default applies again",
		Long: `unset removes KEY from the till settings, after checking that the settings
still work without it. Keys sbpd does not know, or that belong in the template,
can be removed too.`,
		Example: `  sbpd settings unset sbp.poll_interval
  sbpd settings unset sbp.mixed_payment   # put there by hand: it belongs in the template`,
		Args:              cobra.ExactArgs(1),
		ValidArgsFunction: completeKeys(false),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			key := args[0]
			s, err := openSettingsStore(cmd, false)
			if err != nil {
				return err
			}
			defer s.Close()
			cur, err := s.current(ctx)
			if err != nil {
				return err
			}
			if _, ok := cur[key]; !ok {
				if _, known := config.Lookup(key); !known {
					return config.UnknownKeyError(key)
				}
				fmt.Fprintf(cmd.OutOrStdout(), "%s is not set in the till settings: nothing to do\n", key)
				return nil
			}
			next := maps.Clone(cur)
			delete(next, key)
			cfg, still, err := s.check(ctx, cur, next)
			if err != nil {
				return err
			}
			if _, err := s.db.Settings().Unset(ctx, key); err != nil {
				return err
			}
			if _, known := config.Lookup(key); known {
				fmt.Fprintf(cmd.OutOrStdout(), "%s unset: now %s (%s)\n", key, displayValue(cfg.Value(key)), cfg.Source(key))
			} else {
				fmt.Fprintf(cmd.OutOrStdout(), "%s unset\n", key)
			}
			reportProblems(cmd.ErrOrStderr(), "warning: the settings are still not valid:", still, nil)
			return nil
		},
	}
}

func newSettingsExportCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "export",
		Short: "Write this till's own settings as YAML, to set up another kiosk the same way",
		Long: `export writes the till settings (not the template, the environment or the
defaults) as YAML for "sbpd settings import" on another kiosk. Secrets are not
exported: they are written as "` + config.SecretMarker + `",
and a notify.url with a user and password as https://***@host/…; import skips
both, so set them on the new kiosk. till.id is left out too,
because every kiosk needs its own (--keep-till-id keeps it, for a backup of
this kiosk).`,
		Example: `  sbpd settings export -o k07.yaml
  sbpd settings export --keep-till-id > backup.yaml`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			keepID, _ := cmd.Flags().GetBool("keep-till-id")
			output, _ := cmd.Flags().GetString("output")
			s, err := openSettingsStore(cmd, false)
			if err != nil {
				return err
			}
			defer s.Close()
			s.noteMissing(cmd.ErrOrStderr())
			rows, err := s.rows(ctx)
			if err != nil {
				return err
			}
			values := map[string]string{}
			comments := []string{
				fmt.Sprintf("sbpd till settings from %s, %s", s.dbPath, time.Now().UTC().Format(time.RFC3339)),
				"Set up another kiosk with: sbpd settings import FILE",
			}
			var notes []string
			for _, r := range rows {
				k, known := config.Lookup(r.Key)
				switch {
				case !known || k.TemplateOnly:
					notes = append(notes, fmt.Sprintf("%s is not exported: it does not belong in the till settings (remove it with `sbpd settings unset %s`)", r.Key, r.Key))
				case k.Secret:
					values[k.Name] = config.SecretMarker
					comments = append(comments, fmt.Sprintf("%s is a secret and is not exported: set it there with `sbpd settings set %s -`", k.Name, k.Name))
				case k.IsSecretValue(r.Value):
					values[k.Name] = k.Masked(r.Value)
					comments = append(comments, fmt.Sprintf("%s holds a user and password, which are not exported (import skips it): set it there with `sbpd settings set %s -`", k.Name, k.Name))
				case k.Name == "till.id" && !keepID:
					comments = append(comments, fmt.Sprintf("till.id (%s) is not exported: every kiosk needs its own; set it there with `sbpd settings set till.id …`", r.Value))
				default:
					values[k.Name] = r.Value
				}
			}
			var buf bytes.Buffer
			if err := config.WriteTillFile(&buf, values, comments); err != nil {
				return err
			}
			for _, n := range notes {
				fmt.Fprintln(cmd.ErrOrStderr(), "note: "+n)
			}
			if output == "" {
				_, err := cmd.OutOrStdout().Write(buf.Bytes())
				return err
			}
			if err := os.WriteFile(output, buf.Bytes(), 0o600); err != nil {
				return err
			}
			fmt.Fprintf(cmd.ErrOrStderr(), "exported %d settings to %s\n", len(values), output)
			return nil
		},
	}
	cmd.Flags().StringP("output", "o", "", "write to this file instead of standard output")
	cmd.Flags().Bool("keep-till-id", false, "export till.id too (a backup of this kiosk, not a copy for another)")
	return cmd
}

func newSettingsImportCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "import FILE",
		Short: "Set the till settings from a YAML file made by export: all of them or none",
		Long: `import checks every value in FILE and the settings that result, then writes
them all in one transaction; if anything is wrong it writes nothing and says
what. Secrets written as "` + config.SecretMarker + `",
and a notify.url whose user and password are masked (https://***@host/…), are
skipped and the values in place stay: set them with "sbpd settings set KEY -". Till settings that FILE
does not mention stay, unless --replace is given. FILE - reads standard input.`,
		Example: `  sbpd settings import k07.yaml
  sbpd settings import --replace k07.yaml
  ssh kiosk-07 sbpd settings export | sbpd settings import -`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			replace, _ := cmd.Flags().GetBool("replace")
			var in io.Reader = cmd.InOrStdin()
			if args[0] != "-" {
				f, err := os.Open(args[0])
				if err != nil {
					return err
				}
				defer f.Close()
				in = f
			}
			values, err := config.ReadTillFile(in)
			if err != nil {
				return fmt.Errorf("%s: %w", args[0], err)
			}
			var errs, skipped, skippedNotes []string
			for _, key := range slices.Sorted(maps.Keys(values)) {
				if values[key] == config.SecretMarker {
					delete(values, key)
					skipped = append(skipped, key)
					skippedNotes = append(skippedNotes, fmt.Sprintf("%s was skipped: secrets are not exported; set it with `sbpd settings set %s -`", key, key))
					continue
				}
				if k, ok := config.Lookup(key); ok && k.Credentials && config.IsMaskedURL(values[key]) {
					delete(values, key) // the masked URL must not replace the real one
					skipped = append(skipped, key)
					skippedNotes = append(skippedNotes, fmt.Sprintf("%s was skipped: its user and password are not exported; set it with `sbpd settings set %s -`", key, key))
					continue
				}
				if _, err := config.TillKey(key); err != nil {
					errs = append(errs, err.Error())
					continue
				}
				v, err := config.Normalize(key, values[key])
				if err != nil {
					errs = append(errs, err.Error())
					continue
				}
				values[key] = v
			}
			if len(errs) > 0 {
				return fmt.Errorf("nothing was imported from %s:\n%s", args[0], strings.Join(errs, "\n"))
			}
			s, err := openSettingsStore(cmd, true)
			if err != nil {
				return err
			}
			defer s.Close()
			cur, err := s.current(ctx)
			if err != nil {
				return err
			}
			next := maps.Clone(cur)
			if replace {
				for key := range cur {
					if !slices.Contains(skipped, key) {
						delete(next, key)
					}
				}
			}
			maps.Copy(next, values)
			_, still, err := s.check(ctx, cur, next)
			if err != nil {
				return fmt.Errorf("nothing was imported from %s:\n%w", args[0], err)
			}
			set := map[string]string{}
			for key, v := range next {
				if old, ok := cur[key]; !ok || old != v {
					set[key] = v
				}
			}
			var unset []string
			for key := range cur {
				if _, ok := next[key]; !ok {
					unset = append(unset, key)
				}
			}
			store, err := s.create()
			if err != nil {
				return err
			}
			if err := store.Apply(ctx, set, unset, settingsWho("import")); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "imported %s into %s: %d settings, %d changed, %d removed\n",
				args[0], s.dbPath, len(values), len(set), len(unset))
			for _, n := range skippedNotes {
				fmt.Fprintln(cmd.ErrOrStderr(), "note: "+n)
			}
			reportProblems(cmd.ErrOrStderr(), "warning: the settings are still not valid:", still, nil)
			return nil
		},
	}
	cmd.Flags().Bool("replace", false, "also remove till settings that FILE does not mention (secrets it skips stay)")
	return cmd
}

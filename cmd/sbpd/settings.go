package main

import (
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/spf13/cobra"

	"github.com/sbpd/sbpd/config"
	"github.com/sbpd/sbpd/drivers/sqlite"
	"github.com/sbpd/sbpd/plugin/backoffice"
)

// The till's database holds the per-till layer of the settings.
var _ config.TillRows = (*sqlite.Settings)(nil)

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
whether they are set, and never exported; nor are the user, password and query
of notify.url (shown as https://***@host/…?token=***). Secrets are never taken on the
command line, where they would stay in the shell history: give them on
standard input (-) or from a file (--from-file FILE).

sbp.enabled, sbp.mixed_payment and screen.cancel_button are the integrator's:
they belong in the cash-desk template, not in the till settings.

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
	dataDirFlag(cmd.PersistentFlags())
	cmd.AddCommand(newSettingsListCmd(), newSettingsGetCmd(), newSettingsSetCmd(), newSettingsUnsetCmd(),
		newSettingsExportCmd(), newSettingsImportCmd())
	return cmd
}

// withTill runs run with the kiosk opened for a settings command and the
// service over its till settings (config.TillSettings). The journal is
// created only by a change the service does not refuse.
func withTill(cmd *cobra.Command, run func(t *config.TillSettings) error) error {
	k, err := openKiosk(cmd)
	if err != nil {
		return err
	}
	defer k.Close()
	t := &config.TillSettings{Layers: k.layers, Database: k.dbPath, Create: func() (config.TillWriter, error) {
		db, err := k.create()
		if err != nil {
			return nil, err
		}
		return db.Settings(), nil
	}}
	if k.db != nil {
		t.Store = k.db.Settings()
	}
	return run(t)
}

// settingsWho is who changes the till settings: the person, as the back
// office names them, and the command.
func settingsWho(verb string) string {
	return backoffice.Who("", os.Getenv) + " via sbpd settings " + verb
}

// notes prints each note on standard error.
func notes(cmd *cobra.Command, ns []string) {
	for _, n := range ns {
		fmt.Fprintln(cmd.ErrOrStderr(), "note: "+n)
	}
}

// warnStill warns, after a change, that the settings are still not valid.
func warnStill(cmd *cobra.Command, still []config.Problem) {
	config.WriteProblems(cmd.ErrOrStderr(), "warning: the settings are still not valid:", still, nil)
}

// completeKeys offers key names, and an enum's or bool's values after a
// key (config.Completions).
func completeKeys(values bool) cobra.CompletionFunc {
	return func(_ *cobra.Command, args []string, _ string) ([]cobra.Completion, cobra.ShellCompDirective) {
		return config.Completions(args, values), cobra.ShellCompDirectiveNoFileComp
	}
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
			return withTill(cmd, func(t *config.TillSettings) error {
				v, err := t.View(cmd.Context())
				if err != nil {
					return err
				}
				notes(cmd, v.Notes)
				if asJSON, _ := cmd.Flags().GetBool("json"); asJSON {
					return config.List(v.Config, v.Problems, v.Database, v.History).WriteJSON(cmd.OutOrStdout())
				}
				if err := config.WriteList(cmd.OutOrStdout(), v.Config); err != nil {
					return err
				}
				config.WriteProblems(cmd.ErrOrStderr(), "the settings are not valid:", v.Problems, v.Config.Warnings())
				return nil
			})
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
			key, ok := config.Lookup(args[0])
			if !ok {
				return config.UnknownKeyError(args[0])
			}
			return withTill(cmd, func(t *config.TillSettings) error {
				v, err := t.View(cmd.Context())
				if err != nil {
					return err
				}
				notes(cmd, v.Notes)
				if verbose, _ := cmd.Flags().GetBool("verbose"); !verbose {
					fmt.Fprintln(cmd.OutOrStdout(), v.Config.Value(key.Name))
				} else {
					config.WriteVerbose(cmd.OutOrStdout(), v.Config, key, v.History)
				}
				config.WriteProblems(cmd.ErrOrStderr(), "problems:", config.ProblemsOf(v.Problems, key.Name), nil)
				return nil
			})
		},
	}
	cmd.Flags().BoolP("verbose", "v", false, "also show the type, default, rule, description and the value in every layer")
	return cmd
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
user and password or a query in it) are never on the command line, where they would stay
in the shell history and show in the process list: a VALUE of - reads the
value from standard input (one line, without echo on a terminal), and
--from-file FILE reads it from a file (its line break trimmed). Both work for
any key.`,
		Example: `  sbpd settings set sbp.qr_mode 2
  sbpd settings set paymaster.sticker_id a1b2c3d4e5f6
  sbpd settings set paymaster.token -                       # asks for it, without echo
  printf '%s\n' "$TOKEN" | sbpd settings set paymaster.token -
  sbpd settings set api.token --from-file /root/api-token   # e.g. made with: openssl rand -hex 16 > /root/api-token`,
		// A VALUE may start with - (sbp.status_timeout -5s): set parses its
		// flags itself so that it gets the key's rule, not "unknown flag".
		DisableFlagParsing: true,
		ValidArgsFunction: func(cmd *cobra.Command, args []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
			args, _ = splitSetArgs(cmd, args)
			return completeKeys(true)(cmd, args, toComplete)
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			args, err := parseSetArgs(cmd, args)
			if err != nil || args == nil {
				return err
			}
			key, value, err := config.SetValue(args[0], setInput(cmd, args))
			if err != nil {
				return err
			}
			return withTill(cmd, func(t *config.TillSettings) error {
				c, err := t.Set(cmd.Context(), key.Name, value, settingsWho("set"))
				if err != nil {
					return err
				}
				fmt.Fprintf(cmd.OutOrStdout(), "%s = %s (%s)\n", c.Key, c.Stored, config.SourceTill)
				notes(cmd, c.Notes)
				warnStill(cmd, c.Still)
				return nil
			})
		},
	}
	cmd.Flags().String("from-file", "", "read the value from `FILE` (its line break trimmed) instead of the command line: for secrets")
	return cmd
}

// parseSetArgs parses set's flags and returns KEY and VALUE. It returns
// nil, nil when --help was asked for and shown.
func parseSetArgs(cmd *cobra.Command, raw []string) ([]string, error) {
	args, flags := splitSetArgs(cmd, raw)
	if err := cmd.ParseFlags(flags); err != nil {
		return nil, err
	}
	if help, _ := cmd.Flags().GetBool("help"); help {
		return nil, cmd.Help()
	}
	want := 2
	if cmd.Flags().Changed("from-file") {
		want = 1
	}
	if len(args) != want {
		return nil, errors.New("give KEY and its value as VALUE, - or --from-file FILE: sbpd settings set KEY VALUE")
	}
	return args, nil
}

// splitSetArgs tells set's words from its flags (config.SplitSetArgs),
// its own and those it inherits.
func splitSetArgs(cmd *cobra.Command, raw []string) (args, flags []string) {
	cmd.DisableFlagParsing = false
	cmd.InheritedFlags() // merges --config and --data-dir into cmd.Flags()
	return config.SplitSetArgs(cmd.Flags(), raw)
}

// setInput is where set takes its value: --from-file, standard input (-)
// or the command line.
func setInput(cmd *cobra.Command, args []string) config.ValueInput {
	in := config.ValueInput{FromFile: cmd.Flags().Changed("from-file"), In: cmd.InOrStdin(), Prompt: cmd.ErrOrStderr()}
	in.File, _ = cmd.Flags().GetString("from-file")
	if len(args) > 1 {
		in.Arg = args[1]
	}
	return in
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
			return withTill(cmd, func(t *config.TillSettings) error {
				c, err := t.Unset(cmd.Context(), args[0], settingsWho("unset"))
				switch {
				case err != nil:
					return err
				case !c.Done:
					fmt.Fprintf(cmd.OutOrStdout(), "%s is not set in the till settings: nothing to do\n", c.Key)
				case c.Known:
					fmt.Fprintf(cmd.OutOrStdout(), "%s unset: now %s (%s)\n", c.Key, c.Now, c.Source)
				default:
					fmt.Fprintf(cmd.OutOrStdout(), "%s unset\n", c.Key)
				}
				warnStill(cmd, c.Still)
				return nil
			})
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
			keepID, _ := cmd.Flags().GetBool("keep-till-id")
			output, _ := cmd.Flags().GetString("output")
			return withTill(cmd, func(t *config.TillSettings) error {
				e, err := t.Export(cmd.Context(), keepID, time.Now())
				if err != nil {
					return err
				}
				notes(cmd, e.Notes)
				if err := e.Save(output, cmd.OutOrStdout()); err != nil || output == "" {
					return err
				}
				fmt.Fprintf(cmd.ErrOrStderr(), "exported %d settings to %s\n", len(e.Values), output)
				return nil
			})
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
			replace, _ := cmd.Flags().GetBool("replace")
			im, err := config.ReadImportFile(args[0], cmd.InOrStdin())
			if err != nil {
				return err
			}
			return withTill(cmd, func(t *config.TillSettings) error {
				r, err := t.Import(cmd.Context(), im, args[0], replace, settingsWho("import"))
				if err != nil {
					return err
				}
				fmt.Fprintf(cmd.OutOrStdout(), "imported %s into %s: %d settings, %d changed, %d removed\n",
					r.Name, r.Database, r.Read, len(r.Set), len(r.Unset))
				notes(cmd, r.Notes)
				warnStill(cmd, r.Still)
				return nil
			})
		},
	}
	cmd.Flags().Bool("replace", false, "also remove till settings that FILE does not mention (secrets it skips stay)")
	return cmd
}

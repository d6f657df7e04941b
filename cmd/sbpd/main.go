// Command sbpd takes SBP QR payments through PayMaster at a self-checkout
// kiosk. It is the only package that wires sbpd's parts together; see
// README.md and docs/architecture.md.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"runtime"
	"runtime/debug"
	"strings"
	"syscall"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/sbpd/sbpd/plugin"
)

// version is set at build time with -ldflags "-X main.version=…".
var version = "dev"

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	root := newRoot(os.Stdout, os.Stderr)
	if err := root.ExecuteContext(ctx); err != nil {
		fmt.Fprintln(os.Stderr, "sbpd:", err)
		os.Exit(1)
	}
}

func newRoot(stdout, stderr io.Writer) *cobra.Command {
	root := &cobra.Command{
		Use:   "sbpd",
		Short: "SBP QR payments through PayMaster for self-checkout kiosks",
		Long: `sbpd takes SBP (Система быстрых платежей) QR payments through PayMaster at a
self-checkout kiosk: the till software calls its local API, sbpd shows the QR,
polls PayMaster until the payment is final and records everything in a local
SQLite journal.`,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetOut(stdout)
	root.SetErr(stderr)
	root.PersistentFlags().String("config", plugin.ConfigPath(), "template config file (YAML); also "+plugin.ConfigEnv)
	root.AddCommand(newServeCmd(), newDemoCmd(), newSandboxCmd(), newPrinterCmd(), newSettingsCmd(), newJournalCmd(), newDoctorCmd(), newPayMasterCmd(), newVersionCmd())
	addGenDocs(root) // sbpd gen-docs, only with -tags gendocs (man.go)
	root.InitDefaultCompletionCmd()
	strictGroups(root)
	// One spelling of each flag: --data-dir; --data_dir is still taken.
	root.SetGlobalNormalizationFunc(func(_ *pflag.FlagSet, name string) pflag.NormalizedName {
		return pflag.NormalizedName(strings.ReplaceAll(name, "_", "-"))
	})
	root.Version = versionLine()
	root.SetVersionTemplate("{{.Version}}\n")
	return root
}

// strictGroups makes every group command under c (sbpd printer, settings,
// journal, paymaster, completion) refuse a word that names none of its
// subcommands, with cobra's suggestions, as cobra does only for the root:
// `sbpd printer stauts` exits 1, not 0 after the group's help. Alone, a
// group still shows its help.
func strictGroups(c *cobra.Command) {
	for _, sub := range c.Commands() {
		strictGroups(sub)
	}
	if !c.HasParent() || !c.HasSubCommands() {
		return
	}
	c.SuggestionsMinimumDistance = 2 // cobra's default, which SuggestionsFor does not apply
	c.RunE = func(c *cobra.Command, _ []string) error { return c.Help() }
	c.Args = func(c *cobra.Command, args []string) error {
		if len(args) == 0 {
			return nil
		}
		msg := fmt.Sprintf("unknown command %q for %q", args[0], c.CommandPath())
		if did := c.SuggestionsFor(args[0]); len(did) > 0 {
			msg += "\n\nDid you mean this?\n\t" + strings.Join(did, "\n\t")
		}
		return errors.New(msg)
	}
}

func newVersionCmd() *cobra.Command {
	return &cobra.Command{
		Use:     "version",
		Short:   "Print the version of sbpd",
		Example: "  sbpd version",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			fmt.Fprintln(cmd.OutOrStdout(), versionLine())
			return nil
		},
	}
}

// versionLine is what `sbpd version` and `sbpd --version` print.
func versionLine() string {
	rev := ""
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, s := range bi.Settings {
			if s.Key == "vcs.revision" && len(s.Value) >= 12 {
				rev = " " + s.Value[:12]
			}
		}
	}
	return fmt.Sprintf("sbpd %s%s %s %s/%s", version, rev, runtime.Version(), runtime.GOOS, runtime.GOARCH)
}

// newLogger logs text on a terminal and JSON otherwise (journald, files).
// A line logged about a payment carries its payment_id and check_id.
func newLogger(w io.Writer, level string) *slog.Logger {
	var lv slog.Level
	if err := lv.UnmarshalText([]byte(level)); err != nil {
		lv = slog.LevelInfo
	}
	opts := &slog.HandlerOptions{Level: lv}
	if isTerminal(w) {
		return slog.New(plugin.LogHandler(slog.NewTextHandler(w, opts)))
	}
	return slog.New(plugin.LogHandler(slog.NewJSONHandler(w, opts)))
}

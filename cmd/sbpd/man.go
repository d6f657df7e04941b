package main

import (
	"errors"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"
	"github.com/spf13/cobra/doc"
)

// newGenDocsCmd writes the man pages and shell completions the Debian
// package installs (scripts/build-deb.sh runs it); hidden from users.
// SOURCE_DATE_EPOCH fixes the pages' date.
func newGenDocsCmd() *cobra.Command {
	var man, comp string
	cmd := &cobra.Command{
		Use: "gen-docs --man DIR --completions DIR", Hidden: true, Args: cobra.NoArgs,
		Short: "Write man pages (section 1) and bash/zsh/fish completions",
		RunE: func(cmd *cobra.Command, _ []string) error {
			if man == "" || comp == "" {
				return errors.New("gen-docs: --man and --completions are required")
			}
			root := cmd.Root()
			root.DisableAutoGenTag = true
			err := errors.Join(os.MkdirAll(man, 0o755), os.MkdirAll(comp, 0o755))
			if err == nil {
				err = doc.GenManTree(root, &doc.GenManHeader{Section: "1", Source: "sbpd " + version, Manual: "sbpd"}, man)
			}
			return errors.Join(err, root.GenBashCompletionFileV2(filepath.Join(comp, "sbpd.bash"), true),
				root.GenZshCompletionFile(filepath.Join(comp, "_sbpd")),
				root.GenFishCompletionFile(filepath.Join(comp, "sbpd.fish"), true))
		},
	}
	cmd.Flags().StringVar(&man, "man", "", "directory for the man pages")
	cmd.Flags().StringVar(&comp, "completions", "", "directory for sbpd.bash, _sbpd and sbpd.fish")
	return cmd
}

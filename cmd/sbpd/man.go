//go:build gendocs

package main

import (
	"errors"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"
	"github.com/spf13/cobra/doc"
)

// addGenDocs adds the hidden `sbpd gen-docs --man DIR --completions DIR`:
// man pages (dated by SOURCE_DATE_EPOCH) and bash/zsh/fish completions for
// the Debian package. Only with -tags gendocs (scripts/build-deb.sh), so
// the man page renderer (cobra/doc, blackfriday) stays out of the daemon.
func addGenDocs(root *cobra.Command) {
	var man, comp string
	cmd := &cobra.Command{Use: "gen-docs", Hidden: true, Args: cobra.NoArgs, RunE: func(*cobra.Command, []string) error {
		if man == "" || comp == "" {
			return errors.New("gen-docs: --man and --completions are required")
		}
		root.DisableAutoGenTag = true
		err := errors.Join(os.MkdirAll(man, 0o755), os.MkdirAll(comp, 0o755))
		if err == nil {
			err = doc.GenManTree(root, &doc.GenManHeader{Section: "1", Source: "sbpd " + version, Manual: "sbpd"}, man)
		}
		return errors.Join(err, root.GenBashCompletionFileV2(filepath.Join(comp, "sbpd.bash"), true),
			root.GenZshCompletionFile(filepath.Join(comp, "_sbpd")), root.GenFishCompletionFile(filepath.Join(comp, "sbpd.fish"), true))
	}}
	cmd.Flags().StringVar(&man, "man", "", "directory for the man pages")
	cmd.Flags().StringVar(&comp, "completions", "", "directory for sbpd.bash, _sbpd and sbpd.fish")
	root.AddCommand(cmd)
}

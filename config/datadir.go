package config

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/sbpd/sbpd/plugin"
)

// JournalPath is the path of the journal in data_dir, after checking
// data_dir: it is set, and a directory when it exists (sbpd serve creates
// it when it does not). The errors name where data_dir came from.
func (c *Config) JournalPath() (string, error) {
	dir, src := c.DataDir, c.Source("data_dir")
	if dir == "" {
		return "", fmt.Errorf("data_dir is empty (%s): it must name the directory of the till's database", src)
	}
	switch st, err := os.Stat(dir); {
	case err == nil && !st.IsDir():
		return "", fmt.Errorf("data_dir %s (%s) is not a directory", dir, src)
	case err != nil && !errors.Is(err, fs.ErrNotExist):
		return "", fmt.Errorf("data_dir %s (%s): %w", dir, src, err)
	}
	return filepath.Join(dir, plugin.JournalFile), nil
}

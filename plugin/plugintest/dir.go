package plugintest

import (
	"crypto/sha256"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// DirState is what dir holds, for a test to see that something refused
// created and changed nothing there: each entry's name, mode and size, its
// modification time when modTime, and a digest of each regular file's
// content, except those whose name ends in one of volatile (a SQLite -shm,
// which another process's reads write to).
func DirState(tb testing.TB, dir string, modTime bool, volatile ...string) []string {
	tb.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		tb.Fatal(err)
	}
	var state []string
	for _, e := range entries {
		fi, err := e.Info()
		if err != nil {
			tb.Fatal(err)
		}
		line := fmt.Sprintf("%s %v %d", e.Name(), fi.Mode(), fi.Size())
		if modTime {
			line += fmt.Sprintf(" %d", fi.ModTime().UnixNano())
		}
		if fi.Mode().IsRegular() && !hasAnySuffix(e.Name(), volatile) {
			b, err := os.ReadFile(filepath.Join(dir, e.Name()))
			if err != nil {
				tb.Fatal(err)
			}
			line += fmt.Sprintf(" %x", sha256.Sum256(b))
		}
		state = append(state, line)
	}
	return state
}

func hasAnySuffix(s string, suffixes []string) bool {
	for _, x := range suffixes {
		if strings.HasSuffix(s, x) {
			return true
		}
	}
	return false
}

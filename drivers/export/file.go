package export

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/sbpd/sbpd/plugin"
)

// WriteFile writes the export to a temporary file next to path and
// renames it to path (mode 0640) once complete, so a failed export never
// leaves half a file under the name asked for. Errors name path as -o.
func WriteFile(ctx context.Context, src Source, f plugin.Filter, format Format, path string, opt Options) (int64, error) {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*.tmp")
	if err != nil {
		return 0, fmt.Errorf("-o %s: %w", path, err)
	}
	defer os.Remove(tmp.Name())
	n, err := Write(ctx, src, f, format, tmp, opt)
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return n, fmt.Errorf("export to %s: %w", path, err)
	}
	if err := os.Chmod(tmp.Name(), 0o640); err != nil {
		return n, fmt.Errorf("-o %s: %w", path, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return n, fmt.Errorf("-o %s: %w", path, err)
	}
	return n, nil
}

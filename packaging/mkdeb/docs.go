package main

import (
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
)

// stageDocs copies what `sbpd gen-docs` wrote into stage/docs as the
// package installs it: man/NAME.1 gzipped as man/NAME.1.gz, completions/
// as they are. It returns the copy's path (${SBPD_DOCS}).
func stageDocs(docs, stage string) (string, error) {
	if docs == "" {
		return "", errors.New("-docs is required: the directory of `sbpd gen-docs --man DIR/man --completions DIR/completions`")
	}
	pages, err := filepath.Glob(filepath.Join(docs, "man", "*.1"))
	if err == nil && len(pages) == 0 {
		err = fmt.Errorf("no man page (man/*.1) in -docs %s: run sbpd gen-docs", docs)
	}
	if err != nil {
		return "", err
	}
	out := filepath.Join(stage, "docs")
	for _, p := range pages {
		if err := gzipFile(p, filepath.Join(out, "man", filepath.Base(p)+".gz")); err != nil {
			return "", err
		}
	}
	comps, err := os.ReadDir(filepath.Join(docs, "completions"))
	if err != nil {
		return "", fmt.Errorf("-docs: %w", err)
	}
	for _, e := range comps {
		if !e.Type().IsRegular() {
			continue
		}
		if err := copyTo(filepath.Join(docs, "completions", e.Name()), filepath.Join(out, "completions", e.Name()), nil); err != nil {
			return "", err
		}
	}
	return out, nil
}

// gzipFile writes src gzipped to dst as `gzip -9n` does: best compression,
// no file name and no time in the header (a reproducible package).
func gzipFile(src, dst string) error {
	return copyTo(src, dst, func(w io.Writer) (io.WriteCloser, error) {
		return gzip.NewWriterLevel(w, gzip.BestCompression)
	})
}

// copyTo copies src to dst (0644, directories created), through wrap if
// it is not nil.
func copyTo(src, dst string, wrap func(io.Writer) (io.WriteCloser, error)) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return err
	}
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return err
	}
	var w io.Writer = out
	var zw io.WriteCloser
	if wrap != nil {
		if zw, err = wrap(out); err != nil {
			out.Close()
			return err
		}
		w = zw
	}
	_, err = io.Copy(w, in)
	if zw != nil {
		err = errors.Join(err, zw.Close())
	}
	if err = errors.Join(err, out.Close()); err != nil {
		return fmt.Errorf("%s: %w", strings.TrimSuffix(dst, ".gz"), err)
	}
	return nil
}

package main

import (
	"bytes"
	"compress/gzip"
	"debug/elf"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// fakeDocs is what `sbpd gen-docs` writes, in small: for the tests that
// package a stand-in binary.
func fakeDocs(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	mustMkdir(t, filepath.Join(dir, "man"), filepath.Join(dir, "completions"))
	writeFile(t, filepath.Join(dir, "man", "sbpd.1"), ".TH \"SBPD\" \"1\"\n.SH NAME\nsbpd \\- test\n", 0o644)
	for _, f := range []string{"sbpd.bash", "_sbpd", "sbpd.fish"} {
		writeFile(t, filepath.Join(dir, "completions", f), "# "+f+"\n", 0o644)
	}
	return dir
}

// manPages lists the man pages sbpd gen-docs writes (without .1's .gz).
func manPages(t *testing.T) []string {
	t.Helper()
	pages, err := filepath.Glob(filepath.Join(sbpdDocs(t), "man", "*.1"))
	if err != nil {
		t.Fatal(err)
	}
	if len(pages) < 10 {
		t.Fatalf("sbpd gen-docs wrote %d man pages, want one for each command: %v", len(pages), pages)
	}
	for i, p := range pages {
		pages[i] = filepath.Base(p)
	}
	return pages
}

// gunzipDebian reads a gzip file as Debian wants it (gzip -9n: best
// compression, no name, no time) and returns its content.
func gunzipDebian(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	z, err := gzip.NewReader(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	text, err := io.ReadAll(z)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	if z.Name != "" || !z.ModTime.IsZero() || b[8] != 2 {
		t.Errorf("%s: gzip header has name %q, time %v, XFL %d; want gzip -9n's: none, none, 2 (best compression)", path, z.Name, z.ModTime, b[8])
	}
	return string(text)
}

// checkDocs checks the changelog, man pages and completions of an
// extracted package against their sources.
func checkDocs(t *testing.T, tree string) {
	t.Helper()
	docs := sbpdDocs(t)
	if gunzipDebian(t, filepath.Join(tree, "usr/share/doc/sbpd/changelog.gz")) != readFile(t, filepath.Join("..", "changelog")) {
		t.Errorf("changelog.gz is not packaging/changelog")
	}
	for _, page := range manPages(t) {
		got := gunzipDebian(t, filepath.Join(tree, "usr/share/man/man1", page+".gz"))
		if got != readFile(t, filepath.Join(docs, "man", page)) {
			t.Errorf("man page %s differs from what sbpd gen-docs wrote", page)
		}
	}
	if page := gunzipDebian(t, filepath.Join(tree, "usr/share/man/man1/sbpd-serve.1.gz")); !strings.Contains(page, ".SH NAME") || !strings.Contains(page, "sbpd-serve") {
		t.Errorf("sbpd-serve.1 is not a man page of sbpd serve:\n%s", page)
	}
	for dst, src := range map[string]string{
		"usr/share/bash-completion/completions/sbpd":    "sbpd.bash",
		"usr/share/zsh/vendor-completions/_sbpd":        "_sbpd",
		"usr/share/fish/vendor_completions.d/sbpd.fish": "sbpd.fish",
	} {
		got := readFile(t, filepath.Join(tree, dst))
		if got != readFile(t, filepath.Join(docs, "completions", src)) || !strings.Contains(got, "sbpd") {
			t.Errorf("/%s is not sbpd gen-docs's %s", dst, src)
		}
	}
}

// checkNoSystemctl: a maintainer script leaves starting and stopping to
// deb-systemd-invoke and enabling to deb-systemd-helper, as debhelper's
// snippets do; systemctl only reloads (lintian:
// maintainer-script-calls-systemctl).
func checkNoSystemctl(t *testing.T, name, text string) {
	t.Helper()
	for _, line := range systemctlCalls(text) {
		t.Errorf("%s calls systemctl: %s (use deb-systemd-invoke or deb-systemd-helper)", name, line)
	}
}

// systemctlCalls lists a shell script's lines ("N: line") that call
// systemctl for anything but daemon-reload, skipping comments and
// here-documents.
func systemctlCalls(text string) []string {
	var calls []string
	heredoc := "" // the end marker of the here-document being read: text, not code
	for i, line := range strings.Split(text, "\n") {
		if heredoc != "" {
			if strings.TrimSpace(line) == heredoc {
				heredoc = ""
			}
			continue
		}
		code, _, _ := strings.Cut(line, "#")
		if _, marker, ok := strings.Cut(code, "<<"); ok {
			heredoc = strings.Trim(strings.TrimSpace(strings.TrimPrefix(marker, "-")), `'"`)
		}
		if strings.Contains(code, "systemctl ") && !strings.Contains(code, "daemon-reload") && !strings.Contains(code, "command -v") {
			calls = append(calls, fmt.Sprintf("%d: %s", i+1, strings.TrimSpace(line)))
		}
	}
	return calls
}

// lintianTag is an error or warning line of lintian.
var lintianTag = regexp.MustCompile(`(?m)^[EW]: .*$`)

// checkLintian: Debian's checker finds no error and no warning in the
// package (overrides carry their reasons in the package).
func checkLintian(t *testing.T, deb string) {
	t.Helper()
	if _, err := exec.LookPath("lintian"); err != nil {
		t.Log("lintian is not installed (apt-get install lintian): the package was not checked by it")
		return
	}
	out, _ := exec.Command("lintian", deb).CombinedOutput()
	if tags := lintianTag.FindAllString(string(out), -1); len(tags) > 0 {
		t.Errorf("lintian %s:\n%s", filepath.Base(deb), strings.Join(tags, "\n"))
	}
}

// TestGzipFile: mkdeb's gzip is gzip -9n (lintian wants the changelog and
// man pages so: package-contains-timestamped-gzip and
// changelog-not-compressed-with-max-compression).
func TestGzipFile(t *testing.T) {
	dir := t.TempDir()
	src := filepath.Join(dir, "changelog")
	writeFile(t, src, strings.Repeat("sbpd (0.1.0) unstable; urgency=medium\n", 50), 0o644)
	dst := filepath.Join(dir, "out", "changelog.gz")
	if err := gzipFile(src, dst); err != nil {
		t.Fatal(err)
	}
	if got := gunzipDebian(t, dst); got != readFile(t, src) {
		t.Errorf("gunzip gives %q", got)
	}
	if st, _ := os.Stat(dst); st == nil || st.Mode().Perm() != 0o644 {
		t.Errorf("%s: mode %v, want 0644", dst, st)
	}
	if err := gzipFile(src, dst); err == nil {
		t.Errorf("gzipFile overwrote %s", dst)
	}
}

// TestCheckNoSystemctl: the check finds the calls lintian finds, and not
// a daemon-reload or the text of a message.
func TestCheckNoSystemctl(t *testing.T) {
	for _, c := range []struct {
		script string
		bad    bool
	}{
		{"#!/bin/sh\nsystemctl try-restart sbpd.service\n", true},
		{"#!/bin/sh\nif live; then\n\tsystemctl stop \"$UNIT\" || true\nfi\n", true},
		{"#!/bin/sh\nsystemctl --system daemon-reload >/dev/null || true\n", false},
		{"#!/bin/sh\ncat <<EOF\n  3. systemctl start sbpd && sbpd doctor\nEOF\nsystemctl enable sbpd\n", true},
		{"#!/bin/sh\ncat <<EOF\n  3. systemctl start sbpd && sbpd doctor\nEOF\n", false},
		{"#!/bin/sh\n# systemctl start is left to deb-systemd-invoke\ndeb-systemd-invoke start sbpd.service\n", false},
	} {
		if got := systemctlCalls(c.script); (len(got) > 0) != c.bad {
			t.Errorf("%q: calls %v, want bad=%v", c.script, got, c.bad)
		}
	}
}

// checkStaticPIE: the packaged sbpd is a static-pie executable, as
// `file` says "static-pie linked": position independent (ET_DYN, for
// ASLR: lintian's hardening-no-pie) with no interpreter and no shared
// library, so it runs on any glibc the kiosk has, or none.
func checkStaticPIE(t *testing.T, path string) {
	t.Helper()
	f, err := elf.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if f.Type != elf.ET_DYN {
		t.Errorf("%s: ELF type %v, want ET_DYN (a position-independent executable)", path, f.Type)
	}
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			t.Errorf("%s has a program interpreter: it is dynamically linked, not static", path)
		}
	}
	if libs, err := f.ImportedLibraries(); err != nil || len(libs) > 0 {
		t.Errorf("%s needs shared libraries %v (%v), want none", path, libs, err)
	}
	// Its relocations packed (RELR): a static-pie reads them all at start.
	if rela := f.Section(".rela.dyn"); rela != nil && rela.Size > 64<<10 {
		t.Errorf("%s: .rela.dyn is %d bytes: link with -z pack-relative-relocs (build-deb.sh)", path, rela.Size)
	}
	if out, err := exec.Command("file", "-b", path).Output(); err == nil && !strings.Contains(string(out), "static-pie linked") {
		t.Errorf("file %s: %s, want static-pie linked", path, out)
	}
}

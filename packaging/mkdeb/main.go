// Command mkdeb builds sbpd's Debian package from packaging/nfpm.yaml with
// nfpm's deb packager, used as a library (nfpm's own command pulls in its rpm
// packager, which this module does without).
//
//	go build -ldflags "-X main.version=1.2.0" -o sbpd ./cmd/sbpd
//	./sbpd gen-docs --man docs/man --completions docs/completions
//	go run ./packaging/mkdeb -version 1.2.0 -binary sbpd -docs docs -out dist
//
// It prints the path of the package it wrote: OUT/sbpd_VERSION_ARCH.deb.
// scripts/build-deb.sh does both steps.
//
// nfpm.yaml may use ${VERSION}, ${ARCH}, ${SBPD_BINARY}, ${LIBC_DEPENDS}
// (the glibc the binary needs, read from its ELF symbol versions; none for a
// static binary) and ${SBPD_DOCS} (a copy of -docs with every man page
// gzipped); any other variable is an error, so that a typo cannot end up as
// an empty field. Relative source paths in nfpm.yaml are taken from its own
// directory, not from the working directory. A file whose destination ends
// in .gz and whose source does not is gzipped as Debian wants (gzip -9n:
// best compression, no name or time in the header).
package main

import (
	"debug/elf"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/goreleaser/nfpm/v2"
	"github.com/goreleaser/nfpm/v2/deb"
	"github.com/goreleaser/nfpm/v2/files"
)

// options say what to package and where.
type options struct {
	Config  string // nfpm.yaml
	Version string // Debian version
	Arch    string // Debian architecture (amd64) or GOARCH (arm means armhf)
	Binary  string // the sbpd binary
	OutDir  string // where the .deb goes; created if missing
	Docs    string // what `sbpd gen-docs` wrote: man/*.1 and completions/
	// Maintainer, if set, replaces the configuration's maintainer: the
	// packager's "Name <address>".
	Maintainer string
}

func main() {
	var o options
	flag.StringVar(&o.Config, "config", "packaging/nfpm.yaml", "nfpm configuration")
	flag.StringVar(&o.Version, "version", "", "Debian version of the package, starting with a digit (required), e.g. 1.2.0 or 0.0.0~git1a2b3c4")
	flag.StringVar(&o.Arch, "arch", defaultArch(runtime.GOARCH), "Debian architecture of the binary")
	flag.StringVar(&o.Binary, "binary", "sbpd", "the sbpd binary to package")
	flag.StringVar(&o.OutDir, "out", "dist", "directory to write the .deb to")
	flag.StringVar(&o.Docs, "docs", "", "directory with man/ and completions/ as `sbpd gen-docs --man DIR/man --completions DIR/completions` writes them (required)")
	flag.StringVar(&o.Maintainer, "maintainer", "", `the packager's "Name <address>", instead of nfpm.yaml's`)
	flag.Usage = func() {
		fmt.Fprintf(flag.CommandLine.Output(), "usage: mkdeb -version VERSION -docs DIR [-binary sbpd] [-arch ARCH] [-config packaging/nfpm.yaml] [-out dist]\n\n")
		flag.PrintDefaults()
	}
	flag.Parse()
	if flag.NArg() > 0 {
		fmt.Fprintf(os.Stderr, "mkdeb: unexpected argument %q\n", flag.Arg(0))
		flag.Usage()
		os.Exit(2)
	}
	path, err := build(o)
	if err != nil {
		fmt.Fprintln(os.Stderr, "mkdeb:", err)
		os.Exit(1)
	}
	fmt.Println(path)
}

// defaultArch is the Debian name of a GOARCH.
func defaultArch(goarch string) string {
	switch goarch {
	case "arm":
		return "armhf"
	case "386":
		return "i386"
	case "ppc64le":
		return "ppc64el"
	case "mipsle":
		return "mipsel"
	case "mips64le":
		return "mips64el"
	}
	return goarch
}

// debVersion is what dpkg accepts as a version without an epoch: it starts
// with a digit, has only these characters, and a hyphen (before the Debian
// revision) is not last.
var debVersion = regexp.MustCompile(`^[0-9][A-Za-z0-9.+~-]*$`)

// build writes the package and returns its path.
func build(o options) (string, error) {
	if o.Version == "" {
		return "", errors.New("-version is required (a Debian version such as 1.2.0)")
	}
	if !debVersion.MatchString(o.Version) || strings.HasSuffix(o.Version, "-") {
		return "", fmt.Errorf("version %q is not a Debian version: it must start with a digit and contain only letters, digits and . + ~ - (e.g. 1.2.0, 1.2.0+3.g1a2b3c4, 0.0.0~git1a2b3c4)", o.Version)
	}
	if o.Arch == "" {
		return "", errors.New("-arch is required (amd64, arm64, armhf, ...)")
	}
	arch := defaultArch(o.Arch)
	libc, err := checkBinary(o.Binary, arch)
	if err != nil {
		return "", err
	}
	binary, err := filepath.Abs(o.Binary)
	if err != nil {
		return "", err
	}
	stage, err := os.MkdirTemp("", "mkdeb-")
	if err != nil {
		return "", err
	}
	defer os.RemoveAll(stage)
	docs, err := stageDocs(o.Docs, stage)
	if err != nil {
		return "", err
	}
	info, err := packageInfo(o, map[string]string{
		"VERSION":      o.Version,
		"ARCH":         arch,
		"SBPD_BINARY":  binary,
		"LIBC_DEPENDS": libc,
		"SBPD_DOCS":    docs,
	})
	if err != nil {
		return "", err
	}
	info.Depends = slices.DeleteFunc(info.Depends, func(d string) bool { return strings.TrimSpace(d) == "" })
	if o.Maintainer != "" {
		if !strings.Contains(o.Maintainer, "<") || !strings.HasSuffix(o.Maintainer, ">") || strings.HasSuffix(o.Maintainer, "@localhost>") {
			return "", fmt.Errorf("-maintainer %q: give a name and a real mail address, e.g. \"Kiosk Team <kiosk@example.org>\"", o.Maintainer)
		}
		info.Maintainer = o.Maintainer
	}
	if info.Version != o.Version || info.Arch != arch {
		return "", fmt.Errorf("%s makes version %q and arch %q, not -version %q and -arch %q: it must say version: ${VERSION}, version_schema: none and arch: ${ARCH}",
			o.Config, info.Version, info.Arch, o.Version, arch)
	}
	if err := resolveSources(info, filepath.Dir(o.Config), stage); err != nil {
		return "", fmt.Errorf("%s: %w", o.Config, err)
	}
	return writePackage(info, o.OutDir)
}

// packageInfo reads the nfpm configuration with vars (and nfpm's own
// NFPM_ variables) expanded, refusing any other ${VAR}.
func packageInfo(o options, vars map[string]string) (*nfpm.Info, error) {
	var unknown []string
	mapping := func(name string) string {
		if v, ok := vars[name]; ok {
			return v
		}
		if strings.HasPrefix(name, "NFPM_") { // nfpm's own: signing passphrases
			return os.Getenv(name)
		}
		unknown = append(unknown, "${"+name+"}")
		return ""
	}
	cfg, err := nfpm.ParseFileWithEnvMapping(o.Config, mapping)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("nfpm configuration %s does not exist (-config)", o.Config)
	}
	if err != nil {
		return nil, fmt.Errorf("%s: %w", o.Config, err)
	}
	if len(unknown) > 0 {
		sort.Strings(unknown)
		return nil, fmt.Errorf("%s uses %s, which mkdeb does not set (it sets ${VERSION}, ${ARCH}, ${SBPD_BINARY}, ${LIBC_DEPENDS} and ${SBPD_DOCS})",
			o.Config, strings.Join(slices.Compact(unknown), ", "))
	}
	info, err := cfg.Get("deb")
	if err != nil {
		return nil, fmt.Errorf("%s: %w", o.Config, err)
	}
	return info, nil
}

// writePackage writes the .deb into outDir under its conventional name:
// beside the target first, then renamed, so that a failed build never
// leaves a partial package under the final name.
func writePackage(info *nfpm.Info, outDir string) (string, error) {
	if err := os.MkdirAll(outDir, 0o755); err != nil {
		return "", fmt.Errorf("output directory: %w", err)
	}
	out := filepath.Join(outDir, deb.Default.ConventionalFileName(info))
	tmp, err := os.CreateTemp(outDir, ".mkdeb-*.deb")
	if err != nil {
		return "", fmt.Errorf("output directory: %w", err)
	}
	defer os.Remove(tmp.Name())
	if err := deb.Default.Package(info, tmp); err != nil {
		tmp.Close()
		return "", fmt.Errorf("packaging: %w", err)
	}
	if err := tmp.Chmod(0o644); err != nil {
		tmp.Close()
		return "", err
	}
	if err := tmp.Close(); err != nil {
		return "", fmt.Errorf("writing %s: %w", out, err)
	}
	if err := os.Rename(tmp.Name(), out); err != nil {
		return "", err
	}
	return out, nil
}

// resolveSources makes the relative source paths of files and scripts
// relative to dir (the configuration's directory) and checks that each
// exists, naming the entry that is wrong. A source to be installed as .gz
// is gzipped into stage.
func resolveSources(info *nfpm.Info, dir, stage string) error {
	abs := func(p string) string {
		if p == "" || filepath.IsAbs(p) {
			return p
		}
		return filepath.Join(dir, p)
	}
	for _, c := range info.Contents {
		switch c.Type {
		case files.TypeSymlink, files.TypeDir, files.TypeImplicitDir, files.TypeRPMGhost:
			continue // no source on disk
		}
		if c.Source == "" {
			return fmt.Errorf("contents: %s has no src", c.Destination)
		}
		c.Source = abs(c.Source)
		if strings.ContainsAny(c.Source, "*?[{") {
			continue // a glob: nfpm says if it matches nothing
		}
		if _, err := os.Stat(c.Source); err != nil {
			return fmt.Errorf("contents: source of %s: %w", c.Destination, err)
		}
		if strings.HasSuffix(c.Destination, ".gz") && !strings.HasSuffix(c.Source, ".gz") {
			gz := filepath.Join(stage, "gz", strings.TrimPrefix(c.Destination, "/"))
			if err := gzipFile(c.Source, gz); err != nil {
				return fmt.Errorf("contents: %s: %w", c.Destination, err)
			}
			c.Source = gz
		}
	}
	for _, s := range []*string{&info.Scripts.PreInstall, &info.Scripts.PostInstall, &info.Scripts.PreRemove, &info.Scripts.PostRemove} {
		if *s == "" {
			continue
		}
		*s = abs(*s)
		if _, err := os.Stat(*s); err != nil {
			return fmt.Errorf("scripts: %w", err)
		}
	}
	return nil
}

// elfMachine is the ELF machine of each Debian architecture mkdeb can check.
var elfMachine = map[string]elf.Machine{
	"amd64":   elf.EM_X86_64,
	"arm64":   elf.EM_AARCH64,
	"armhf":   elf.EM_ARM,
	"armel":   elf.EM_ARM,
	"i386":    elf.EM_386,
	"riscv64": elf.EM_RISCV,
	"ppc64el": elf.EM_PPC64,
	"s390x":   elf.EM_S390,
}

// checkBinary checks that path is an executable ELF file for arch and
// returns the libc6 dependency its glibc symbol versions call for ("" for
// a static binary).
func checkBinary(path, arch string) (string, error) {
	st, err := os.Stat(path)
	if err != nil {
		return "", fmt.Errorf("binary: %w (build it first: go build -o sbpd ./cmd/sbpd)", err)
	}
	if !st.Mode().IsRegular() || st.Mode().Perm()&0o111 == 0 {
		return "", fmt.Errorf("binary %s is not an executable file", path)
	}
	f, err := elf.Open(path)
	if err != nil {
		return "", fmt.Errorf("binary %s is not an ELF executable: %w", path, err)
	}
	defer f.Close()
	if want, ok := elfMachine[arch]; ok && f.Machine != want {
		is := f.Machine.String()
		for a, m := range elfMachine {
			if m == f.Machine && a != "armel" {
				is = a
			}
		}
		return "", fmt.Errorf("binary %s is for %s, not for -arch %s", path, is, arch)
	}
	syms, err := f.ImportedSymbols()
	if err != nil && !errors.Is(err, elf.ErrNoSymbols) {
		return "", fmt.Errorf("binary %s: reading its dynamic symbols: %w", path, err)
	}
	var newest []int
	for _, s := range syms {
		v, ok := glibcVersion(s.Version)
		if ok && versionLess(newest, v) {
			newest = v
		}
	}
	if newest == nil {
		return "", nil
	}
	parts := make([]string, len(newest))
	for i, n := range newest {
		parts[i] = strconv.Itoa(n)
	}
	return "libc6 (>= " + strings.Join(parts, ".") + ")", nil
}

// glibcVersion parses "GLIBC_2.34" as [2 34].
func glibcVersion(s string) ([]int, bool) {
	rest, ok := strings.CutPrefix(s, "GLIBC_")
	if !ok {
		return nil, false
	}
	var v []int
	for _, p := range strings.Split(rest, ".") {
		n, err := strconv.Atoi(p)
		if err != nil {
			return nil, false
		}
		v = append(v, n)
	}
	return v, true
}

func versionLess(a, b []int) bool {
	for i := 0; i < len(a) && i < len(b); i++ {
		if a[i] != b[i] {
			return a[i] < b[i]
		}
	}
	return len(a) < len(b)
}

package main

import (
	"debug/elf"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// smallELF is a small executable of this machine for build to package (the
// real sbpd is packaged by TestPackage, through the command).
func smallELF(t *testing.T) string {
	t.Helper()
	path, err := exec.LookPath("true")
	if err == nil {
		var f *elf.File
		if f, err = elf.Open(path); err == nil {
			f.Close()
		}
	}
	if err != nil {
		t.Skipf("no ELF executable to package: %v", err)
	}
	dst := filepath.Join(t.TempDir(), "sbpd")
	copyFile(t, path, dst, 0o755)
	return dst
}

func TestBuild(t *testing.T) {
	bin := smallELF(t)
	out := filepath.Join(t.TempDir(), "dist") // created by build
	version := "2.0.0~rc1+3.g1a2b3c4.dirty"
	path, err := build(options{Config: filepath.Join("..", "nfpm.yaml"), Version: version, Arch: debArch(), Binary: bin, Docs: fakeDocs(t), OutDir: out})
	if err != nil {
		t.Fatal(err)
	}
	if want := filepath.Join(out, "sbpd_"+version+"_"+debArch()+".deb"); path != want {
		t.Errorf("build returned %s, want %s", path, want)
	}
	entries, _ := os.ReadDir(out)
	if len(entries) != 1 {
		t.Errorf("%s holds %d files, want only the package (no temporary file left)", out, len(entries))
	}
	if _, err := exec.LookPath("dpkg-deb"); err == nil {
		fields := debFields(t, path)
		if fields["Version"] != version || fields["Package"] != "sbpd" {
			t.Errorf("dpkg-deb reads Package %q Version %q, want sbpd %s", fields["Package"], fields["Version"], version)
		}
		if !strings.HasPrefix(fields["Depends"], "libc6 (>= 2.") {
			t.Errorf("Depends: %q, want libc6 (>= 2.x) read from %s's symbol versions", fields["Depends"], bin)
		}
	}
}

func TestBuildErrors(t *testing.T) {
	bin := smallELF(t)
	dir := t.TempDir()
	text := filepath.Join(dir, "script")
	writeFile(t, text, "#!/bin/sh\n", 0o755)
	notExec := filepath.Join(dir, "not-exec")
	copyFile(t, bin, notExec, 0o644)
	otherArch := "arm64"
	if debArch() == "arm64" {
		otherArch = "amd64"
	}
	config := filepath.Join("..", "nfpm.yaml")
	yaml := readFile(t, config)
	// Copies of nfpm.yaml beside the original (relative sources resolve).
	variant := func(name, from, to string) string {
		t.Helper()
		if !strings.Contains(yaml, from) {
			t.Fatalf("nfpm.yaml has no %q to change", from)
		}
		copied := copyPackaging(t, t.TempDir())
		path := filepath.Join(filepath.Dir(copied), name)
		writeFile(t, path, strings.Replace(yaml, from, to, 1), 0o644)
		return path
	}
	unknownVar := variant("unknown-var.yaml", "version: ${VERSION}", "version: ${VERSON}")
	missingSrc := variant("missing-src.yaml", "src: sbpd.env", "src: sbpd.environment")
	badKey := variant("bad-key.yaml", "homepage:", "homepag:")
	semver := variant("semver.yaml", "version_schema: none", "version_schema: semver")
	noChangelog := variant("no-changelog.yaml", "src: changelog", "src: changelog.missing")
	docs := fakeDocs(t)
	noPages := fakeDocs(t)
	if err := os.Remove(filepath.Join(noPages, "man", "sbpd.1")); err != nil {
		t.Fatal(err)
	}
	noFish := fakeDocs(t)
	if err := os.Remove(filepath.Join(noFish, "completions", "sbpd.fish")); err != nil {
		t.Fatal(err)
	}

	for _, tc := range []struct {
		name string
		o    options
		want string
	}{
		{"no version", options{Binary: bin}, "-version is required"},
		{"v prefix", options{Version: "v1.0.0", Binary: bin}, `version "v1.0.0" is not a Debian version`},
		{"space", options{Version: "1.0 beta", Binary: bin}, "is not a Debian version"},
		{"trailing hyphen", options{Version: "1.0-", Binary: bin}, "is not a Debian version"},
		{"no binary", options{Version: "1.0.0", Binary: filepath.Join(dir, "nope")}, "build it first"},
		{"not executable", options{Version: "1.0.0", Binary: notExec}, "is not an executable file"},
		{"not ELF", options{Version: "1.0.0", Binary: text}, "is not an ELF executable"},
		{"other arch", options{Version: "1.0.0", Binary: bin, Arch: otherArch}, "not for -arch " + otherArch},
		{"no config", options{Version: "1.0.0", Binary: bin, Config: filepath.Join(dir, "nfpm.yaml")}, "does not exist (-config)"},
		{"unknown variable", options{Version: "1.0.0", Binary: bin, Config: unknownVar}, "uses ${VERSON}, which mkdeb does not set"},
		{"missing source", options{Version: "1.0.0", Binary: bin, Config: missingSrc}, "source of /etc/sbpd/sbpd.env"},
		{"unknown field", options{Version: "1.0.0", Binary: bin, Config: badKey}, "homepag"},
		{"semver", options{Version: "1.0.0-rc1", Binary: bin, Config: semver}, `makes version "1.0.0"`},
		{"no docs", options{Version: "1.0.0", Binary: bin, Docs: "-"}, "-docs is required"},
		{"no man page", options{Version: "1.0.0", Binary: bin, Docs: noPages}, "no man page (man/*.1) in -docs"},
		{"no fish completion", options{Version: "1.0.0", Binary: bin, Docs: noFish}, "sbpd.fish"},
		{"no changelog", options{Version: "1.0.0", Binary: bin, Config: noChangelog}, "source of /usr/share/doc/sbpd/changelog.gz"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o := tc.o
			if o.Config == "" {
				o.Config = config
			}
			if o.Arch == "" {
				o.Arch = debArch()
			}
			switch o.Docs {
			case "":
				o.Docs = docs
			case "-":
				o.Docs = ""
			}
			o.OutDir = filepath.Join(t.TempDir(), "dist")
			path, err := build(o)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("build: %q, %v; want an error containing %q", path, err, tc.want)
			}
			if entries, _ := os.ReadDir(o.OutDir); len(entries) > 0 {
				t.Errorf("a failed build left %d files in %s", len(entries), o.OutDir)
			}
		})
	}
}

func TestLibcDepends(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want []int
		ok   bool
	}{
		{"GLIBC_2.34", []int{2, 34}, true},
		{"GLIBC_2.2.5", []int{2, 2, 5}, true},
		{"GLIBC_PRIVATE", nil, false},
		{"GCC_3.0", nil, false},
	} {
		got, ok := glibcVersion(tc.in)
		if ok != tc.ok || !slices.Equal(got, tc.want) {
			t.Errorf("glibcVersion(%q) = %v, %v; want %v, %v", tc.in, got, ok, tc.want, tc.ok)
		}
	}
	if !versionLess([]int{2, 2, 5}, []int{2, 34}) || versionLess([]int{2, 34}, []int{2, 3, 4}) || !versionLess([]int{2, 3}, []int{2, 3, 4}) {
		t.Error("versionLess orders glibc versions wrongly")
	}
}

// TestBuild_Maintainer: the package names a real-looking maintainer by
// default (lintian's bogus-mail-host refused sbpd@localhost), the
// packager's own with -maintainer, and a malformed one is refused.
func TestBuild_Maintainer(t *testing.T) {
	if _, err := exec.LookPath("dpkg-deb"); err != nil {
		t.Skip("no dpkg-deb")
	}
	bin := smallELF(t)
	config := filepath.Join("..", "nfpm.yaml")
	for _, c := range []struct{ flag, want string }{
		{"", "sbpd maintainers <maintainers@sbpd.dev>"},
		{"Kiosk Team <kiosk@example.org>", "Kiosk Team <kiosk@example.org>"},
	} {
		path, err := build(options{Config: config, Version: "1.0.0", Arch: debArch(), Binary: bin, Docs: fakeDocs(t), OutDir: t.TempDir(), Maintainer: c.flag})
		if err != nil {
			t.Fatal(err)
		}
		if got := debFields(t, path)["Maintainer"]; got != c.want {
			t.Errorf("-maintainer %q: Maintainer %q, want %q", c.flag, got, c.want)
		}
	}
	for _, bad := range []string{"kiosk@example.org", "Kiosk <kiosk@localhost>", "Kiosk Team"} {
		if _, err := build(options{Config: config, Version: "1.0.0", Arch: debArch(), Binary: bin, Docs: fakeDocs(t), OutDir: t.TempDir(), Maintainer: bad}); err == nil {
			t.Errorf("-maintainer %q accepted", bad)
		}
	}
}

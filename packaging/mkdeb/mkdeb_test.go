package main

import (
	"bufio"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// testVersion is what the test binary says it is.
const testVersion = "0.0.0-test"

var (
	shared     string // a directory for what the tests share; removed by TestMain
	binaryOnce sync.Once
	binaryPath string
	binaryErr  error
	docsOnce   sync.Once
	docsPath   string
	docsErr    error
	mkdebOnce  sync.Once
	mkdebPath  string
	mkdebErr   error
)

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "sbpd-mkdeb-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	shared = dir
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// goBuild builds pkg of the module in dir (relative to this package: the
// daemon's module at ../.., this packaging module at ..) into the test
// run's build directory as name.
func goBuild(name, dir, pkg string, args ...string) (string, error) {
	goTool, err := exec.LookPath("go")
	if err != nil {
		goTool = filepath.Join(runtime.GOROOT(), "bin", "go")
	}
	path := filepath.Join(shared, name)
	args = append(append([]string{"build", "-o", path}, args...), pkg)
	cmd := exec.Command(goTool, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "CGO_ENABLED=1")
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return path, nil
}

// buildFlags are scripts/build-deb.sh's flags for the packaged sbpd, with
// the version set with -X. Never -race, even under go test -race: the
// package holds what build-deb.sh builds: a static-pie binary (the race
// detector builds no PIE).
var buildFlags = []string{"-trimpath", "-buildmode=pie", "-tags", "netgo osusergo sqlite_omit_load_extension",
	"-ldflags", "-s -w -X main.version=" + testVersion + " -linkmode external -extldflags '-static-pie -Wl,-z,pack-relative-relocs'"}

// sbpdBinary builds ./cmd/sbpd once for all the tests, as
// scripts/build-deb.sh does.
func sbpdBinary(t *testing.T) string {
	t.Helper()
	binaryOnce.Do(func() {
		binaryPath, binaryErr = goBuild("sbpd", filepath.Join("..", ".."), "./cmd/sbpd", buildFlags...)
	})
	if binaryErr != nil {
		t.Fatal(binaryErr)
	}
	return binaryPath
}

// sbpdDocs builds sbpd with -tags gendocs and runs its gen-docs once, as
// build-deb.sh does, and returns the directory for mkdeb -docs.
func sbpdDocs(t *testing.T) string {
	t.Helper()
	docsOnce.Do(func() {
		var bin string
		bin, docsErr = goBuild("sbpd-docs", filepath.Join("..", ".."), "./cmd/sbpd", "-tags", "gendocs")
		if docsErr != nil {
			return
		}
		docsPath = filepath.Join(shared, "docs")
		cmd := exec.Command(bin, "gen-docs", "--man", filepath.Join(docsPath, "man"), "--completions", filepath.Join(docsPath, "completions"))
		cmd.Env = append(os.Environ(), "SOURCE_DATE_EPOCH=1700000000")
		if out, err := cmd.CombinedOutput(); err != nil {
			docsErr = fmt.Errorf("sbpd gen-docs: %v\n%s", err, out)
		}
	})
	if docsErr != nil {
		t.Fatal(docsErr)
	}
	return docsPath
}

// mkdebCommand builds this command once, without -race: under the race
// detector nfpm's gzip takes half a minute for sbpd's 40 MB.
func mkdebCommand(t *testing.T) string {
	t.Helper()
	mkdebOnce.Do(func() { mkdebPath, mkdebErr = goBuild("mkdeb", "..", "./mkdeb") })
	if mkdebErr != nil {
		t.Fatal(mkdebErr)
	}
	return mkdebPath
}

// buildDeb runs mkdeb as scripts/build-deb.sh does and returns the path it
// prints.
func buildDeb(t *testing.T, config, version, binary, outDir string) string {
	t.Helper()
	out := mustRun(t, nil, mkdebCommand(t), "-config", config, "-version", version, "-arch", debArch(), "-binary", binary, "-docs", sbpdDocs(t), "-out", outDir)
	path := strings.TrimSuffix(out, "\n")
	if strings.Contains(path, "\n") || filepath.Dir(path) != outDir {
		t.Fatalf("mkdeb printed %q, want the path of the package in %s", out, outDir)
	}
	if _, err := os.Stat(path); err != nil {
		t.Fatalf("mkdeb printed %s: %v", path, err)
	}
	return path
}

func needDpkg(t *testing.T) {
	t.Helper()
	for _, tool := range []string{"dpkg", "dpkg-deb"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s is not installed (apt-get install dpkg): the Debian package is not tested", tool)
		}
	}
}

// run runs a command and returns its combined output; env replaces the
// SBPD_ variables of this process.
func run(t *testing.T, env []string, name string, args ...string) (string, error) {
	t.Helper()
	cmd := exec.Command(name, args...)
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "SBPD_") && !strings.HasPrefix(kv, "DPKG_ROOT=") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	cmd.Env = append(cmd.Env, env...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		return string(out), fmt.Errorf("%s %s: %w\n%s", name, strings.Join(args, " "), err, out)
	}
	return string(out), nil
}

func mustRun(t *testing.T, env []string, name string, args ...string) string {
	t.Helper()
	out, err := run(t, env, name, args...)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func mustMkdir(t *testing.T, dirs ...string) {
	t.Helper()
	for _, d := range dirs {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
}

func writeFile(t *testing.T, path, text string, mode fs.FileMode) {
	t.Helper()
	if err := os.WriteFile(path, []byte(text), mode); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(path, mode); err != nil {
		t.Fatal(err)
	}
}

func copyFile(t *testing.T, from, to string, mode fs.FileMode) {
	t.Helper()
	b, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, to, string(b), mode)
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// copyPackaging copies packaging/ (without mkdeb) and the top README.md, the
// files nfpm.yaml names, into dir, and returns the copy of nfpm.yaml.
func copyPackaging(t *testing.T, dir string) string {
	t.Helper()
	pkg := filepath.Join(dir, "packaging")
	mustMkdir(t, filepath.Join(pkg, "scripts"))
	for _, sub := range []string{"", "scripts"} {
		entries, err := os.ReadDir(filepath.Join("..", sub))
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range entries {
			if e.Type().IsRegular() {
				info, _ := e.Info()
				copyFile(t, filepath.Join("..", sub, e.Name()), filepath.Join(pkg, sub, e.Name()), info.Mode().Perm())
			}
		}
	}
	copyFile(t, filepath.Join("..", "..", "README.md"), filepath.Join(dir, "README.md"), 0o644)
	return filepath.Join(pkg, "nfpm.yaml")
}

// debArch is the Debian architecture of this machine.
func debArch() string { return defaultArch(runtime.GOARCH) }

// A package's file as dpkg-deb --contents lists it.
type debEntry struct {
	perms, owner, link string
}

func debContents(t *testing.T, deb string) map[string]debEntry {
	t.Helper()
	out := mustRun(t, nil, "dpkg-deb", "--contents", deb)
	entries := map[string]debEntry{}
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		// drwxr-xr-x root/root 0 2026-01-02 15:04 ./etc/sbpd/[ -> target]
		f := strings.Fields(line)
		if len(f) < 6 {
			t.Fatalf("dpkg-deb --contents: cannot read %q", line)
		}
		e := debEntry{perms: f[0], owner: f[1]}
		if len(f) == 8 && f[6] == "->" {
			e.link = f[7]
		}
		entries[strings.TrimSuffix(strings.TrimPrefix(f[5], "."), "/")] = e
	}
	return entries
}

// debFields reads the control fields of a package.
func debFields(t *testing.T, deb string) map[string]string {
	t.Helper()
	return parseFields(mustRun(t, nil, "dpkg-deb", "--field", deb))
}

// parseFields reads "Key: value" lines (continuation lines are appended).
func parseFields(text string) map[string]string {
	fields := map[string]string{}
	last := ""
	for _, line := range strings.Split(text, "\n") {
		if strings.HasPrefix(line, " ") && last != "" {
			fields[last] += "\n" + strings.TrimSpace(line)
			continue
		}
		if k, v, ok := strings.Cut(line, ":"); ok {
			last = k
			fields[k] = strings.TrimSpace(v)
		}
	}
	return fields
}

// The files of the package: path -> permissions as dpkg-deb shows them.
// Everything is root/root in the archive; postinst hands the conffiles to
// the group sbpd (it does not exist when they are unpacked).
var wantFiles = map[string]string{
	"/usr/bin/sbpd":                        "-rwxr-xr-x",
	"/usr/lib/systemd/system/sbpd.service": "-rw-r--r--",
	"/usr/lib/sysusers.d/sbpd.conf":        "-rw-r--r--",
	"/etc/sbpd/sbpd.yaml":                  "-rw-r-----",
	"/etc/sbpd/sbpd.env":                   "-rw-r-----",
	"/usr/share/doc/sbpd/README.md":        "-rw-r--r--",
	"/usr/share/doc/sbpd/README.Debian":    "-rw-r--r--",
	"/usr/share/doc/sbpd/copyright":        "-rw-r--r--",
	"/usr/share/doc/sbpd/changelog.gz":     "-rw-r--r--",
	"/usr/share/lintian/overrides/sbpd":    "-rw-r--r--",
	// sbpd gen-docs's completions, at Debian's paths.
	"/usr/share/bash-completion/completions/sbpd":    "-rw-r--r--",
	"/usr/share/zsh/vendor-completions/_sbpd":        "-rw-r--r--",
	"/usr/share/fish/vendor_completions.d/sbpd.fish": "-rw-r--r--",
	// and one man page for each command (manPages adds the others).
	"/usr/share/man/man1/sbpd.1.gz":       "-rw-r--r--",
	"/usr/share/man/man1/sbpd-serve.1.gz": "-rw-r--r--",
}

var wantConffiles = []string{"/etc/sbpd/sbpd.env", "/etc/sbpd/sbpd.yaml"}

// checkDeb checks a built package: control fields, conffiles, scripts,
// every file with its mode and owner, and that its sbpd runs.
func checkDeb(t *testing.T, deb, version string) {
	t.Helper()
	if base := filepath.Base(deb); base != "sbpd_"+version+"_"+debArch()+".deb" {
		t.Errorf("package file %s, want sbpd_%s_%s.deb", base, version, debArch())
	}
	info := mustRun(t, nil, "dpkg-deb", "--info", deb)
	fields := debFields(t, deb)
	for k, want := range map[string]string{"Package": "sbpd", "Version": version, "Architecture": debArch()} {
		if fields[k] != want {
			t.Errorf("%s: %s: %q, want %q\n%s", deb, k, fields[k], want, info)
		}
	}
	for _, k := range []string{"Maintainer", "Description", "Section", "Priority"} {
		if fields[k] == "" {
			t.Errorf("%s: no %s field\n%s", deb, k, info)
		}
	}
	// A static binary: the package installs on any glibc (Debian 11,
	// Ubuntu 20.04, Astra Linux SE 1.7).
	if deps := fields["Depends"]; deps != "passwd" {
		t.Errorf("%s: Depends: %q, want only passwd (useradd in postinst; sbpd is static, no libc6)", deb, deps)
	}

	control := t.TempDir()
	mustRun(t, nil, "dpkg-deb", "--control", deb, control)
	conffiles := strings.Fields(readFile(t, filepath.Join(control, "conffiles")))
	slices.Sort(conffiles)
	if !slices.Equal(conffiles, wantConffiles) {
		t.Errorf("%s: conffiles %v, want %v", deb, conffiles, wantConffiles)
	}
	for _, s := range []string{"postinst", "prerm", "postrm"} {
		path := filepath.Join(control, s)
		st, err := os.Stat(path)
		if err != nil {
			t.Errorf("%s: no %s script: %v", deb, s, err)
			continue
		}
		if st.Mode().Perm() != 0o755 {
			t.Errorf("%s: %s has mode %v, want 0755", deb, s, st.Mode().Perm())
		}
		text := readFile(t, path)
		if !strings.HasPrefix(text, "#!/bin/sh\n") || !strings.Contains(text, "\nset -e\n") {
			t.Errorf("%s: %s is not a POSIX sh script with set -e", deb, s)
		}
		checkNoSystemctl(t, s, text)
		if _, err := run(t, nil, "sh", "-n", path); err != nil {
			t.Errorf("%s: %s: %v", deb, s, err)
		}
	}

	entries := debContents(t, deb)
	want := maps.Clone(wantFiles)
	for _, page := range manPages(t) {
		want["/usr/share/man/man1/"+page+".gz"] = "-rw-r--r--"
	}
	for path, perms := range want {
		e, ok := entries[path]
		switch {
		case !ok:
			t.Errorf("%s: %s is missing", deb, path)
		case e.perms != perms || e.owner != "root/root":
			t.Errorf("%s: %s is %s %s, want %s root/root", deb, path, e.perms, e.owner, perms)
		}
	}
	for path, e := range entries {
		if _, ok := want[path]; !ok && !strings.HasPrefix(e.perms, "d") {
			t.Errorf("%s: unexpected %s %s", deb, e.perms, path)
		}
		if path == "/var/lib/sbpd" || strings.HasPrefix(path, "/var/lib/sbpd/") {
			t.Errorf("%s: ships %s: dpkg would own the journal's directory", deb, path)
		}
	}

	// The packaged binary runs and says which version it is.
	tree := t.TempDir()
	mustRun(t, nil, "dpkg-deb", "--extract", deb, tree)
	checkDocs(t, tree)
	checkLintian(t, deb)
	checkStaticPIE(t, filepath.Join(tree, "usr/bin/sbpd"))
	out := mustRun(t, nil, filepath.Join(tree, "usr/bin/sbpd"), "version")
	if !strings.HasPrefix(out, "sbpd "+testVersion+" ") {
		t.Errorf("packaged sbpd version: %q, want sbpd %s …", out, testVersion)
	}
	// The man page renderer stays out of the daemon (-tags gendocs only).
	if out, err := run(t, nil, filepath.Join(tree, "usr/bin/sbpd"), "gen-docs", "--man", t.TempDir(), "--completions", t.TempDir()); err == nil {
		t.Errorf("the packaged sbpd has gen-docs (built with -tags gendocs?):\n%s", out)
	}
	if version != "1.0.0" {
		return // 1.1.0 is built from a changed copy
	}
	for dst, src := range map[string]string{
		"/etc/sbpd/sbpd.yaml":                  "sbpd.yaml",
		"/etc/sbpd/sbpd.env":                   "sbpd.env",
		"/usr/lib/systemd/system/sbpd.service": "sbpd.service",
		"/usr/lib/sysusers.d/sbpd.conf":        "sysusers.conf",
	} {
		if readFile(t, filepath.Join(tree, dst)) != readFile(t, filepath.Join("..", src)) {
			t.Errorf("%s: %s differs from packaging/%s", deb, dst, src)
		}
	}
}

// hostState is what the maintainer scripts must not touch on this machine
// when dpkg installs into another root: a digest of each path.
func hostState(t *testing.T) map[string]string {
	t.Helper()
	state := map[string]string{}
	for _, p := range []string{
		"/etc/passwd", "/etc/group", "/etc/shadow", "/etc/gshadow",
		"/etc/sbpd", "/etc/sbpd/sbpd.yaml", "/etc/sbpd/sbpd.env", "/var/lib/sbpd", "/var/lib/sbpd/sbpd.db",
		"/usr/bin/sbpd", "/usr/lib/systemd/system/sbpd.service", "/lib/systemd/system/sbpd.service",
		"/etc/systemd/system/multi-user.target.wants/sbpd.service",
	} {
		st, err := os.Lstat(p)
		if err != nil {
			state[p] = "absent"
			continue
		}
		sum := ""
		if st.Mode().IsRegular() {
			if b, err := os.ReadFile(p); err == nil {
				h := sha256.Sum256(b)
				sum = hex.EncodeToString(h[:])
			}
		}
		sys := st.Sys().(*syscall.Stat_t)
		state[p] = fmt.Sprintf("%v %d:%d %s", st.Mode(), sys.Uid, sys.Gid, sum)
	}
	return state
}

// treeState is a digest of every file under dir: path -> mode, owner, sha256.
func treeState(t *testing.T, dir string) map[string]string {
	t.Helper()
	state := map[string]string{}
	if _, err := os.Lstat(dir); errors.Is(err, fs.ErrNotExist) {
		return map[string]string{"": "absent"}
	}
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		st, err := os.Lstat(path)
		if err != nil {
			return err
		}
		sys := st.Sys().(*syscall.Stat_t)
		v := fmt.Sprintf("%v %d:%d", st.Mode(), sys.Uid, sys.Gid)
		if st.Mode().IsRegular() {
			f, err := os.Open(path)
			if err != nil {
				return err
			}
			h := sha256.New()
			_, err = io.Copy(h, f)
			f.Close()
			if err != nil {
				return err
			}
			v += " " + hex.EncodeToString(h.Sum(nil))
		}
		state[strings.TrimPrefix(path, dir)] = v
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return state
}

// dbEntry reads NAME's line of ROOT/etc/DB (passwd or group), split at ":".
func dbEntry(t *testing.T, root, db, name string) []string {
	t.Helper()
	f, err := os.Open(filepath.Join(root, "etc", db))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if fields := strings.Split(sc.Text(), ":"); fields[0] == name {
			return fields
		}
	}
	return nil
}

// throwawayRoot makes an empty system for dpkg --root: its database and a
// minimal user database with root and the group dialout.
func throwawayRoot(t *testing.T) string {
	t.Helper()
	root := filepath.Join(t.TempDir(), "root")
	admin := filepath.Join(root, "var/lib/dpkg")
	mustMkdir(t, filepath.Join(admin, "info"), filepath.Join(admin, "updates"), filepath.Join(admin, "triggers"), filepath.Join(root, "etc"))
	writeFile(t, filepath.Join(admin, "status"), "", 0o644)
	writeFile(t, filepath.Join(root, "etc/passwd"), "root:x:0:0:root:/root:/bin/sh\n", 0o644)
	writeFile(t, filepath.Join(root, "etc/group"), "root:x:0:\ndialout:x:20:\n", 0o644)
	writeFile(t, filepath.Join(root, "etc/shadow"), "root:*:19000:0:99999:7:::\n", 0o640)
	writeFile(t, filepath.Join(root, "etc/gshadow"), "root:*::\ndialout:*::\n", 0o640)
	return root
}

// checkMode checks a path's type and mode and its numeric owner.
func checkMode(t *testing.T, path string, dir bool, mode fs.FileMode, uid, gid int) {
	t.Helper()
	st, err := os.Lstat(path)
	if err != nil {
		t.Errorf("%v", err)
		return
	}
	sys := st.Sys().(*syscall.Stat_t)
	if st.IsDir() != dir || st.Mode().Perm() != mode || int(sys.Uid) != uid || int(sys.Gid) != gid {
		t.Errorf("%s: %v %d:%d, want %v%v %d:%d", path, st.Mode(), sys.Uid, sys.Gid,
			map[bool]string{true: "d", false: "-"}[dir], mode, uid, gid)
	}
}

// TestPackage builds the package twice (1.0.0 and 1.1.0, whose conffiles
// differ), checks both with dpkg-deb, then installs, upgrades, removes and
// purges it with dpkg in a throwaway root, running the maintainer scripts
// chrootless with DPKG_ROOT, and checks that nothing on this machine
// changed.
func TestPackage(t *testing.T) {
	needDpkg(t)
	start := time.Now()
	bin := sbpdBinary(t)
	mkdebCommand(t)
	t.Logf("sbpd and mkdeb built in %v", time.Since(start).Round(time.Millisecond))
	out := t.TempDir()

	// 1.1.0 changes both conffiles: the operator's edited sbpd.yaml must be
	// kept, the untouched sbpd.env replaced.
	next := copyPackaging(t, t.TempDir())
	for _, f := range []string{"sbpd.yaml", "sbpd.env"} {
		p := filepath.Join(filepath.Dir(next), f)
		writeFile(t, p, readFile(t, p)+"# changed in 1.1.0\n", 0o644)
	}
	var deb1, deb2 string
	t.Run("build", func(t *testing.T) {
		t.Run("1.0.0", func(t *testing.T) {
			t.Parallel()
			deb1 = buildDeb(t, filepath.Join("..", "nfpm.yaml"), "1.0.0", bin, out)
		})
		t.Run("1.1.0", func(t *testing.T) {
			t.Parallel()
			deb2 = buildDeb(t, next, "1.1.0", bin, out)
		})
	})
	if deb1 == "" || deb2 == "" {
		t.FailNow()
	}

	t.Logf("packages built in %v", time.Since(start).Round(time.Millisecond))
	t.Run("deb", func(t *testing.T) {
		checkDeb(t, deb1, "1.0.0")
		checkDeb(t, deb2, "1.1.0")
	})

	if os.Geteuid() != 0 {
		t.Skip("not root: dpkg cannot install into a throwaway root (it sets owners); the package's contents were checked")
	}
	before := hostState(t)
	root := throwawayRoot(t)
	// A systemctl that records being called: with DPKG_ROOT set, the
	// scripts must never call it (it would act on this machine).
	fakebin := t.TempDir()
	systemctlLog := filepath.Join(fakebin, "systemctl.log")
	writeFile(t, filepath.Join(fakebin, "systemctl"), "#!/bin/sh\necho \"systemctl $*\" >>"+systemctlLog+"\nexit 1\n", 0o755)
	env := []string{"PATH=" + fakebin + string(os.PathListSeparator) + os.Getenv("PATH"), "DEBIAN_FRONTEND=noninteractive"}
	dpkg := func(t *testing.T, args ...string) string {
		t.Helper()
		return mustRun(t, env, "dpkg", append([]string{
			"--root=" + root, "--force-script-chrootless", "--force-not-root",
			"--force-depends",  // libc6 and passwd are not in the throwaway database
			"--force-confold",  // keep the operator's conffiles without asking
			"--path-include=*", // undo any path-exclude of this machine's dpkg.cfg.d
			"--log=/dev/null",
		}, args...)...)
	}
	status := func(t *testing.T) map[string]string {
		t.Helper()
		out, _ := run(t, nil, "dpkg", "--root="+root, "--status", "sbpd")
		return parseFields(out)
	}
	sbpd := func(t *testing.T, args ...string) string {
		t.Helper()
		args = append(args, "--config", filepath.Join(root, "etc/sbpd/sbpd.yaml"), "--data_dir", filepath.Join(root, "var/lib/sbpd"))
		return strings.TrimSpace(mustRun(t, nil, filepath.Join(root, "usr/bin/sbpd"), args...))
	}
	var uid, gid int
	dataDir := filepath.Join(root, "var/lib/sbpd")
	wants := filepath.Join(root, "etc/systemd/system/multi-user.target.wants/sbpd.service")
	// postinst enables the unit through deb-systemd-helper when this
	// machine has it (it honours DPKG_ROOT), which records what it did.
	_, err := exec.LookPath("deb-systemd-helper")
	helper := err == nil
	dshState := filepath.Join(root, "var/lib/systemd/deb-systemd-helper-enabled/sbpd.service.dsh-also")
	installed := false

	t.Run("install", func(t *testing.T) {
		out := dpkg(t, "--install", deb1)
		if s := status(t); s["Status"] != "install ok installed" || s["Version"] != "1.0.0" {
			t.Fatalf("after installing 1.0.0: Status %q, Version %q\n%s", s["Status"], s["Version"], out)
		}
		installed = true
		if !strings.Contains(out, "not started") {
			t.Errorf("the first install does not tell what to fill in before starting sbpd:\n%s", out)
		}
		user := dbEntry(t, root, "passwd", "sbpd")
		group := dbEntry(t, root, "group", "sbpd")
		if user == nil || group == nil {
			t.Fatalf("no user or group sbpd in the root's passwd/group:\n%s\n%s", readFile(t, filepath.Join(root, "etc/passwd")), readFile(t, filepath.Join(root, "etc/group")))
		}
		uid, _ = strconv.Atoi(user[2])
		gid, _ = strconv.Atoi(group[2])
		if user[3] != group[2] || user[5] != "/var/lib/sbpd" || user[6] != "/usr/sbin/nologin" || uid == 0 || uid >= 1000 {
			t.Errorf("user sbpd is %q: want a system user (uid < 1000) in group sbpd, home /var/lib/sbpd, shell /usr/sbin/nologin", strings.Join(user, ":"))
		}
		if dialout := dbEntry(t, root, "group", "dialout"); !slices.Contains(strings.Split(dialout[3], ","), "sbpd") {
			t.Errorf("sbpd is not in dialout (the printer's serial port): %q", strings.Join(dialout, ":"))
		}
		if gs := readFile(t, filepath.Join(root, "etc/gshadow")); !strings.Contains(gs, "\nsbpd:") {
			t.Errorf("no group sbpd in gshadow:\n%s", gs)
		}

		checkMode(t, filepath.Join(root, "usr/bin/sbpd"), false, 0o755, 0, 0)
		checkMode(t, filepath.Join(root, "usr/lib/systemd/system/sbpd.service"), false, 0o644, 0, 0)
		checkMode(t, filepath.Join(root, "usr/lib/sysusers.d/sbpd.conf"), false, 0o644, 0, 0)
		checkMode(t, filepath.Join(root, "usr/share/doc/sbpd/README.md"), false, 0o644, 0, 0)
		checkMode(t, filepath.Join(root, "usr/share/doc/sbpd/README.Debian"), false, 0o644, 0, 0)
		checkMode(t, filepath.Join(root, "etc/sbpd/sbpd.yaml"), false, 0o640, 0, gid)
		checkMode(t, filepath.Join(root, "etc/sbpd/sbpd.env"), false, 0o640, 0, gid)
		checkMode(t, dataDir, true, 0o750, uid, gid)
		if link, err := os.Readlink(wants); err != nil || link != "/usr/lib/systemd/system/sbpd.service" {
			t.Errorf("sbpd.service is not enabled (multi-user.target.wants): %q %v", link, err)
		}
		if helper {
			if _, err := os.Stat(dshState); err != nil {
				t.Errorf("deb-systemd-helper did not record enabling sbpd.service in the root: %v", err)
			}
		}
		if got := mustRun(t, nil, filepath.Join(root, "usr/bin/sbpd"), "version"); !strings.HasPrefix(got, "sbpd "+testVersion) {
			t.Errorf("installed sbpd version: %q", got)
		}
	})
	if !installed {
		t.Fatal("not installed; the upgrade and the purge were not tried")
	}

	var journal map[string]string
	t.Run("upgrade keeps the journal and the operator's settings", func(t *testing.T) {
		// A real till database: the journal's schema and a till setting.
		sbpd(t, "settings", "set", "till.id", "K07")
		if _, err := os.Stat(filepath.Join(dataDir, "sbpd.db")); err != nil {
			t.Fatalf("sbpd settings set did not create the journal: %v", err)
		}
		// The operator's edit of the template.
		yaml := filepath.Join(root, "etc/sbpd/sbpd.yaml")
		edited := strings.Replace(readFile(t, yaml), "level: info ", "level: debug", 1)
		writeFile(t, yaml, edited, 0o640)
		journal = treeState(t, dataDir)

		out := dpkg(t, "--install", deb2)
		if s := status(t); s["Status"] != "install ok installed" || s["Version"] != "1.1.0" {
			t.Fatalf("after upgrading to 1.1.0: Status %q, Version %q\n%s", s["Status"], s["Version"], out)
		}
		if strings.Contains(out, "not started") {
			t.Errorf("the upgrade printed the first install's message:\n%s", out)
		}
		if after := treeState(t, dataDir); !maps.Equal(journal, after) {
			t.Errorf("the upgrade changed the journal's directory:\nbefore %v\nafter  %v", journal, after)
		}
		if got := sbpd(t, "settings", "get", "till.id"); got != "K07" {
			t.Errorf("till.id after the upgrade: %q, want K07", got)
		}
		if got := sbpd(t, "settings", "get", "log.level"); got != "debug" {
			t.Errorf("log.level after the upgrade: %q, want debug (the operator's edit)", got)
		}
		if got := readFile(t, yaml); got != edited {
			t.Errorf("the upgrade replaced the operator's sbpd.yaml:\n%s", got)
		}
		if dist := readFile(t, yaml+".dpkg-dist"); !strings.Contains(dist, "# changed in 1.1.0") {
			t.Errorf("1.1.0's sbpd.yaml was not left beside it as sbpd.yaml.dpkg-dist")
		}
		if env := readFile(t, filepath.Join(root, "etc/sbpd/sbpd.env")); !strings.Contains(env, "# changed in 1.1.0") {
			t.Errorf("the untouched sbpd.env was not updated to 1.1.0's")
		}
		checkMode(t, yaml, false, 0o640, 0, gid)
		checkMode(t, filepath.Join(root, "etc/sbpd/sbpd.env"), false, 0o640, 0, gid)
		checkMode(t, dataDir, true, 0o750, uid, gid)
	})

	t.Run("remove keeps the configuration", func(t *testing.T) {
		dpkg(t, "--remove", "sbpd")
		if _, err := os.Stat(filepath.Join(root, "usr/bin/sbpd")); err == nil {
			t.Errorf("/usr/bin/sbpd is still there after remove")
		}
		if _, err := os.Stat(filepath.Join(root, "etc/sbpd/sbpd.yaml")); err != nil {
			t.Errorf("remove deleted the configuration: %v", err)
		}
		if after := treeState(t, dataDir); !maps.Equal(journal, after) {
			t.Errorf("remove changed the journal's directory:\nbefore %v\nafter  %v", journal, after)
		}
	})

	t.Run("purge keeps the journal", func(t *testing.T) {
		out := dpkg(t, "--purge", "sbpd")
		if _, err := os.Stat(filepath.Join(dataDir, "sbpd.db")); err != nil {
			t.Errorf("purge deleted the journal: %v", err)
		}
		if s := status(t); s["Status"] != "" && !strings.Contains(s["Status"], "not-installed") {
			t.Errorf("after purge: Status %q", s["Status"])
		}
		if after := treeState(t, dataDir); !maps.Equal(journal, after) {
			t.Errorf("purge changed the journal's directory:\nbefore %v\nafter  %v", journal, after)
		}
		if !strings.Contains(out, "/var/lib/sbpd") {
			t.Errorf("purge does not say where the journal is kept:\n%s", out)
		}
		if _, err := os.Stat(filepath.Join(root, "etc/sbpd")); err == nil {
			t.Errorf("purge left /etc/sbpd")
		}
		if _, err := os.Lstat(wants); err == nil {
			t.Errorf("purge left sbpd.service enabled")
		}
		for _, p := range []string{dshState, filepath.Join(root, "etc/systemd/system/sbpd.service")} {
			if _, err := os.Lstat(p); err == nil {
				t.Errorf("purge left %s (deb-systemd-helper's state or mask)", p)
			}
		}
		if dbEntry(t, root, "passwd", "sbpd") == nil {
			t.Errorf("purge removed the user sbpd, who owns the journal")
		}
	})

	if b, err := os.ReadFile(systemctlLog); err == nil {
		t.Errorf("the maintainer scripts called systemctl with DPKG_ROOT set:\n%s", b)
	}
	after := hostState(t)
	for p, v := range before {
		if after[p] != v {
			t.Errorf("installing into %s changed this machine's %s: %s -> %s", root, p, v, after[p])
		}
	}
}

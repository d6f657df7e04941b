package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// The dependency rule of the layout (docs/architecture.md), checked on
// the import graph as `go list` sees it, the way tailscale's deps test
// does: the core, plugin, imports only the standard library; every other
// package imports plugin or its own parent and nothing else of this
// module; only cmd/... wires everything. Some libraries belong to one
// package only.

const module = "github.com/sbpd/sbpd"

// onlyIn names the one package of this module that may import a library
// (a prefix of its import path). The export package alone writes XLSX,
// with its own writer on archive/zip.
var onlyIn = map[string]string{
	"github.com/spf13/viper": module + "/config",
	"archive/zip":            module + "/drivers/export",
}

// testsOnly are libraries only tests may import: excelize reads back the
// XLSX files drivers/export writes. Its package init alone allocates
// 1.4 MB, which Go runs in every binary that links it (BENCHMARKS.md).
var testsOnly = []string{"github.com/xuri/excelize/"}

// testsOnlyIn lists the import paths of deps that only tests may use.
func testsOnlyIn(deps []string) []string {
	var bad []string
	for _, d := range deps {
		for _, lib := range testsOnly {
			if strings.HasPrefix(d+"/", lib) {
				bad = append(bad, d)
			}
		}
	}
	return bad
}

// listedPackage is what the test needs of `go list -json`.
type listedPackage struct {
	ImportPath string
	Imports    []string
	Standard   bool
}

// listPackages runs `go list -json` on the module's packages (tests'
// imports not included: a test may use what it needs).
func listPackages(t *testing.T) []listedPackage {
	t.Helper()
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skipf("no go toolchain: %v", err)
	}
	cmd := exec.Command(goTool, "list", "-json", "./...")
	cmd.Dir = filepath.Join("..", "..")
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	var pkgs []listedPackage
	dec := json.NewDecoder(bytes.NewReader(out))
	for {
		var p listedPackage
		if err := dec.Decode(&p); err == io.EOF {
			break
		} else if err != nil {
			t.Fatal(err)
		}
		pkgs = append(pkgs, p)
	}
	return pkgs
}

// importProblems lists the imports of p that break the rule.
func importProblems(p listedPackage) []string {
	var bad []string
	own := strings.HasPrefix(p.ImportPath, module+"/cmd/")
	for _, imp := range p.Imports {
		if owner, ok := onlyIn[imp]; ok && !strings.HasPrefix(p.ImportPath, owner) {
			bad = append(bad, fmt.Sprintf("%s imports %s, which only %s may", p.ImportPath, imp, owner))
		}
		if len(testsOnlyIn([]string{imp})) != 0 {
			bad = append(bad, fmt.Sprintf("%s imports %s, which only tests may", p.ImportPath, imp))
		}
		if !strings.HasPrefix(imp, module+"/") || own {
			continue
		}
		switch {
		case p.ImportPath == module+"/plugin":
			bad = append(bad, fmt.Sprintf("plugin imports %s: the core imports only the standard library", imp))
		case imp == module+"/plugin", strings.HasPrefix(p.ImportPath, imp+"/"):
			// the core, or its own parent
		default:
			bad = append(bad, fmt.Sprintf("%s imports %s: a package imports plugin or its own parent, nothing else of ours", p.ImportPath, imp))
		}
	}
	if p.ImportPath == module+"/plugin" {
		for _, imp := range p.Imports {
			if strings.Contains(strings.SplitN(imp, "/", 2)[0], ".") {
				bad = append(bad, fmt.Sprintf("plugin imports %s: the core imports only the standard library", imp))
			}
			if imp == "net/http" {
				bad = append(bad, "plugin imports net/http: HTTP (statuses included) belongs at the edge, drivers/tillapi and display")
			}
		}
	}
	return bad
}

// TestDeps_LayoutRule: every package of the module keeps the rule.
func TestDeps_LayoutRule(t *testing.T) {
	pkgs := listPackages(t)
	if len(pkgs) < 10 {
		t.Fatalf("go list found %d packages", len(pkgs))
	}
	for _, p := range pkgs {
		for _, problem := range importProblems(p) {
			t.Error(problem)
		}
	}
}

// TestDeps_RuleCatchesForbiddenImports: the check itself fails on each
// kind of forbidden import, so a passing TestDeps_LayoutRule means
// something.
func TestDeps_RuleCatchesForbiddenImports(t *testing.T) {
	for _, p := range []listedPackage{
		{ImportPath: module + "/plugin", Imports: []string{"github.com/google/uuid"}},
		{ImportPath: module + "/plugin", Imports: []string{module + "/config"}},
		{ImportPath: module + "/plugin", Imports: []string{"net/http"}},
		{ImportPath: module + "/display", Imports: []string{module + "/drivers/tillapi"}},
		{ImportPath: module + "/drivers/tillapi", Imports: []string{module + "/drivers/sqlite"}},
		{ImportPath: module + "/drivers/paymaster/sandbox", Imports: []string{module + "/drivers/notify"}},
		{ImportPath: module + "/display", Imports: []string{"github.com/spf13/viper"}},
		{ImportPath: module + "/drivers/sqlite", Imports: []string{"github.com/xuri/excelize/v2"}},
		{ImportPath: module + "/cmd/sbpd", Imports: []string{"github.com/xuri/excelize/v2"}},
		{ImportPath: module + "/drivers/export", Imports: []string{"github.com/xuri/excelize/v2"}},
		{ImportPath: module + "/plugin/backoffice/web", Imports: []string{"archive/zip"}},
	} {
		if len(importProblems(p)) == 0 {
			t.Errorf("%s importing %v passes the rule", p.ImportPath, p.Imports)
		}
	}
	for _, p := range []listedPackage{
		{ImportPath: module + "/plugin", Imports: []string{"context", "net/url"}},
		{ImportPath: module + "/drivers/paymaster/sandbox", Imports: []string{module + "/plugin", module + "/drivers/paymaster"}},
		{ImportPath: module + "/cmd/sbpd", Imports: []string{module + "/drivers/tillapi", module + "/drivers/export"}},
		{ImportPath: module + "/drivers/export", Imports: []string{module + "/plugin", "archive/zip"}},
	} {
		if bad := importProblems(p); len(bad) != 0 {
			t.Errorf("an allowed import refused: %v", bad)
		}
	}
}

// TestDeps_DaemonWithoutExcelize: the daemon's binary links no test-only
// library, checked on what `go list -deps` says it is built from.
func TestDeps_DaemonWithoutExcelize(t *testing.T) {
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skipf("no go toolchain: %v", err)
	}
	cmd := exec.Command(goTool, "list", "-deps", ".")
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list -deps: %v", err)
	}
	deps := strings.Fields(string(out))
	if len(deps) < 100 || !slices.Contains(deps, module+"/drivers/export") {
		t.Fatalf("go list -deps found %d packages, without drivers/export", len(deps))
	}
	if bad := testsOnlyIn(deps); len(bad) != 0 {
		t.Errorf("sbpd's binary links %v, which only tests may use", bad)
	}
	// The check itself finds the library and its subpackages, and only them.
	if got := testsOnlyIn([]string{"archive/zip", "github.com/xuri/excelize/v2", "github.com/xuri/excelize/v2/internal/x", "github.com/xuri/excelizer"}); len(got) != 2 {
		t.Errorf("testsOnlyIn found %v", got)
	}
}

// TestRepo_StandsAlone: no tracked file points at documents outside the
// repository (the workspace the project was started in): a fresh clone
// has none of them.
func TestRepo_StandsAlone(t *testing.T) {
	gitTool, err := exec.LookPath("git")
	if err != nil {
		t.Skipf("no git: %v", err)
	}
	cmd := exec.Command(gitTool, "ls-files", "-z")
	cmd.Dir = filepath.Join("..", "..")
	out, err := cmd.Output()
	if err != nil {
		t.Skipf("not a git checkout: %v", err)
	}
	outside := []string{".." + "/shared", "shared" + "/reference", "shared" + "/design", "shared" + "/seeds", "design" + ".md"}
	for _, name := range strings.Split(strings.TrimRight(string(out), "\x00"), "\x00") {
		b, err := os.ReadFile(filepath.Join("..", "..", name))
		if err != nil || bytes.IndexByte(b, 0) >= 0 {
			continue // gone from the work tree, or binary
		}
		for _, s := range outside {
			if i := bytes.Index(b, []byte(s)); i >= 0 {
				line := 1 + bytes.Count(b[:i], []byte("\n"))
				t.Errorf("%s:%d refers to %q, outside the repository", name, line, s)
			}
		}
	}
}

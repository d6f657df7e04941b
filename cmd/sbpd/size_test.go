package main

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The size rules of the layout: a function one person can hold in mind,
// and a command package that only wires, parses flags and prints.
// maxCmdLines is a ratchet: the layout's goal for cmd/sbpd is 1,500 lines
// (flags, output, wiring); it is lowered as logic moves into packages and
// never raised.
const (
	maxFuncLines = 80
	maxCmdLines  = 2341 // 2,341: what stops settings from serving is config.ServeProblems; a changed notify.* applies through drivers/notify's Running. 2,342: a misspelled subcommand of any group is refused (strictGroups, +29), paid for by the list's text and --page's bound (backoffice.WriteList, plugin.PageOffset), the settings' notes and completions (config's View.Notes, Completions), the resync's words (backoffice.WriteResynced) and the printer's refusal (plugin.PrinterHealth.Refusal). 2,352: a setting's origin and problem are plugin's types, so doctor reads config's without a copy. 2,363: the printer's status and a sticker are one type each, plugin's, so doctor reads the drivers' answers without a copy. 2,373: doctor's bounds are plugin/doctor's DefaultLimits; show --json prints backoffice.Shown; --data-dir is one flag everywhere. 2,375: the settings acts moved into config (TillSettings); the PayMaster failure reasons and the journal's open errors are plugin's, read by plugin/doctor; the probe makes its transcript file; the demo's directory is config.Demo's; the default template path is plugin.ConfigPath; serve no longer forces a collection before serving
)

// sourceFiles lists the module's non-test Go files.
func sourceFiles(t *testing.T) []string {
	t.Helper()
	root := filepath.Join("..", "..")
	var files []string
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (d.Name() == ".git" || d.Name() == "testdata") {
			return filepath.SkipDir
		}
		if !d.IsDir() && strings.HasSuffix(path, ".go") && !strings.HasSuffix(path, "_test.go") {
			files = append(files, path)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return files
}

// TestSize_FunctionsFitInMind: no non-test function is over 80 lines.
func TestSize_FunctionsFitInMind(t *testing.T) {
	fset := token.NewFileSet()
	for _, path := range sourceFiles(t) {
		f, err := parser.ParseFile(fset, path, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, decl := range f.Decls {
			fn, ok := decl.(*ast.FuncDecl)
			if !ok || fn.Body == nil {
				continue
			}
			lines := fset.Position(fn.End()).Line - fset.Position(fn.Pos()).Line + 1
			if lines > maxFuncLines {
				t.Errorf("%s: %s is %d lines (at most %d): split it by responsibility", fset.Position(fn.Pos()), fn.Name.Name, lines, maxFuncLines)
			}
		}
	}
}

// TestSize_CommandOnlyWires: cmd/sbpd's non-test code does not grow past
// maxCmdLines; logic another front end needs belongs in a package.
func TestSize_CommandOnlyWires(t *testing.T) {
	total := 0
	for _, path := range sourceFiles(t) {
		if filepath.Dir(path) != filepath.Join("..", "..", "cmd", "sbpd") {
			continue // only this package
		}
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		total += strings.Count(string(b), "\n")
	}
	if total > maxCmdLines {
		t.Errorf("cmd/sbpd has %d non-test lines (at most %d): move logic into packages", total, maxCmdLines)
	}
}

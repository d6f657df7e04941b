package web

import (
	"io/fs"
	"strings"
	"testing"
	"testing/fstest"
)

// TestParseTemplates: the pages are parsed at the first page shown, not
// when the daemon starts, so a page that would not parse is caught here:
// every embedded page parses with the layout, and a broken one is an
// error.
func TestParseTemplates(t *testing.T) {
	set, err := parseTemplates(assets)
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range pages {
		if set[name] == nil || set[name].Lookup("layout") == nil {
			t.Errorf("page %s: no template with the layout", name)
		}
	}
	broken := fstest.MapFS{}
	fs.WalkDir(assets, "assets", func(path string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.HasSuffix(path, ".html") {
			b, _ := fs.ReadFile(assets, path)
			broken[path] = &fstest.MapFile{Data: b}
		}
		return nil
	})
	if _, err := parseTemplates(broken); err != nil {
		t.Fatalf("the copy of the pages: %v", err)
	}
	broken["assets/stuck.html"] = &fstest.MapFile{Data: []byte(`{{define "content"}}{{if .View}}no end{{end}}`)}
	if _, err := parseTemplates(broken); err == nil {
		t.Error("a page that does not parse passed")
	}
	delete(broken, "assets/stuck.html")
	if _, err := parseTemplates(broken); err == nil {
		t.Error("a missing page passed")
	}
}

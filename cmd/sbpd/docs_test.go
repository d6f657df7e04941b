package main

import (
	"io"
	"net/http"
	"os"
	"regexp"
	"strings"
	"testing"
)

// TestDocs_READMEStartWorks: README's till API example that starts a
// payment, sent as written (its headers and body), starts one on a real
// daemon: a newcomer's first call works.
func TestDocs_READMEStartWorks(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	starts := regexp.MustCompile(`(?m)^curl .*-X POST \S*(/api/v1/payments) .*$`).FindAllStringSubmatch(string(readme), -1)
	if len(starts) == 0 {
		t.Fatal("README shows no curl that starts a payment")
	}
	h := newE2E(t)
	for _, s := range starts {
		body := regexp.MustCompile(`-d '([^']*)'`).FindStringSubmatch(s[0])
		if body == nil {
			t.Fatalf("no -d body in %q", s[0])
		}
		req, _ := http.NewRequest(http.MethodPost, h.d.URL()+s[1], strings.NewReader(body[1]))
		for _, hdr := range regexp.MustCompile(`-H '([^:']+): ([^']*)'`).FindAllStringSubmatch(s[0], -1) {
			req.Header.Set(hdr[1], hdr[2])
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusCreated {
			t.Errorf("README's %q answers %d: %s", s[0], resp.StatusCode, b)
		}
	}
}

package main

import (
	"encoding/json"
	"io"
	"net/http"
	"os"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// docExample is one curl example of docs/integrator.md with the answer
// it shows.
type docExample struct {
	line    int // of the command, 1-based
	method  string
	path    string
	header  http.Header
	body    string
	status  int
	answer  string // the JSON shown
	command string
}

// curlStatus is how an example asks curl to print the status after the body.
const curlStatus = `curl -s -w '\nHTTP %{http_code}\n'`

// bigJSON is the command that makes the examples' big.json.
const bigJSON = `$ head -c 70000 /dev/zero | tr '\0' ' ' > big.json`

var consoleBlock = regexp.MustCompile("(?s)```console\n(.*?)```")

// docErrorExamples reads the examples of doc that print the status and
// answer an input error (400, 404, 413, 422): their answer does not depend
// on what the journal holds, so a fresh daemon gives the same.
func docErrorExamples(t *testing.T, doc string) []docExample {
	t.Helper()
	var out []docExample
	for _, m := range consoleBlock.FindAllStringSubmatchIndex(doc, -1) {
		block := doc[m[2]:m[3]]
		lines := strings.Split(strings.TrimRight(block, "\n"), "\n")
		last := lines[len(lines)-1]
		status, err := strconv.Atoi(strings.TrimPrefix(last, "HTTP "))
		if !strings.HasPrefix(last, "HTTP ") || err != nil {
			continue
		}
		if status != 400 && status != 404 && status != 413 && status != 422 {
			continue
		}
		cmdAt := -1
		for i, l := range lines {
			if strings.HasPrefix(l, "$ "+curlStatus) {
				cmdAt = i
			}
		}
		if cmdAt < 0 {
			t.Fatalf("an example answering HTTP %d without %q:\n%s", status, curlStatus, block)
		}
		ex := parseCurl(t, strings.TrimPrefix(lines[cmdAt], "$ "))
		ex.line = strings.Count(doc[:m[2]], "\n") + cmdAt + 1
		ex.status = status
		ex.answer = strings.Join(lines[cmdAt+1:len(lines)-1], "\n")
		if ex.body == "@big.json" {
			if cmdAt == 0 || lines[cmdAt-1] != bigJSON {
				t.Fatalf("line %d sends big.json without making it as %q", ex.line, bigJSON)
			}
			ex.body = strings.Repeat(" ", 70000)
		}
		out = append(out, ex)
	}
	return out
}

// parseCurl reads the method, URL, headers and body of a curl command of
// the examples (arguments in single quotes or bare).
func parseCurl(t *testing.T, cmd string) docExample {
	t.Helper()
	var args []string
	for rest := strings.TrimSpace(cmd); rest != ""; rest = strings.TrimSpace(rest) {
		if rest[0] == '\'' {
			end := strings.IndexByte(rest[1:], '\'')
			if end < 0 {
				t.Fatalf("unclosed quote in %s", cmd)
			}
			args, rest = append(args, rest[1:end+1]), rest[end+2:]
			continue
		}
		end := strings.IndexByte(rest, ' ')
		if end < 0 {
			end = len(rest)
		}
		args, rest = append(args, rest[:end]), rest[end:]
	}
	ex := docExample{method: "GET", header: http.Header{}, command: cmd}
	for i := 1; i < len(args); i++ {
		switch a := args[i]; a {
		case "-s":
		case "-w":
			i++
		case "-X":
			i++
			ex.method = args[i]
		case "-H":
			i++
			k, v, _ := strings.Cut(args[i], ": ")
			ex.header.Set(k, v)
		case "-d", "--data-binary":
			i++
			ex.body = args[i]
			if ex.method == "GET" {
				ex.method = "POST"
			}
		default:
			const base = "http://127.0.0.1:8765"
			if !strings.HasPrefix(a, base) {
				t.Fatalf("unknown curl argument %q in %s", a, cmd)
			}
			ex.path = strings.TrimPrefix(a, base)
		}
	}
	return ex
}

// TestIntegratorDoc_ErrorExamplesAreReal: every input-error example of
// docs/integrator.md (the request, its status and the whole answer) is
// what the daemon answers today, so a message changed in the code cannot
// leave the doc behind.
func TestIntegratorDoc_ErrorExamplesAreReal(t *testing.T) {
	doc, err := os.ReadFile("../../docs/integrator.md")
	if err != nil {
		t.Fatal(err)
	}
	examples := docErrorExamples(t, string(doc))
	if len(examples) < 10 {
		t.Fatalf("found %d error examples; the doc shows more: is the parser broken?", len(examples))
	}
	t.Logf("%d examples", len(examples))
	h := newE2E(t)
	for _, ex := range examples {
		req, err := http.NewRequest(ex.method, h.d.URL()+ex.path, strings.NewReader(ex.body))
		if err != nil {
			t.Fatal(err)
		}
		req.Header = ex.header
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		got, _ := io.ReadAll(res.Body)
		res.Body.Close()
		var want, have any
		if err := json.Unmarshal([]byte(ex.answer), &want); err != nil {
			t.Errorf("docs/integrator.md:%d: the answer shown is not JSON: %v", ex.line, err)
			continue
		}
		json.Unmarshal(got, &have)
		if res.StatusCode != ex.status || !reflect.DeepEqual(want, have) {
			t.Errorf("docs/integrator.md:%d: %s\nshows HTTP %d %s\ngot   HTTP %d %s", ex.line, ex.command, ex.status, ex.answer, res.StatusCode, got)
		}
	}
}

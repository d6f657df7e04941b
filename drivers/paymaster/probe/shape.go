package probe

import (
	"bytes"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
)

// Shape lists the fields of a JSON document with their JSON types:
// "id" → "string", "amount.value" → "number", "items[].invoice.orderNo" →
// "string"; the document itself is "" (e.g. "object"). The fields of an
// array's elements are merged under "[]".
func Shape(doc json.RawMessage) map[string]string {
	out := map[string]string{}
	var v any
	dec := json.NewDecoder(bytes.NewReader(doc))
	dec.UseNumber()
	if len(bytes.TrimSpace(doc)) == 0 || dec.Decode(&v) != nil {
		return out
	}
	var walk func(path string, v any)
	walk = func(path string, v any) {
		t := jsonType(v)
		if old, ok := out[path]; ok && old != t && t != "null" {
			if old == "null" {
				out[path] = t
			} else if !strings.Contains(old, t) {
				out[path] = old + "|" + t
			}
		} else if !ok {
			out[path] = t
		}
		switch x := v.(type) {
		case map[string]any:
			for k, e := range x {
				walk(join(path, k), e)
			}
		case []any:
			for _, e := range x {
				walk(path+"[]", e)
			}
		}
	}
	walk("", v)
	return out
}

func jsonType(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case bool:
		return "bool"
	case json.Number, float64:
		return "number"
	case string:
		return "string"
	case []any:
		return "array"
	case map[string]any:
		return "object"
	}
	return fmt.Sprintf("%T", v)
}

// Compare compares two transcripts of the probe step by step: a recorded
// one (want, e.g. a real account's) and another (got, e.g. the sandbox's
// answers to a fresh run). For each step it compares the last exchange
// of that step: the status, whether the answer is JSON, text or empty, and
// the answer's field names and JSON types. In list answers only the row
// of the probe's own payment is compared (an account's other payments
// vary). Each difference names the step and the field.
func Compare(want, got []Exchange) []string {
	wl, gl := lastByStep(want), lastByStep(got)
	var diffs []string
	for _, step := range stepsOf(want, got) {
		w, wok := wl[step]
		g, gok := gl[step]
		switch {
		case !gok:
			diffs = append(diffs, fmt.Sprintf("%s: in the transcript, not in the other run", step))
			continue
		case !wok:
			diffs = append(diffs, fmt.Sprintf("%s: not in the transcript, in the other run", step))
			continue
		}
		if w.Method != g.Method || pathOnly(w.Path) != pathOnly(g.Path) && !samePaymentPath(w, g, want, got) {
			diffs = append(diffs, fmt.Sprintf("%s: request %s %s in the transcript, %s %s in the other run", step, w.Method, pathOnly(w.Path), g.Method, pathOnly(g.Path)))
		}
		if w.Status != g.Status {
			diffs = append(diffs, fmt.Sprintf("%s: status %d in the transcript, %d in the other run", step, w.Status, g.Status))
		}
		if wk, gk := bodyKind(w), bodyKind(g); wk != gk {
			diffs = append(diffs, fmt.Sprintf("%s: the answer is %s in the transcript, %s in the other run", step, wk, gk))
			continue
		}
		ws := Shape(ownRow(w, createdID(want)))
		gs := Shape(ownRow(g, createdID(got)))
		for _, f := range sortedKeys(ws, gs) {
			wt, win := ws[f]
			gt, gin := gs[f]
			name := f
			if name == "" {
				name = "(the body)"
			}
			switch {
			case !gin:
				diffs = append(diffs, fmt.Sprintf("%s: answer field %s (%s) is in the transcript, not in the other run", step, name, wt))
			case !win:
				diffs = append(diffs, fmt.Sprintf("%s: answer field %s (%s) is in the other run, not in the transcript", step, name, gt))
			case wt != gt:
				diffs = append(diffs, fmt.Sprintf("%s: answer field %s is %s in the transcript, %s in the other run", step, name, wt, gt))
			}
		}
	}
	return diffs
}

func lastByStep(exs []Exchange) map[string]Exchange {
	m := map[string]Exchange{}
	for _, e := range exs {
		m[e.Step] = e
	}
	return m
}

// stepsOf lists the steps of both, in the order they first appear.
func stepsOf(a, b []Exchange) []string {
	var out []string
	seen := map[string]bool{}
	for _, exs := range [][]Exchange{a, b} {
		for _, e := range exs {
			if !seen[e.Step] {
				seen[e.Step] = true
				out = append(out, e.Step)
			}
		}
	}
	return out
}

func pathOnly(p string) string { return strings.SplitN(p, "?", 2)[0] }

// samePaymentPath: the paths differ only by the payment id each run made.
func samePaymentPath(w, g Exchange, want, got []Exchange) bool {
	wid, gid := createdID(want), createdID(got)
	return wid != "" && gid != "" && strings.ReplaceAll(pathOnly(w.Path), "/"+wid, "/{id}") == strings.ReplaceAll(pathOnly(g.Path), "/"+gid, "/{id}")
}

func bodyKind(e Exchange) string {
	switch {
	case e.Status == 0:
		return "no answer"
	case len(e.ResponseBody) > 0:
		return "JSON"
	case e.ResponseText != "":
		return "text"
	}
	return "empty"
}

// createdID is the id the transcript's create answered, or "".
func createdID(exs []Exchange) string {
	for _, e := range exs {
		if e.Step == "create" {
			m, _ := decodeObject(e.ResponseBody)
			id, _ := paymentID(m)
			return id
		}
	}
	return ""
}

// ownRow keeps only the row of payment id in a list answer.
func ownRow(e Exchange, id string) json.RawMessage {
	m, ok := decodeObject(e.ResponseBody)
	items, isList := m["items"].([]any)
	if !ok || !isList {
		return e.ResponseBody
	}
	var keep []any
	for _, it := range items {
		if r, ok := it.(map[string]any); ok {
			if rid, _ := paymentID(r); rid == id {
				keep = append(keep, r)
			}
		}
	}
	if keep == nil {
		keep = []any{}
	}
	m["items"] = keep
	b, err := json.Marshal(m)
	if err != nil {
		return e.ResponseBody
	}
	return b
}

func sortedKeys(ms ...map[string]string) []string {
	seen := map[string]bool{}
	var out []string
	for _, m := range ms {
		for k := range m {
			if !seen[k] {
				seen[k] = true
				out = append(out, k)
			}
		}
	}
	sort.Strings(out)
	return out
}

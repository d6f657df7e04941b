package probe

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"sync"
)

// Playback is an http.Handler that answers as a transcript recorded: a
// request that matches a recorded one (method, path, the query without
// the times start and end, and the body as JSON) gets the recorded status,
// headers and body; an exchange recorded without an answer drops the
// connection. Recorded exchanges with the same match are answered in
// their order, the last one again once they run out. Anything else gets
// 501 and is listed by Misses.
type Playback struct {
	mu     sync.Mutex
	queues map[string][]Exchange
	last   map[string]Exchange
	keys   []string // the recorded match keys, for the miss message
	misses []string
	served int
}

// NewPlayback serves exs.
func NewPlayback(exs []Exchange) *Playback {
	p := &Playback{queues: map[string][]Exchange{}, last: map[string]Exchange{}}
	for _, e := range exs {
		var body []byte
		switch {
		case len(e.RequestBody) > 0:
			body = e.RequestBody
		case e.RequestText != "":
			body = []byte(e.RequestText)
		}
		k := matchKey(e.Method, e.Path, body)
		if _, seen := p.queues[k]; !seen {
			p.keys = append(p.keys, k)
		}
		p.queues[k] = append(p.queues[k], e)
	}
	return p
}

// unstableQuery are query parameters whose value depends on when the
// request was made.
var unstableQuery = map[string]bool{"start": true, "end": true}

// matchKey is what a request must share with a recorded one.
func matchKey(method, pathQuery string, body []byte) string {
	path, rawQuery, _ := strings.Cut(pathQuery, "?")
	q, _ := url.ParseQuery(rawQuery)
	for k := range q {
		if unstableQuery[k] {
			delete(q, k)
		}
	}
	if len(q) > 0 {
		path += "?" + q.Encode()
	}
	return method + " " + path + " " + canonicalBody(body)
}

// canonicalBody is JSON re-encoded with sorted keys, or the text as it is.
func canonicalBody(b []byte) string {
	b = bytes.TrimSpace(b)
	if len(b) == 0 {
		return ""
	}
	var v any
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	if dec.Decode(&v) != nil {
		return string(b)
	}
	out, err := json.Marshal(v)
	if err != nil {
		return string(b)
	}
	return string(out)
}

// skipHeaders are recorded but not replayed: the body is replayed decoded
// and its length follows from it.
var skipHeaders = map[string]bool{"Content-Length": true, "Transfer-Encoding": true, "Content-Encoding": true, "Connection": true}

func (p *Playback) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(io.LimitReader(r.Body, MaxBody))
	k := matchKey(r.Method, r.URL.RequestURI(), body)
	p.mu.Lock()
	e, ok := p.next(k)
	if !ok {
		p.misses = append(p.misses, p.missMessage(k))
	} else {
		p.served++
	}
	p.mu.Unlock()
	if !ok {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusNotImplemented)
		fmt.Fprintf(w, `{"code":"playback_miss","message":%q}`, "no recorded exchange matches "+k)
		return
	}
	if e.Status == 0 {
		// Recorded without an answer: the connection drops.
		if hj, ok := w.(http.Hijacker); ok {
			if c, _, err := hj.Hijack(); err == nil {
				c.Close()
				return
			}
		}
		panic(http.ErrAbortHandler)
	}
	for k, v := range e.ResponseHeaders {
		if !skipHeaders[k] {
			w.Header().Set(k, v)
		}
	}
	w.WriteHeader(e.Status)
	if len(e.ResponseBody) > 0 {
		w.Write(e.ResponseBody)
	} else {
		io.WriteString(w, e.ResponseText)
	}
}

// next takes the next recorded exchange for k. Call with p.mu held.
func (p *Playback) next(k string) (Exchange, bool) {
	if q := p.queues[k]; len(q) > 0 {
		p.queues[k] = q[1:]
		p.last[k] = q[0]
		return q[0], true
	}
	e, ok := p.last[k]
	return e, ok
}

// missMessage names the recorded exchange closest to k (the same method
// and path) and what differs from it.
func (p *Playback) missMessage(k string) string {
	method, rest, _ := strings.Cut(k, " ")
	pathQuery, body, _ := strings.Cut(rest, " ")
	msg := "no recorded exchange for " + method + " " + pathQuery
	best, bestN := "", -1
	for _, rk := range p.keys {
		rm, rrest, _ := strings.Cut(rk, " ")
		rpq, rbody, _ := strings.Cut(rrest, " ")
		if rm != method || strings.SplitN(rpq, "?", 2)[0] != strings.SplitN(pathQuery, "?", 2)[0] {
			continue
		}
		var near string
		n := 1
		switch {
		case rpq != pathQuery:
			near = fmt.Sprintf("the recording has the query %q", rpq)
		default:
			var diffs []string
			diffs, n = bodyDiff(rbody, body)
			near = "the body differs from the recording: " + strings.Join(diffs, ", ")
		}
		if bestN < 0 || n < bestN {
			best, bestN = near, n
		}
	}
	if best != "" {
		msg += ": " + best
	}
	return msg
}

// bodyDiff names the fields where two JSON bodies differ, and counts them.
func bodyDiff(recorded, sent string) ([]string, int) {
	var a, b any
	if json.Unmarshal([]byte(recorded), &a) != nil || json.Unmarshal([]byte(sent), &b) != nil {
		return []string{fmt.Sprintf("recorded %s, sent %s", snippet([]byte(recorded)), snippet([]byte(sent)))}, 1
	}
	var diffs []string
	var walk func(path string, x, y any)
	walk = func(path string, x, y any) {
		xm, xok := x.(map[string]any)
		ym, yok := y.(map[string]any)
		if xok && yok {
			keys := map[string]bool{}
			for k := range xm {
				keys[k] = true
			}
			for k := range ym {
				keys[k] = true
			}
			for k := range keys {
				walk(join(path, k), xm[k], ym[k])
			}
			return
		}
		xb, _ := json.Marshal(x)
		yb, _ := json.Marshal(y)
		if !bytes.Equal(xb, yb) {
			diffs = append(diffs, fmt.Sprintf("%s recorded %s, sent %s", path, snippet(xb), snippet(yb)))
		}
	}
	walk("", a, b)
	sort.Strings(diffs)
	return diffs, len(diffs)
}

// Misses lists the requests no recorded exchange matched.
func (p *Playback) Misses() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]string(nil), p.misses...)
}

// Served counts the requests answered from the recording.
func (p *Playback) Served() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.served
}

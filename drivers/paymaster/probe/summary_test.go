package probe

import (
	"bytes"
	"errors"
	"strings"
	"testing"
)

func TestSummary_Intro(t *testing.T) {
	for live, want := range map[bool]int{false: 1, true: 2} {
		var b bytes.Buffer
		WriteIntro(&b, Config{BaseURL: "https://pm.test", MerchantID: "m-1", Token: "tok-never-shown"}, live)
		if n := strings.Count(b.String(), "\n"); n != want || !strings.Contains(b.String(), "Probing PayMaster at https://pm.test, merchant m-1:") ||
			strings.Contains(b.String(), "tok-never-shown") {
			t.Errorf("live %v: %d lines:\n%s", live, n, b.String())
		}
	}
}

func TestSummary_Made(t *testing.T) {
	cases := map[string]struct {
		rep     Report
		outPath string
		want    []string
		not     []string
	}{
		"none": {rep: Report{OrderNo: "K07-PROBE-1"}, want: []string{"Order K07-PROBE-1: no payment was made.\n"}, not: []string{"written to"}},
		"cancelled with transcript": {rep: Report{OrderNo: "K07-PROBE-1", Created: []string{"p1"}, Cancelled: []string{"p1"}, Exchanges: 1},
			outPath: "probe.jsonl", want: []string{"Order K07-PROBE-1: payment p1 (cancelled).\n", "1 exchange written to probe.jsonl.\n"}},
		"one not cancelled": {rep: Report{OrderNo: "K07-PROBE-1", Created: []string{"p1", "p2"}, Cancelled: []string{"p1"}, Exchanges: 9},
			outPath: "x", want: []string{"payment p1 (cancelled), p2 (NOT cancelled: a test payment", "9 exchanges written to x."}},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			var b bytes.Buffer
			c.rep.WriteMade(&b, c.outPath)
			for _, w := range c.want {
				if !strings.Contains(b.String(), w) {
					t.Errorf("lacks %q:\n%s", w, b.String())
				}
			}
			for _, w := range c.not {
				if strings.Contains(b.String(), w) {
					t.Errorf("has %q:\n%s", w, b.String())
				}
			}
		})
	}
}

func TestSummary_Err(t *testing.T) {
	cases := map[string]struct {
		results []Verdict
		want    string
	}{
		"all ok":    {[]Verdict{OK, OK}, ""},
		"one":       {[]Verdict{OK, Differs}, "1 assumption of 2 not OK; see docs/paymaster.md for what to do with each DIFFERS"},
		"unchecked": {[]Verdict{Differs, Unchecked, OK}, "2 assumptions of 3 not OK"},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			rep := &Report{}
			for _, v := range c.results {
				rep.Results = append(rep.Results, Result{Verdict: v})
			}
			err := rep.Err()
			if (err == nil) != (c.want == "") || (err != nil && !strings.HasPrefix(err.Error(), c.want)) {
				t.Fatalf("got %v, want %q", err, c.want)
			}
		})
	}
}

func TestSummary_ErrText(t *testing.T) {
	if got := ErrText(errors.New("a\n  b\tc ")); got != "a b c" {
		t.Fatalf("%q", got)
	}
	if got := ErrText(nil); got != "unknown error" {
		t.Fatalf("%q", got)
	}
}

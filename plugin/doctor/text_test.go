package doctor_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/sbpd/sbpd/plugin/doctor"
)

func TestText_Result(t *testing.T) {
	cases := map[string]struct {
		r    doctor.Result
		want string
	}{
		"ok":        {doctor.Result{Name: "Clock", Status: doctor.OK, Message: "2 s off"}, "OK    Clock: 2 s off\n"},
		"with fix":  {doctor.Result{Name: "Printer", Status: doctor.Fail, Message: "no answer", Fix: "check the cable"}, "FAIL  Printer: no answer — check the cable\n"},
		"multiline": {doctor.Result{Name: "Settings", Status: doctor.Warn, Message: "a\nb", Fix: "f"}, "WARN  Settings: a\n      b\n      fix: f\n"},
		"skip":      {doctor.Result{Name: "Sticker", Status: doctor.Skip, Message: "mode 1"}, "SKIP  Sticker: mode 1\n"},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			var b strings.Builder
			doctor.WriteResult(&b, c.r)
			if b.String() != c.want {
				t.Fatalf("got %q, want %q", b.String(), c.want)
			}
		})
	}
}

func TestText_ReportJSON(t *testing.T) {
	var b strings.Builder
	rep := doctor.Report{OK: false, Checks: []doctor.Result{{Name: "Journal", Status: doctor.Fail, Message: "m", Fix: "f"}}}
	if err := rep.WriteJSON(&b); err != nil {
		t.Fatal(err)
	}
	var back map[string]any
	if err := json.Unmarshal([]byte(b.String()), &back); err != nil || back["ok"] != false || !strings.Contains(b.String(), "\n  \"checks\": [") {
		t.Fatalf("%v %s", err, b.String())
	}
}

// TestText_RunAndWrite: the text form prints a line per check in order,
// the JSON form one report; either way a failed check is the error.
func TestText_RunAndWrite(t *testing.T) {
	checks := []doctor.Check{
		{Name: "Clock", Run: func(context.Context) doctor.Result { return doctor.Result{Status: doctor.OK, Message: "in step"} }},
		{Name: "Printer", Run: func(context.Context) doctor.Result {
			return doctor.Result{Status: doctor.Fail, Message: "no answer", Fix: "check the cable"}
		}},
	}
	var text strings.Builder
	err := doctor.RunAndWrite(context.Background(), &text, checks, doctor.Options{}, false)
	if want := "OK    Clock: in step\nFAIL  Printer: no answer — check the cable\n"; text.String() != want {
		t.Errorf("text %q, want %q", text.String(), want)
	}
	if err == nil || !strings.Contains(err.Error(), "Printer") {
		t.Errorf("text: error %v, want one naming Printer", err)
	}
	var js strings.Builder
	err = doctor.RunAndWrite(context.Background(), &js, checks, doctor.Options{}, true)
	var back struct {
		OK     bool             `json:"ok"`
		Checks []map[string]any `json:"checks"`
	}
	if jerr := json.Unmarshal([]byte(js.String()), &back); jerr != nil || back.OK || len(back.Checks) != 2 || err == nil {
		t.Errorf("json %s: %v, error %v", js.String(), jerr, err)
	}
}

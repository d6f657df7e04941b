package doctor_test

import (
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

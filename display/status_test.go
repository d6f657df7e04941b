package display

import (
	"testing"

	"github.com/sbpd/sbpd/plugin"
)

func TestErrorStatus(t *testing.T) {
	for code, want := range map[string]int{
		plugin.EInvalid: 422, plugin.ENotFound: 404, plugin.EConflict: 409, plugin.EStorage: 503, plugin.ENotReady: 503,
		plugin.EUnavailable: 502, plugin.ERejected: 502, plugin.EDisabled: 500,
		plugin.EInternal: 500, "": 500, "new_code": 500,
	} {
		if got := ErrorStatus(code); got != want {
			t.Errorf("ErrorStatus(%q) = %d, want %d", code, got, want)
		}
	}
	for _, code := range ErrorCodes {
		if ErrorStatus(code) == 500 {
			t.Errorf("%s is listed but not mapped", code)
		}
	}
}

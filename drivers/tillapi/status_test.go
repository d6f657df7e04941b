package tillapi

import (
	"testing"

	"github.com/sbpd/sbpd/plugin"
)

func TestErrorStatus(t *testing.T) {
	for code, want := range map[string]int{
		plugin.EInvalid: 422, plugin.ENotFound: 404, plugin.EConflict: 409, plugin.ENotReady: 503, plugin.EStorage: 503,
		plugin.EDisabled: 403, plugin.EUnavailable: 502, plugin.ERejected: 502, plugin.EInternal: 500, "": 500, "new_code": 500,
	} {
		if got := ErrorStatus(code); got != want {
			t.Errorf("ErrorStatus(%q) = %d, want %d", code, got, want)
		}
	}
}

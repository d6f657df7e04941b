package main

import (
	"testing"

	"github.com/sbpd/sbpd/drivers/tillapi"
	"github.com/sbpd/sbpd/plugin"
)

// TestDaemon_ScreenStatusIsTheTillAPIs: the daemon gives the screen's
// buttons the till API's own mapping of error codes to HTTP statuses
// (display.Screen.Status = tillapi.ErrorStatus), so both answer an engine
// error alike.
func TestDaemon_ScreenStatusIsTheTillAPIs(t *testing.T) {
	h := newE2E(t)
	if h.d.Screen.Status == nil {
		t.Fatal("Screen.Status is not set (daemon.go: d.Screen.Status = tillapi.ErrorStatus)")
	}
	for _, code := range []string{plugin.EInvalid, plugin.ENotFound, plugin.EConflict, plugin.EUnavailable, plugin.ERejected,
		plugin.ENotReady, plugin.EDisabled, plugin.EStorage, plugin.EInternal, "no_such_code"} {
		if got, want := h.d.Screen.Status(code), tillapi.ErrorStatus(code); got != want {
			t.Errorf("%q: the screen answers %d, the till API %d", code, got, want)
		}
	}
}

package main

import (
	"testing"

	"github.com/sbpd/sbpd/display"
	"github.com/sbpd/sbpd/drivers/tillapi"
)

// TestErrorStatus_ScreenAnswersAsTheTillAPI: the screen's buttons keep
// their own small mapping of error codes to HTTP statuses (display may not
// import tillapi); for every code it maps, it answers as the till API does.
func TestErrorStatus_ScreenAnswersAsTheTillAPI(t *testing.T) {
	for _, code := range append(display.ErrorCodes, "internal", "no_such_code") {
		if got, want := display.ErrorStatus(code), tillapi.ErrorStatus(code); got != want {
			t.Errorf("%q: the screen answers %d, the till API %d", code, got, want)
		}
	}
}

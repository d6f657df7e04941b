package plugin

import "testing"

// TestPrinterHealth_Refusal: a printer that can print is no refusal; one
// without printer.port says what is not set; any other says which port
// and why, each with the status as its reason.
func TestPrinterHealth_Refusal(t *testing.T) {
	for _, tc := range []struct {
		h    PrinterHealth
		want string
	}{
		{PrinterHealth{Port: "/dev/ttyS0", Status: PrinterOK}, ""},
		{PrinterHealth{Port: "/dev/ttyS0", Status: PrinterPaperNearEnd}, ""},
		{PrinterHealth{Status: PrinterNotConfigured}, "printer.port is not set: no receipt printer is configured"},
		{PrinterHealth{Port: "/dev/ttyS9", Status: PrinterPortMissing}, "the printer on /dev/ttyS9 cannot print: port_missing"},
	} {
		err := tc.h.Refusal()
		if (err == nil) != (tc.want == "") || err != nil && (err.Error() != tc.want || ErrorReason(err) != tc.h.Status || ErrorCode(err) != EUnavailable) {
			t.Errorf("%+v: %v (%s), want %q", tc.h, err, ErrorReason(err), tc.want)
		}
	}
}

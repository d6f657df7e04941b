package plugin_test

import (
	"testing"

	"github.com/sbpd/sbpd/plugin"
)

// TestWireSpellings pins the words that leave sbpd or stay on disk: the
// printer's status words (/healthz, the sbpd_printer_status metric,
// `sbpd printer status --json`, the demo page's script), the outbox's
// delivery statuses and the event kinds (the journal file, `journal show
// --json`), the error codes and refusal reasons (the till API's and the CLI's errors), the
// values of printer.qr (a kiosk's settings) and the notification outcomes
// (the sbpd_notify_deliveries_total metric's labels). A
// constant renamed in Go must not change what a monitoring rule, a script
// or an old journal reads.
func TestWireSpellings(t *testing.T) {
	for _, c := range []struct{ got, want string }{
		{plugin.PrinterOK, "ok"},
		{plugin.PrinterPaperNearEnd, "paper_near_end"},
		{plugin.PrinterNotConfigured, "not_configured"},
		{plugin.PrinterPaperEnd, "paper_end"},
		{plugin.PrinterCoverOpen, "cover_open"},
		{plugin.PrinterOffline, "offline"},
		{plugin.PrinterError, "printer_error"},
		{plugin.PrinterNoAnswer, "no_answer"},
		{plugin.PrinterPortMissing, "port_missing"},
		{plugin.PrinterWriteFailed, "write_failed"},
		{plugin.PrinterWriteStalled, "write_stalled"},
		{plugin.PrinterLockRefused, "lock_refused"},
		{plugin.PrinterBusy, "port_busy"},

		{plugin.DeliveryPending, "pending"},
		{plugin.DeliveryDelivered, "delivered"},
		{plugin.DeliveryExhausted, "exhausted"},
		{plugin.DeliveryCancelled, "cancelled"},

		{plugin.EvCreated, "created"},
		{plugin.EvCreateFailed, "create_failed"},
		{plugin.EvRemoteCreated, "remote_created"},
		{plugin.EvQRReady, "qr_ready"},
		{plugin.EvRemoteStatus, "remote_status"},
		{plugin.EvStatusTimeout, "status_timeout"},
		{plugin.EvRetry, "retry"},
		{plugin.EvCancelRequested, "cancel_requested"},
		{plugin.EvCancelSent, "cancel_sent"},
		{plugin.EvCancelFailed, "cancel_failed"},
		{plugin.EvFinal, "final"},
		{plugin.EvAttention, "needs_attention"},
		{plugin.EvReconciled, "reconciled"},
		{plugin.EvSlipPrinted, "slip_printed"},
		{plugin.EvPrinterFallback, "printer_fallback"},
		{plugin.EvResync, "resync"},
		{plugin.EvEnteredByHand, "entered_by_hand"},

		{plugin.EInvalid, "invalid"},
		{plugin.ENotFound, "not_found"},
		{plugin.EConflict, "conflict"},
		{plugin.EUnavailable, "unavailable"},
		{plugin.ERejected, "rejected"},
		{plugin.ENotReady, "not_ready"},
		{plugin.EDisabled, "disabled"},
		{plugin.EStorage, "storage"},
		{plugin.EInternal, "internal"},
		{plugin.EUnauthorized, "unauthorized"},
		{plugin.EBodyTooLarge, "body_too_large"},
		{plugin.ENotImplemented, "not_implemented"},

		{plugin.RefusedStateChanged, "state_changed"},
		{plugin.RefusedEnteredByHand, "entered_by_hand"},
		{plugin.RefusedNotFinal, "not_final"},
		{plugin.RefusedInvalidState, "invalid_state"},
		{plugin.RefusedTooManyRows, "too_many_rows"},
		{plugin.RefusedSettingsChanged, "settings_changed"},
		{plugin.GatewayBadAnswer, "bad_answer"},

		{plugin.PrinterQRNative, "native"},
		{plugin.PrinterQRRaster, "raster"},

		{plugin.NotifyDelivered, "delivered"},
		{plugin.NotifyFailed, "failed"},
		{plugin.NotifyGaveUp, "gave_up"},
	} {
		if c.got != c.want {
			t.Errorf("%q is spelled %q on the wire", c.want, c.got)
		}
	}
}

// TestPrinterCanPrint: the "can print" rule /healthz's printer, the
// sbpd_printer_up metric and doctor share.
func TestPrinterCanPrint(t *testing.T) {
	for _, s := range []string{plugin.PrinterOK, plugin.PrinterPaperNearEnd} {
		if !plugin.PrinterCanPrint(s) {
			t.Errorf("%s cannot print", s)
		}
	}
	for _, s := range []string{plugin.PrinterNotConfigured, plugin.PrinterPaperEnd, plugin.PrinterCoverOpen, plugin.PrinterOffline,
		plugin.PrinterError, plugin.PrinterNoAnswer, plugin.PrinterPortMissing, plugin.PrinterWriteFailed, plugin.PrinterWriteStalled, plugin.PrinterLockRefused, plugin.PrinterBusy, ""} {
		if plugin.PrinterCanPrint(s) {
			t.Errorf("%q can print", s)
		}
	}
}

// TestConfigPath: the template file is $SBPD_CONFIG, else where the Debian
// package installs it; the flag's default and doctor's advice name both.
func TestConfigPath(t *testing.T) {
	if plugin.ConfigFile != "/etc/sbpd/sbpd.yaml" || plugin.ConfigEnv != "SBPD_CONFIG" {
		t.Errorf("the template is %s, named by %s", plugin.ConfigFile, plugin.ConfigEnv)
	}
	t.Setenv("SBPD_CONFIG", "")
	if got := plugin.ConfigPath(); got != "/etc/sbpd/sbpd.yaml" {
		t.Errorf("ConfigPath() = %q without SBPD_CONFIG", got)
	}
	t.Setenv("SBPD_CONFIG", "/srv/kiosk/sbpd.yaml")
	if got := plugin.ConfigPath(); got != "/srv/kiosk/sbpd.yaml" {
		t.Errorf("ConfigPath() = %q with SBPD_CONFIG=/srv/kiosk/sbpd.yaml", got)
	}
}

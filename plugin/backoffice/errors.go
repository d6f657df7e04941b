package backoffice

import (
	"fmt"

	"github.com/sbpd/sbpd/plugin"
)

// Reasons of the back office's refusals (plugin.Error.Reason).
const (
	RReasonRequired     = "reason_required"           // a person's act needs a reason
	RReasonTooLong      = "reason_too_long"           // a reason longer than MaxReason
	RSecretName         = "name_has_secret"           // a person's name holds one of the secrets
	RPeriodTooLong      = "period_too_long"           // a reconciliation longer than MaxPeriod
	RPaymentActive      = "payment_active"            // the daemon still watches the payment
	RAlreadyPaid        = "already_paid"              // sbpd never un-pays
	RAlreadyNotPaid     = "already_not_paid"          // nothing to do
	RInvalidState       = plugin.RefusedInvalidState  // the act is not for a payment in this state
	RPayMasterDisagrees = "paymaster_disagrees"       // PayMaster's answer forbids the change (force it)
	RPayMasterAsk       = "paymaster_unreachable"     // PayMaster could not be asked (force it)
	RPayMasterUnset     = "paymaster_unset"           // no PayMaster settings
	RStateChanged       = plugin.RefusedStateChanged  // the payment changed meanwhile
	REnteredByHand      = plugin.RefusedEnteredByHand // never notified again
	RNotFinal           = plugin.RefusedNotFinal      // nothing to notify yet
	RNoPayment          = "no_payment"                // no payment has this reference
	RAmbiguous          = "ambiguous"                 // several payments have this reference
	RPeriod             = "bad_period"                // the period is empty
	RListFailed         = "list_failed"               // PayMaster's list could not be read
)

func refuse(code, reason, format string, args ...any) *plugin.Error {
	return &plugin.Error{Code: code, Reason: reason, Message: fmt.Sprintf(format, args...)}
}

// Refused reports whether err is one of the back office's refusals (or the
// journal's own, such as an unknown payment), as opposed to a failure.
func Refused(err error) bool {
	switch plugin.ErrorCode(err) {
	case plugin.EConflict, plugin.EInvalid, plugin.ENotFound, plugin.EUnavailable:
		return true
	}
	return false
}

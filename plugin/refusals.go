package plugin

// Refusal reasons (the Reason of a *Error) that the journal's storage and
// the back office both give: the journal refuses inside its transaction,
// the back office says why before it tries. One spelling for both.
const (
	RefusedStateChanged  = "state_changed"   // the payment changed since it was read
	RefusedEnteredByHand = "entered_by_hand" // entered by hand in accounting: never notified again
	RefusedNotFinal      = "not_final"       // no final state yet: nothing to notify
	RefusedInvalidState  = "invalid_state"   // the act is not for a payment in its state (Retry, Cancel, the back office's acts)
	RefusedTooManyRows   = "too_many_rows"   // an XLSX register larger than one sheet (the export, the web back office)
	// RefusedSettingsChanged: the till settings changed between the check
	// of a change and its write (two technicians at once); nothing written.
	RefusedSettingsChanged = "settings_changed"
)

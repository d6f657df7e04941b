package plugin

// Refusal reasons (the Reason of a *Error) that the journal's storage and
// the back office both give: the journal refuses inside its transaction,
// the back office says why before it tries. One spelling for both.
const (
	RefusedStateChanged  = "state_changed"   // the payment changed since it was read
	RefusedEnteredByHand = "entered_by_hand" // entered by hand in accounting: never notified again
	RefusedNotFinal      = "not_final"       // no final state yet: nothing to notify
	// RefusedSettingsChanged: the till settings changed between the check
	// of a change and its write (two technicians at once); nothing written.
	RefusedSettingsChanged = "settings_changed"
)

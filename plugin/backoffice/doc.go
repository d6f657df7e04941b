// Package backoffice is the technician's acts on a kiosk's payment
// journal, the rules of the back office in one place: find and show a
// payment, mark it paid or not paid by hand (PayMaster asked first),
// reconcile the journal with PayMaster's payments for a period (and
// resolve the safe differences), send a notification to the accounting
// system again (resync), record that a payment was entered there by hand,
// and list the paid payments the accounting system was not told about
// (stuck).
//
// The CLI (sbpd journal …) and the back-office web page call the same
// Service; they only read flags or forms and print. The service needs
// little of the journal, the notification outbox and PayMaster, and says so
// in its own interfaces (Journal, Outbox, PayMaster), which the SQLite and
// PayMaster drivers satisfy, directly or through thin adapters where
// the kiosk is wired.
//
// A refusal is a *plugin.Error: its Code (plugin.EConflict, EInvalid,
// ENotFound, EUnavailable) says what kind of no it is, its Reason one of
// the short codes below (payment_active, paymaster_disagrees, …) for a
// screen or a test to act on, and its Message a sentence a technician can
// read. Other errors are failures of the journal or PayMaster, wrapped with
// what was being done for the log.
package backoffice

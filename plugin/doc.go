// Package plugin is the domain core of sbpd: the payment, its states and
// codes, the flow engine that drives one SBP payment from the till's request
// to a final state, and the small interfaces the flow needs from the outside
// world (Gateway for PayMaster, Journal for the local record, Screen for the
// kiosk display, Clock for every wait).
//
// It imports only the standard library. Drivers implement its interfaces;
// cmd/sbpd wires them together. See docs/architecture.md.
package plugin

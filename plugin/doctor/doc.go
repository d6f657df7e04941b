// Package doctor is the kiosk's diagnostics, in the shape of tailscale's
// doctor package: a Check has a name and a run function, Run runs the
// checks in parallel (at most Options.Parallel at once, each bounded by
// Options.Timeout) and hands back typed Results, in the checks' order, that
// a command prints as text or JSON.
//
// The kiosk's own checks (Checks) — the settings, PayMaster's answer, the
// token, the cash-link sticker, the printer, the journal, the disk and the
// clock — read a Kiosk: the values they need and the small interfaces
// defined here (PayMaster, Journal) or functions (the printer's status, the
// free space). The command fills it from the settings and the drivers; the
// package imports only plugin and the standard library, and its tests use
// fakes, with neither a network nor a command line.
//
// A run with failed checks returns an *Error (code "checks_failed") naming
// them; secrets are removed from every Result by plugin.Redact (Options.Secrets).
package doctor

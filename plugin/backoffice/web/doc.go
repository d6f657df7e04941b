// Package web is the technician's back office in a browser, served by the
// daemon at /backoffice/: the journal of payments with the filters and the
// search of `sbpd journal list`, one payment with its history and its
// notification, the acts on it (send the notification again, mark paid or
// not paid with PayMaster asked first, entered by hand), the reconciliation
// with PayMaster for a period, the export of a filter as CSV or XLSX, and
// the kiosk's health (doctor's checks, the settings in force, the printer,
// the version).
//
// Every act calls the one back office, plugin/backoffice's Service, which
// the CLI calls too: the web only reads forms and renders. What it needs of
// other packages (doctor, the settings, the printer, the export) it takes
// as func fields of Options with its own plain types; cmd/sbpd adapts them.
//
// The pages are server-rendered with html/template from embedded assets,
// need no JavaScript and nothing from the internet, and are in Russian.
// Access: without a token (the daemon listens on loopback only) the pages
// open for the kiosk's own browser, read-only: every act is refused
// (login_required) and offered nowhere, since the till API there already
// lets any local process read the journal but only the journal file's
// owner (the CLI) may change it; reports (a reconciliation without apply,
// doctor's checks) still run. With a token a login form takes it and sets
// a session cookie (HttpOnly, SameSite=Strict, expiring), and the acts
// open. Every form carries the session's CSRF token; the daemon's browser
// rules (drivers/tillapi, guard.go) refuse requests from other sites
// before this package sees them, and this package refuses every request
// whose Sec-Fetch-Site is not same-origin or none, another site's
// top-level navigation included (cross_site).
package web

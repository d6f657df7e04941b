package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/sbpd/sbpd/config"
	"github.com/sbpd/sbpd/drivers/paymaster"
	"github.com/sbpd/sbpd/drivers/sqlite"
	"github.com/sbpd/sbpd/plugin"
)

// checkStatus is the verdict of one check.
type checkStatus string

const (
	statusOK   checkStatus = "ok"
	statusWarn checkStatus = "warn" // works, but needs attention soon
	statusFail checkStatus = "fail" // payments fail or will fail: doctor exits non-zero
	statusSkip checkStatus = "skip" // not applicable, or cannot run until another check passes
)

// checkResult is one line of the checklist.
type checkResult struct {
	Name    string      `json:"name"`
	Status  checkStatus `json:"status"`
	Message string      `json:"message"`
	Fix     string      `json:"fix"`
}

func checkOK(msg string) checkResult { return checkResult{Status: statusOK, Message: msg} }
func checkWarn(msg, fix string) checkResult {
	return checkResult{Status: statusWarn, Message: msg, Fix: fix}
}
func checkFail(msg, fix string) checkResult {
	return checkResult{Status: statusFail, Message: msg, Fix: fix}
}
func checkSkip(msg string) checkResult          { return checkResult{Status: statusSkip, Message: msg} }
func checkSkipf(f string, a ...any) checkResult { return checkSkip(fmt.Sprintf(f, a...)) }

// check is one item of the checklist. needs are the settings it reads: it
// is skipped when one of them is invalid, and the other checks still run.
// unused, when set, says why the check does not apply to this kiosk, or "".
type check struct {
	name   string
	needs  []string
	unused func() string
	run    func(ctx context.Context) checkResult
}

// doctorLimits bound the whole run to about 15 s even when PayMaster
// black-holes the connection; the checks run in parallel. Tests shorten
// them.
var doctorLimits = struct {
	payMasterTry time.Duration // one PayMaster request (one retry after it)
	payMaster    time.Duration // every PayMaster call together
	local        time.Duration // the printer, the journal, the disk, each
}{payMasterTry: 5 * time.Second, payMaster: 12 * time.Second, local: 10 * time.Second}

// Disk thresholds for data_dir.
const (
	diskWarnBelow = 100 << 20
	diskFailBelow = 10 << 20
)

// Clock skew thresholds against PayMaster's Date header.
const (
	clockWarnSkew = time.Minute
	clockFailSkew = 5 * time.Minute
)

// diskFree is the space an unprivileged process may use in dir; tests
// replace it.
var diskFree = statfsFree

func newDoctorCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "doctor",
		Short: "Check this kiosk's settings, PayMaster, sticker, printer, journal, disk and clock",
		Long: `doctor runs the checklist a field technician needs, in a few seconds, and
prints one line per check: OK, WARN (works, needs attention), FAIL (payments
fail or will fail) or SKIP (not used here, or waits for another fix), with
what was found and how to fix it.

  Settings             the template file and SBPD_ variables load and validate
                       (WARN: e.g. an http:// notify.url to another host)
  PayMaster reachable  PayMaster answers at paymaster.base_url (DNS, TLS, timeout, refused)
  PayMaster token      PayMaster accepts paymaster.token and paymaster.merchant_id
                       (a read-only call: the last minute's payments; never a payment)
  Cash-link sticker    sbp.qr_mode 2: paymaster.sticker_id exists, is a cash link and is Active
  Printer              printer.port is set: the printer answers status (via the running
                       daemon when it holds the port)
  Journal              data_dir/sbpd.db passes SQLite's integrity check, and it and
                       its -wal and -shm are not open to other users (a looser mode
                       is tightened and reported)
  Disk space           free space in data_dir (WARN under 100 MB, FAIL under 10 MB)
  Clock                the local clock against PayMaster's (WARN over 1 min, FAIL over 5 min)

Secrets (paymaster.token, api.token, notify.secret, the user and password in
notify.url) are never printed.
The exit status is 1 when any check FAILs, 0 otherwise (WARN included).`,
		Example: `  sbpd doctor
  sbpd doctor --config /etc/sbpd/sbpd.yaml
  sbpd doctor --json | jq '.checks[] | select(.status != "ok")'`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			path, _ := cmd.Flags().GetString("config")
			asJSON, _ := cmd.Flags().GetBool("json")
			d := newDoctor(path, cmd.Flags().Changed("config"))
			return d.report(cmd.Context(), cmd.OutOrStdout(), asJSON)
		},
	}
	cmd.Flags().Bool("json", false, `print {"ok": bool, "checks": [{"name","status","message","fix"}]} for fleet tooling`)
	return cmd
}

// doctor holds what the checks share: the settings and one PayMaster ping.
type doctor struct {
	path     string
	withTill bool           // the till settings in the journal's database were read
	cfg      *config.Config // nil when the settings do not load at all
	cfgErr   error
	bad      map[string]bool // keys the settings errors name
	secrets  []string
	// modeFixes are the journal files whose loose mode opening the
	// database for the till settings found (and tightened).
	modeFixes []sqlite.ModeFix

	pmCtx    context.Context
	pingOnce sync.Once
	ping     pingResult
}

func newDoctor(path string, mustExist bool) *doctor {
	d := &doctor{path: path}
	ctx := context.Background()
	layers := config.Options{Path: path, MustExist: mustExist}
	d.cfg, d.cfgErr = config.LoadWith(ctx, layers)
	// The till's own settings live in the journal's database: read them
	// when there is one (doctor never creates it). A database that does
	// not open leaves the template's view; the Journal check says why.
	if d.cfg != nil {
		if _, err := os.Stat(filepath.Join(d.cfg.DataDir, "sbpd.db")); err == nil {
			if db, err := sqlite.Open(filepath.Join(d.cfg.DataDir, "sbpd.db")); err == nil {
				d.modeFixes = db.ModeFixes()
				layers.Till = db.Settings()
				if cfg, err := config.LoadWith(ctx, layers); cfg != nil {
					d.cfg, d.cfgErr, d.withTill = cfg, err, true
				}
				db.Close()
			}
		}
	}
	if d.cfg != nil && d.cfgErr == nil {
		d.cfgErr = d.cfg.RequireRemote()
	}
	d.bad = settingsBadKeys(d.cfgErr)
	if d.cfg != nil {
		d.secrets = []string{d.cfg.PayMaster.Token, d.cfg.APIToken, d.cfg.Notify.Secret}
		d.secrets = append(d.secrets, urlCredentials(d.cfg.Notify.URL)...)
	}
	return d
}

// urlCredentials are the password in raw, or its user when there is no
// password (a token as the user), as they may appear in a message.
func urlCredentials(raw string) []string {
	u, err := url.Parse(raw)
	if err != nil || u.User == nil {
		return nil
	}
	if p, ok := u.User.Password(); ok {
		return []string{p, url.QueryEscape(p)}
	}
	return []string{u.User.Username()}
}

func (d *doctor) checks() []check {
	pm := []string{"paymaster.base_url"}
	auth := []string{"paymaster.base_url", "paymaster.merchant_id", "paymaster.token"}
	return []check{
		{name: "Settings", run: d.checkSettings},
		{name: "PayMaster reachable", needs: pm, run: d.checkReachable},
		{name: "PayMaster token", needs: auth, run: d.checkToken},
		{name: "Cash-link sticker", needs: append([]string{"sbp.qr_mode", "paymaster.sticker_id"}, auth...),
			unused: d.stickerUnused, run: d.checkSticker},
		{name: "Printer", needs: []string{"printer.port", "printer.baud"}, unused: d.printerUnused, run: d.checkPrinter},
		{name: "Journal", needs: []string{"data_dir"}, run: d.checkJournal},
		{name: "Disk space", needs: []string{"data_dir"}, run: d.checkDisk},
		{name: "Clock", needs: pm, run: d.checkClock},
	}
}

// report runs every check at once and prints the results in order, each
// as soon as it and those above it are done. It returns an error when any
// check failed.
func (d *doctor) report(ctx context.Context, w io.Writer, asJSON bool) error {
	pmCtx, cancel := context.WithTimeout(ctx, doctorLimits.payMaster)
	defer cancel()
	d.pmCtx = pmCtx

	checks := d.checks()
	out := make([]chan checkResult, len(checks))
	for i, c := range checks {
		out[i] = make(chan checkResult, 1)
		go func() { out[i] <- d.run(ctx, c) }()
	}
	var results []checkResult
	var failed []string
	for i := range checks {
		r := <-out[i]
		results = append(results, r)
		if r.Status == statusFail {
			failed = append(failed, r.Name)
		}
		if !asJSON {
			printCheck(w, r)
		}
	}
	if asJSON {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		if err := enc.Encode(struct {
			OK     bool          `json:"ok"`
			Checks []checkResult `json:"checks"`
		}{len(failed) == 0, results}); err != nil {
			return err
		}
	}
	if len(failed) > 0 {
		return fmt.Errorf("doctor: %s failed: %s", countNoun(len(failed), "check", "checks"), strings.Join(failed, ", "))
	}
	return nil
}

// run runs one check unless the settings it needs are missing or invalid,
// and scrubs secrets from what it says.
func (d *doctor) run(ctx context.Context, c check) checkResult {
	var r checkResult
	switch bad := d.badNeeds(c.needs); {
	case c.needs != nil && d.cfg == nil:
		r = checkSkip("skipped: the settings do not load (see Settings)")
	case c.unused != nil && c.unused() != "":
		r = checkSkip(c.unused())
	case len(bad) > 0:
		r = checkSkipf("skipped: %s must be fixed first (see Settings)", strings.Join(bad, ", "))
	default:
		r = c.run(ctx)
	}
	r.Name = c.name
	r.Message, r.Fix = d.redact(r.Message), d.redact(r.Fix)
	return r
}

func (d *doctor) badNeeds(needs []string) []string {
	var bad []string
	for _, k := range needs {
		if d.bad[k] {
			bad = append(bad, k)
		}
	}
	return bad
}

// redact cuts every secret out of s, whatever printed it.
func (d *doctor) redact(s string) string {
	for _, secret := range d.secrets {
		if len(secret) >= 4 {
			s = strings.ReplaceAll(s, secret, "[REDACTED]")
		}
	}
	return s
}

// printCheck writes "FAIL  Name: message — fix"; a message of several
// lines continues indented, and its fix goes on a line of its own.
func printCheck(w io.Writer, r checkResult) {
	lines := strings.Split(r.Message, "\n")
	fmt.Fprintf(w, "%-4s  %s: %s", strings.ToUpper(string(r.Status)), r.Name, lines[0])
	for _, l := range lines[1:] {
		fmt.Fprintf(w, "\n      %s", l)
	}
	switch {
	case r.Fix == "":
	case len(lines) > 1:
		fmt.Fprintf(w, "\n      fix: %s", r.Fix)
	default:
		fmt.Fprintf(w, " — %s", r.Fix)
	}
	fmt.Fprintln(w)
}

// settingsKeyRe finds the key at the start of a settings error line:
// "sbp.qr_mode = 3 (template …): must be …".
var settingsKeyRe = regexp.MustCompile(`(?m)^([a-z_]+(?:\.[a-z_]+)*) = `)

// settingsBadKeys lists the keys the settings errors name.
func settingsBadKeys(err error) map[string]bool {
	bad := map[string]bool{}
	if err == nil {
		return bad
	}
	for _, m := range settingsKeyRe.FindAllStringSubmatch(err.Error(), -1) {
		bad[m[1]] = true
	}
	return bad
}

// --- Settings

func (d *doctor) checkSettings(context.Context) checkResult {
	if d.cfgErr == nil {
		if ws := d.cfg.Warnings(); len(ws) > 0 {
			return checkWarn(d.settingsSource()+" give valid settings, with "+countNoun(len(ws), "warning", "warnings")+":\n"+strings.Join(ws, "\n"),
				"act on each warning above")
		}
		return checkOK(d.settingsSource() + " give valid settings")
	}
	lines := strings.Split(strings.TrimSpace(d.cfgErr.Error()), "\n")
	if len(d.bad) == 0 { // not about a key: the file is missing or unreadable
		return checkFail("the settings do not load: "+strings.Join(lines, "; "),
			"check that --config or SBPD_CONFIG names the template file (default /etc/sbpd/sbpd.yaml) and that it is valid YAML")
	}
	msg := countNoun(len(lines), "problem", "problems") + " in " + d.settingsSource() + ":\n" + strings.Join(lines, "\n")
	return checkFail(msg, fmt.Sprintf("correct each key named above: per-till values with `sbpd settings set KEY VALUE` (a secret: `sbpd settings set KEY -`), template values in %s, or the SBPD_ variable named", d.path))
}

func (d *doctor) settingsSource() string {
	if _, err := os.Stat(d.path); err != nil {
		return "the defaults and the SBPD_ environment (no template file at " + d.path + ")"
	}
	if d.withTill {
		return "the template " + d.path + ", the till settings and the SBPD_ environment"
	}
	return "the template " + d.path + " and the SBPD_ environment"
}

// --- PayMaster: one ping serves the reachability, token and clock checks

type pingResult struct {
	gwErr      error // the client could not be built
	gw         *paymaster.Gateway
	sent, recv time.Time // local wall clock around the call
	server     time.Time // PayMaster's Date header; zero if none
	err        error
}

func (p pingResult) elapsed() time.Duration { return p.recv.Sub(p.sent) }

// answered reports whether PayMaster (or whatever is at the base URL)
// answered with HTTP at all.
func (p pingResult) answered() bool {
	switch {
	case p.gwErr != nil:
		return false
	case p.err == nil:
		return true
	}
	return payMasterHTTPStatus(p.err) != 0 || plugin.ErrorReason(p.err) == paymaster.ReasonBadAnswer
}

func (d *doctor) pingPayMaster() pingResult {
	d.pingOnce.Do(func() {
		d.ping = d.doPing()
	})
	return d.ping
}

func (d *doctor) doPing() pingResult {
	var p pingResult
	pm := d.cfg.PayMaster
	merchant, token := pm.MerchantID, pm.Token
	if merchant == "" || token == "" {
		// Reachability does not need them: a refusal is an answer too.
		merchant, token = "00000000-0000-0000-0000-000000000000", "sbpd-doctor-no-token"
	}
	p.gw, p.gwErr = paymaster.New(paymaster.Config{
		BaseURL: pm.BaseURL, MerchantID: merchant, Token: token, TestMode: pm.TestMode,
		Timeout: doctorLimits.payMasterTry, RetryMax: 1,
		RetryWaitMin: 200 * time.Millisecond, RetryWaitMax: time.Second,
		UserAgent: "sbpd-doctor/" + version,
	})
	if p.gwErr != nil {
		return p
	}
	p.sent = time.Now()
	p.server, p.err = p.gw.Ping(d.pmCtx)
	p.recv = time.Now()
	return p
}

func payMasterHTTPStatus(err error) int {
	var ae *paymaster.APIError
	if errors.As(err, &ae) {
		return ae.Status
	}
	return 0
}

func (d *doctor) host() string {
	if u, err := url.Parse(d.cfg.PayMaster.BaseURL); err == nil && u.Host != "" {
		return u.Host
	}
	return d.cfg.PayMaster.BaseURL
}

func (d *doctor) checkReachable(context.Context) checkResult {
	p := d.pingPayMaster()
	base := d.cfg.PayMaster.BaseURL
	if p.gwErr != nil {
		return checkFail("the PayMaster client cannot be set up: "+p.gwErr.Error(),
			"correct the paymaster.* settings (sbpd settings set paymaster.… …)")
	}
	if p.answered() {
		return d.reachableAnswer(p)
	}
	cause := innermostError(p.err)
	host := d.host()
	switch plugin.ErrorReason(p.err) {
	case paymaster.ReasonDNS:
		return checkFail(fmt.Sprintf("cannot resolve %s (%s)", hostOnly(host), cause),
			fmt.Sprintf("check paymaster.base_url (https://paymaster.ru) and the kiosk's DNS: getent hosts %s; cat /etc/resolv.conf", hostOnly(host)))
	case paymaster.ReasonTLS:
		return checkFail(fmt.Sprintf("the TLS connection to %s failed (%s)", host, cause),
			"check the clock (certificates depend on it), the CA certificates (package ca-certificates) and that no proxy intercepts HTTPS")
	case paymaster.ReasonTimeout:
		return checkFail(fmt.Sprintf("no answer from %s within %s, tried twice", host, doctorLimits.payMasterTry),
			fmt.Sprintf("check the network, the firewall and any proxy: the kiosk must reach %s; then run sbpd doctor again", host))
	case paymaster.ReasonRefused:
		return checkFail(fmt.Sprintf("%s refused the connection", host),
			"check paymaster.base_url (https://paymaster.ru) and the firewall")
	case "canceled":
		return checkFail("the check was interrupted", "run sbpd doctor again")
	}
	return checkFail(fmt.Sprintf("no answer from %s (%s)", host, cause),
		fmt.Sprintf("check the network and paymaster.base_url (now %s)", base))
}

// reachableAnswer judges an HTTP answer to the ping.
func (d *doctor) reachableAnswer(p pingResult) checkResult {
	base := d.cfg.PayMaster.BaseURL
	took := p.elapsed().Round(time.Millisecond)
	status := payMasterHTTPStatus(p.err)
	switch reason := plugin.ErrorReason(p.err); {
	case p.err == nil:
		return checkOK(fmt.Sprintf("PayMaster at %s answered in %s", base, took))
	case reason == paymaster.ReasonBadAnswer:
		return checkFail(fmt.Sprintf("%s answered, but not as the PayMaster API (a proxy or Wi-Fi login page?)", base),
			"set paymaster.base_url to https://paymaster.ru and check that no proxy or captive portal answers instead")
	case status == 404:
		return checkFail(fmt.Sprintf("%s answered HTTP 404 to the payments list: it is not the PayMaster API", base),
			"set paymaster.base_url to https://paymaster.ru, without /api/v2 (sbpd settings set paymaster.base_url https://paymaster.ru)")
	case status >= 500 || status == 429:
		return checkFail(fmt.Sprintf("PayMaster at %s answered HTTP %d: it is having trouble", base, status),
			"payments fail until it recovers; run sbpd doctor again in a few minutes")
	}
	return checkOK(fmt.Sprintf("PayMaster at %s answered in %s (HTTP %d)", base, took, status))
}

func (d *doctor) checkToken(context.Context) checkResult {
	p := d.pingPayMaster()
	merchant := d.cfg.PayMaster.MerchantID
	switch reason := plugin.ErrorReason(p.err); {
	case !p.answered() || plugin.ErrorCode(p.err) == plugin.EUnavailable || payMasterHTTPStatus(p.err) == 404:
		return checkSkip("cannot check: PayMaster did not answer (see PayMaster reachable)")
	case p.err == nil:
		return checkOK("PayMaster accepts the token for merchant " + merchant)
	case reason == paymaster.ReasonNotAuthorized:
		return checkFail("PayMaster refused the token (not_authorized)",
			"set paymaster.token to the API token from the merchant cabinet (sbpd settings set paymaster.token -, which reads it from standard input) and check that it belongs to merchant "+merchant+" (paymaster.merchant_id)")
	case reason == "validation_error":
		return checkFail(fmt.Sprintf("PayMaster refused the request for merchant %s (%s)", merchant, payMasterText(p.err)),
			"set paymaster.merchant_id to the site's GUID from the PayMaster cabinet (sbpd settings set paymaster.merchant_id …)")
	}
	return checkFail(fmt.Sprintf("PayMaster refused the request (%s)", payMasterText(p.err)),
		"check paymaster.token and paymaster.merchant_id against the PayMaster cabinet")
}

// payMasterText is PayMaster's own words about a refusal.
func payMasterText(err error) string {
	var ae *paymaster.APIError
	if errors.As(err, &ae) {
		return strings.TrimPrefix(ae.Error(), "paymaster: ")
	}
	return plugin.ErrorReason(err)
}

func (d *doctor) stickerUnused() string {
	if mode := d.cfg.SBP.QRMode; mode != 2 && !d.bad["sbp.qr_mode"] {
		return fmt.Sprintf("not used: sbp.qr_mode = %d (%s)", mode, qrModeName(mode))
	}
	return ""
}

func (d *doctor) checkSticker(ctx context.Context) checkResult {
	id := d.cfg.PayMaster.StickerID
	p := d.pingPayMaster()
	if p.gwErr != nil || p.err != nil {
		return checkSkip("cannot check until PayMaster answers and accepts the token (see above)")
	}
	st, err := p.gw.Sticker(d.pmCtx, id)
	fixID := "set paymaster.sticker_id to the id of this kiosk's cash-link sticker from the PayMaster cabinet (sbpd settings set paymaster.sticker_id …)"
	switch {
	case plugin.ErrorCode(err) == plugin.ENotFound:
		return checkFail(fmt.Sprintf("sticker %s does not exist at PayMaster (not_found)", id),
			fixID+", or register one with cashlink: true")
	case err != nil:
		return checkFail(fmt.Sprintf("cannot read sticker %s: %s", id, innermostError(err)),
			"run sbpd doctor again; if it persists, check the sticker in the PayMaster cabinet")
	case !st.Cashlink:
		return checkFail(fmt.Sprintf("sticker %s is a static QR, not a cash link (cashlink: false): a purchase cannot activate it", id),
			"register a sticker with cashlink: true for this kiosk and "+strings.TrimPrefix(fixID, "set ")+"; or use sbp.qr_mode 1 (QR on screen)")
	case !st.Active():
		return checkFail(fmt.Sprintf("sticker %s is %s, not Active", id, statusOrNone(st.Status)),
			"activate it in the PayMaster cabinet (PUT /api/v2/stickers/"+id+` {"active": true})`)
	}
	return checkOK(fmt.Sprintf("sticker %s is an active cash link", id))
}

func qrModeName(m int) string {
	switch m {
	case 0:
		return "QR printed on the receipt"
	case 1:
		return "QR on the screen"
	}
	return "sticker/NFC"
}

func statusOrNone(s string) string {
	if s == "" {
		return "without a status"
	}
	return s
}

func (d *doctor) checkClock(context.Context) checkResult {
	p := d.pingPayMaster()
	fix := "turn on time sync (timedatectl set-ntp true) and check `timedatectl status`; TLS certificates and QR expiry (sbp.invoice_ttl) depend on the clock"
	switch {
	case p.gwErr != nil || !p.answered():
		return checkSkip("cannot check: no answer from PayMaster to compare with; check `timedatectl status`")
	case p.server.IsZero():
		return checkWarn("PayMaster's answer has no Date header: the clock cannot be compared", fix)
	}
	// The Date header has whole seconds: compare with the middle of the
	// call, and forgive the second it truncates.
	local := p.sent.Add(p.elapsed() / 2)
	skew := local.Sub(p.server.Add(500 * time.Millisecond)).Round(time.Second)
	side := "ahead of"
	if skew < 0 {
		side, skew = "behind", -skew
	}
	msg := fmt.Sprintf("the local clock is %s %s PayMaster's (local %s)", skew, side, local.UTC().Format("2006-01-02 15:04:05 UTC"))
	switch {
	case skew > clockFailSkew:
		return checkFail(msg, fix)
	case skew > clockWarnSkew:
		return checkWarn(msg, fix)
	}
	return checkOK(fmt.Sprintf("the local clock is within %s of PayMaster's", max(skew, time.Second)))
}

// --- Printer

func (d *doctor) printerUnused() string {
	if d.cfg.Printer.Port == "" && !d.bad["printer.port"] {
		return fmt.Sprintf("not configured (printer.port is empty; sbp.qr_mode = %d: %s)", d.cfg.SBP.QRMode, qrModeName(d.cfg.SBP.QRMode))
	}
	return ""
}

func (d *doctor) checkPrinter(ctx context.Context) checkResult {
	port := d.cfg.Printer.Port
	ctx, cancel := context.WithTimeout(ctx, doctorLimits.local)
	defer cancel()
	report, err := printerStatus(ctx, d.cfg)
	if err != nil {
		return checkFail("cannot ask the printer: "+err.Error(), "run sbpd printer status for details")
	}
	return printerCheck(report, port, d.cfg.Printer.Baud)
}

// printerCheck turns a printerReport (direct or from the daemon's
// /healthz) into a checklist line.
func printerCheck(report map[string]any, port string, baud int) checkResult {
	status, _ := report["status"].(string)
	state, _ := report["state"].(string)
	cause, _ := report["error"].(string)
	via := ""
	if report["via"] == "daemon" {
		via = " (asked the running sbpd, which holds the port)"
	}
	switch status {
	case "ok":
		return checkOK(fmt.Sprintf("the printer on %s answers: %s%s", port, state, via))
	case "paper_near_end":
		return checkWarn(fmt.Sprintf("the printer on %s is near the end of its paper roll%s", port, via), "load a new paper roll soon")
	case plugin.PrinterNoAnswer:
		return checkFail(fmt.Sprintf("the printer on %s does not answer status queries%s", port, via),
			fmt.Sprintf("check that it is powered on and cabled to %s, and that printer.baud (%d) matches its self-test page; `sbpd printer test` prints even without status", port, baud))
	case plugin.PrinterPaperEnd:
		return checkFail(fmt.Sprintf("the printer on %s is out of paper%s", port, via), "load a paper roll and close the cover")
	case plugin.PrinterCoverOpen:
		return checkFail(fmt.Sprintf("the printer on %s has its cover open%s", port, via), "close the printer's cover")
	case plugin.PrinterOffline:
		return checkFail(fmt.Sprintf("the printer on %s is offline%s", port, via), "press the feed button or turn the printer off and on; check for a paper jam")
	case plugin.PrinterError:
		return checkFail(fmt.Sprintf("the printer on %s reports an error: %s%s", port, state, via), "clear the jam or the cutter and turn the printer off and on")
	case plugin.PrinterPortMissing:
		if i := strings.LastIndex(cause, ": "); i >= 0 {
			cause = cause[i+2:] // "no such file or directory", "permission denied"
		}
		return checkFail(fmt.Sprintf("the serial port %s cannot be opened (%s)", port, cause),
			"set printer.port to the printer's device (ls /dev/ttyS* /dev/ttyUSB*) and check the cable and that sbpd's user may open it (group dialout)")
	case plugin.PrinterBusy:
		return checkWarn(fmt.Sprintf("another process holds %s, and no running sbpd answered /healthz about it", port),
			"find the holder (fuser "+port+") or check listen and api.token; stop it and run sbpd doctor again")
	}
	return checkFail(fmt.Sprintf("the printer on %s cannot print: %s %s", port, status, cause), "run sbpd printer status and sbpd printer test")
}

// --- Journal and disk

func (d *doctor) checkJournal(ctx context.Context) checkResult {
	path := filepath.Join(d.cfg.DataDir, "sbpd.db")
	fix := fmt.Sprintf("stop sbpd, keep the damaged file for support (mv %s %s.damaged), then start sbpd to begin a new journal; the PayMaster cabinet still lists every payment", path, path)
	switch _, err := os.Stat(path); {
	case errors.Is(err, os.ErrNotExist):
		return checkWarn("no journal yet at "+path, "sbpd serve creates it on its first start; if sbpd has run on this kiosk before, check data_dir")
	case err != nil:
		return checkFail("cannot read the journal: "+err.Error(), "check data_dir and the permissions of "+path)
	}
	ctx, cancel := context.WithTimeout(ctx, doctorLimits.local)
	defer cancel()
	db, err := sqlite.Open(path)
	switch {
	case errors.Is(err, sqlite.ErrSchemaNewer):
		return checkFail(fmt.Sprintf("the journal %s was written by a newer sbpd (%s)", path, version), "install the sbpd version this kiosk ran before")
	case errors.Is(err, sqlite.ErrDirNotWritable):
		dir := filepath.Dir(path)
		return checkFail(fmt.Sprintf("the journal's directory %s is not writable, so the journal cannot be opened and no payment can be recorded", dir),
			fmt.Sprintf("make it writable by the user sbpd runs as (chown -R sbpd:sbpd %s && chmod 750 %s); if the file system is read-only (findmnt -no OPTIONS --target %s), check the disk (dmesg) and remount it read-write", dir, dir, dir))
	case err != nil:
		return checkFail("the journal cannot be opened: "+innermostError(err), fix)
	}
	defer db.Close()
	if err := db.Check(ctx); err != nil {
		return checkFail("the journal fails the integrity check: "+strings.TrimPrefix(err.Error(), "sqlite: "), fix)
	}
	return journalModeCheck(path, append(append([]sqlite.ModeFix(nil), d.modeFixes...), db.ModeFixes()...))
}

// journalModeCheck is the Journal line for a sound journal: OK, or a
// warning naming each file that was open to other users, the mode it had
// and, when it could not be tightened, the command that does it.
func journalModeCheck(path string, fixes []sqlite.ModeFix) checkResult {
	if len(fixes) == 0 {
		return checkOK("the journal " + path + " passes the integrity check")
	}
	lines := make([]string, len(fixes))
	var failed []string
	var mode fs.FileMode
	for i, f := range fixes {
		lines[i] = f.String()
		if f.Err != nil {
			failed, mode = append(failed, f.Path), max(mode, f.New)
		}
	}
	msg := "the journal " + path + " passes the integrity check, but its files were open to other users:\n" + strings.Join(lines, "\n")
	if len(failed) == 0 {
		return checkWarn(msg, "nothing more to do here: find what loosened them (a copy or restore made with umask 022?); sbpd creates them 0600")
	}
	return checkWarn(msg, fmt.Sprintf("chmod %o %s (as root or the files' owner); sbpd keeps the journal 0600 (0640 for the group of a data_dir closed to others)",
		mode, strings.Join(failed, " ")))
}

func (d *doctor) checkDisk(context.Context) checkResult {
	dir := existingDir(d.cfg.DataDir)
	free, err := diskFree(dir)
	if err != nil {
		return checkFail(fmt.Sprintf("cannot read the free space of %s: %v", dir, err), "check data_dir")
	}
	msg := fmt.Sprintf("%s free in %s", humanBytes(free), dir)
	fix := "free space on that file system: old logs (journalctl --vacuum-size=100M), apt-get clean, old exports"
	switch {
	case free < diskFailBelow:
		return checkFail(msg+": the journal cannot record payments safely", fix)
	case free < diskWarnBelow:
		return checkWarn(msg, fix)
	}
	return checkOK(msg)
}

// existingDir is dir or its nearest ancestor that exists: data_dir is
// created at the daemon's first start.
func existingDir(dir string) string {
	dir = filepath.Clean(dir)
	for {
		if fi, err := os.Stat(dir); err == nil && fi.IsDir() {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return dir
		}
		dir = parent
	}
}

func statfsFree(dir string) (uint64, error) {
	var st syscall.Statfs_t
	if err := syscall.Statfs(dir, &st); err != nil {
		return 0, err
	}
	return uint64(st.Bavail) * uint64(st.Bsize), nil
}

func humanBytes(n uint64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	v, suffix := float64(n)/unit, "KMGTPE"
	i := 0
	for v >= unit && i < len(suffix)-1 {
		v /= unit
		i++
	}
	return fmt.Sprintf("%.1f %cB", v, suffix[i])
}

// innermostError is the innermost error's text: "connection refused" rather
// than the whole chain with the request URL.
func innermostError(err error) string {
	for {
		next := errors.Unwrap(err)
		if next == nil {
			return err.Error()
		}
		err = next
	}
}

func countNoun(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}

func hostOnly(hostport string) string {
	if h, _, ok := strings.Cut(hostport, ":"); ok {
		return h
	}
	return hostport
}

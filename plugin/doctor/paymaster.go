package doctor

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/sbpd/sbpd/plugin"
)

// PayMaster is the read-only part of the PayMaster client the checks use.
type PayMaster interface {
	// Ping makes one read-only call and returns PayMaster's Date header
	// (zero if none).
	Ping(ctx context.Context) (server time.Time, err error)
	// Sticker reads one sticker. Errors of both are read by Classify.
	Sticker(ctx context.Context, id string) (Sticker, error)
}

// Answer is the error of a call PayMaster answered with HTTP, somewhere in
// a driver's error chain: the status and PayMaster's own words.
type Answer interface {
	HTTPStatus() int
	Detail() string
}

// Sticker is what the sticker check reads of one.
type Sticker = plugin.Sticker

// Failed is why a PayMaster call failed.
type Failed struct {
	Reason     Reason
	HTTPStatus int    // 0 when PayMaster did not answer with HTTP
	Text       string // PayMaster's own words about a refusal
	Cause      string // the innermost error: "connection refused"
}

// Reason classifies a failed call.
type Reason string

const (
	ReasonNone          Reason = ""
	ReasonDNS           Reason = plugin.GatewayDNS
	ReasonTLS           Reason = plugin.GatewayTLS
	ReasonTimeout       Reason = plugin.GatewayTimeout
	ReasonRefused       Reason = plugin.GatewayRefused
	ReasonCanceled      Reason = plugin.GatewayCanceled
	ReasonNoAnswer      Reason = plugin.GatewayNoAnswer
	ReasonBadAnswer     Reason = plugin.GatewayBadAnswer     // an answer that is not the API's
	ReasonUnavailable   Reason = "unavailable"               // answered, but the outcome is unknown (HTTP 5xx)
	ReasonNotAuthorized Reason = plugin.GatewayNotAuthorized // the token is refused
	ReasonNotFound      Reason = plugin.GatewayNotFound
	ReasonInvalid       Reason = plugin.GatewayInvalid // e.g. an unknown merchant id
	ReasonRefusal       Reason = "refused"             // any other refusal
)

// unanswered are the gateway's reasons for a call without an answer, or
// with one that is not the API's: Classify keeps them as they are.
var unanswered = []Reason{ReasonDNS, ReasonTLS, ReasonTimeout, ReasonRefused, ReasonCanceled, ReasonNoAnswer, ReasonBadAnswer}

// ping is the one PayMaster call that the reachability, token and clock
// checks share.
type ping struct {
	setupErr   error
	pm         PayMaster
	sent, recv time.Time
	server     time.Time
	err        error
	why        Failed
}

func (p ping) elapsed() time.Duration { return p.recv.Sub(p.sent) }

// answered reports whether whatever is at the base URL answered with HTTP.
func (p ping) answered() bool {
	switch {
	case p.setupErr != nil:
		return false
	case p.err == nil:
		return true
	}
	return p.why.HTTPStatus != 0 || p.why.Reason == ReasonBadAnswer
}

func (k *Kiosk) pingPayMaster() ping {
	k.pingOnce.Do(func() {
		var p ping
		if p.pm, p.setupErr = k.PayMaster(); p.setupErr != nil {
			k.ping = p
			return
		}
		p.sent = k.clock().Now()
		p.server, p.err = p.pm.Ping(k.pmCtx)
		p.recv = k.clock().Now()
		if p.err != nil {
			p.why = Classify(p.err)
		}
		k.ping = p
	})
	return k.ping
}

func (k *Kiosk) host() string {
	if u, err := url.Parse(k.BaseURL); err == nil && u.Host != "" {
		return u.Host
	}
	return k.BaseURL
}

func (k *Kiosk) checkReachable(context.Context) Result {
	p := k.pingPayMaster()
	if p.setupErr != nil {
		return Failure("the PayMaster client cannot be set up: "+p.setupErr.Error(),
			"correct the paymaster.* settings (sbpd settings set paymaster.… …)")
	}
	if p.answered() {
		return k.reachableAnswer(p)
	}
	host, cause := k.host(), p.why.Cause
	fixURL := fmt.Sprintf("check paymaster.base_url (now %s; PayMaster's API is at https://paymaster.ru)", k.BaseURL)
	switch p.why.Reason {
	case ReasonDNS:
		return Failf(fmt.Sprintf("%s and the kiosk's DNS: getent hosts %s; cat /etc/resolv.conf", fixURL, hostOnly(host)),
			"cannot resolve %s (%s)", hostOnly(host), cause)
	case ReasonTLS:
		return Failf("check the clock (certificates depend on it), the CA certificates (package ca-certificates) and that no proxy intercepts HTTPS",
			"the TLS connection to %s failed (%s)", host, cause)
	case ReasonTimeout:
		return Failf(fmt.Sprintf("check the network, the firewall and any proxy: the kiosk must reach %s; then run sbpd doctor again", host),
			"no answer from %s within %s, tried twice", host, k.Limits.PayMasterTry)
	case ReasonRefused:
		return Failf(fixURL+" and the firewall", "%s refused the connection", host)
	case ReasonCanceled:
		return Failure("the check was interrupted", "run sbpd doctor again")
	}
	return Failf(fmt.Sprintf("check the network and paymaster.base_url (now %s)", k.BaseURL), "no answer from %s (%s)", host, cause)
}

// reachableAnswer judges an HTTP answer to the ping.
func (k *Kiosk) reachableAnswer(p ping) Result {
	base, took, status := k.BaseURL, p.elapsed().Round(time.Millisecond), p.why.HTTPStatus
	setURL := "set paymaster.base_url to https://paymaster.ru"
	switch {
	case p.err == nil:
		return Pass(fmt.Sprintf("PayMaster at %s answered in %s", base, took))
	case p.why.Reason == ReasonBadAnswer:
		return Failf(setURL+" and check that no proxy or captive portal answers instead",
			"%s answered, but not as the PayMaster API (a proxy or Wi-Fi login page?)", base)
	case status == 404:
		return Failf(fmt.Sprintf("%s, without /api/v2 (%s)", setURL, k.Settings.HowToSet("paymaster.base_url", "https://paymaster.ru")),
			"%s answered HTTP 404 to the payments list: it is not the PayMaster API", base)
	case status >= 500 || status == 429:
		return Failf("payments fail until it recovers; run sbpd doctor again in a few minutes",
			"PayMaster at %s answered HTTP %d: it is having trouble", base, status)
	}
	return Pass(fmt.Sprintf("PayMaster at %s answered in %s (HTTP %d)", base, took, status))
}

func (k *Kiosk) checkToken(context.Context) Result {
	p := k.pingPayMaster()
	merchant := k.MerchantID
	switch {
	case !p.answered() || p.why.Reason == ReasonUnavailable || p.why.Reason == ReasonBadAnswer || p.why.HTTPStatus == 404:
		return Skipped("cannot check: PayMaster did not answer (see PayMaster reachable)")
	case p.err == nil:
		return Pass("PayMaster accepts the token for merchant " + merchant)
	case p.why.Reason == ReasonNotAuthorized:
		return Failure("PayMaster refused the token (not_authorized)",
			fmt.Sprintf("set paymaster.token to the API token from the merchant cabinet (%s) and check that it belongs to merchant %s (paymaster.merchant_id)",
				k.Settings.HowToSet("paymaster.token", "TOKEN"), merchant))
	case p.why.Reason == ReasonInvalid:
		return Failf(fmt.Sprintf("set paymaster.merchant_id to the site's GUID from the PayMaster cabinet (%s)", k.Settings.HowToSet("paymaster.merchant_id", "…")),
			"PayMaster refused the request for merchant %s (%s)", merchant, p.why.Text)
	}
	return Failf("check paymaster.token and paymaster.merchant_id against the PayMaster cabinet", "PayMaster refused the request (%s)", p.why.Text)
}

func (k *Kiosk) stickerUnused() string {
	if mode := k.QRMode; mode != 2 && !k.Settings.bad("sbp.qr_mode") {
		return fmt.Sprintf("not used: sbp.qr_mode = %d (%s)", mode, QRModeName(mode))
	}
	return ""
}

func (k *Kiosk) checkSticker(context.Context) Result {
	id := k.StickerID
	p := k.pingPayMaster()
	if p.setupErr != nil || p.err != nil {
		return Skipped("cannot check until PayMaster answers and accepts the token (see above)")
	}
	st, err := p.pm.Sticker(k.pmCtx, id)
	fixID := "paymaster.sticker_id to the id of this kiosk's cash-link sticker from the PayMaster cabinet (" + k.Settings.HowToSet("paymaster.sticker_id", "…") + ")"
	switch {
	case err != nil && Classify(err).Reason == ReasonNotFound:
		return Failf("set "+fixID+", or register one with cashlink: true", "sticker %s does not exist at PayMaster (not_found)", id)
	case err != nil:
		return Failf("run sbpd doctor again; if it persists, check the sticker in the PayMaster cabinet", "cannot read sticker %s: %s", id, Classify(err).Cause)
	case !st.Cashlink:
		return Failf("register a sticker with cashlink: true for this kiosk and "+fixID+"; or use sbp.qr_mode 1 (QR on screen)",
			"sticker %s is a static QR, not a cash link (cashlink: false): a purchase cannot activate it", id)
	case !st.Active():
		return Failf("activate it in the PayMaster cabinet (PUT /api/v2/stickers/"+id+` {"active": true})`, "sticker %s is %s, not Active", id, statusOrNone(st.Status))
	}
	return Pass(fmt.Sprintf("sticker %s is an active cash link", id))
}

// Clock skew thresholds against PayMaster's Date header.
const (
	ClockWarnSkew = time.Minute
	ClockFailSkew = 5 * time.Minute
)

func (k *Kiosk) checkClock(context.Context) Result {
	p := k.pingPayMaster()
	fix := "turn on time sync (timedatectl set-ntp true) and check `timedatectl status`; TLS certificates and QR expiry (sbp.invoice_ttl) depend on the clock"
	switch {
	case p.setupErr != nil || !p.answered():
		return Skipped("cannot check: no answer from PayMaster to compare with; check `timedatectl status`")
	case p.server.IsZero():
		return Warning("PayMaster's answer has no Date header: the clock cannot be compared", fix)
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
	case skew > ClockFailSkew:
		return Failure(msg, fix)
	case skew > ClockWarnSkew:
		return Warning(msg, fix)
	}
	return Pass(fmt.Sprintf("the local clock is within %s of PayMaster's", max(skew, time.Second)))
}

// QRModeName says what an sbp.qr_mode means.
func QRModeName(m int) string {
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

func hostOnly(hostport string) string {
	if h, _, ok := strings.Cut(hostport, ":"); ok {
		return h
	}
	return hostport
}

// Classify is why a PayMaster call failed, read from err's plugin code and
// reason (plugin.ErrorCode, plugin.ErrorReason; the gateway's reasons are
// plugin.Gateway…): a call without an answer keeps its reason, a 5xx is
// unavailable, a 404 not found, a refused token not authorized, a
// validation error invalid, anything else a refusal. An Answer in err's
// chain gives the HTTP status and PayMaster's own words.
func Classify(err error) Failed {
	reason, code := plugin.ErrorReason(err), plugin.ErrorCode(err)
	f := Failed{Cause: Innermost(err), Text: reason}
	switch {
	case slices.Contains(unanswered, Reason(reason)):
		f.Reason = Reason(reason)
	case code == plugin.ENotFound:
		f.Reason = ReasonNotFound
	case code == plugin.EUnavailable:
		f.Reason = ReasonUnavailable
	case reason == string(ReasonNotAuthorized):
		f.Reason = ReasonNotAuthorized
	case reason == string(ReasonInvalid):
		f.Reason = ReasonInvalid
	default:
		f.Reason = ReasonRefusal
	}
	var a Answer
	if errors.As(err, &a) {
		f.HTTPStatus, f.Text = a.HTTPStatus(), a.Detail()
	}
	return f
}

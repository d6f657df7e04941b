package paymaster

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"
	"syscall"
	"time"

	"github.com/sbpd/sbpd/plugin"
)

// Sticker is a registered SBP sticker (static QR, NFC tag or cash-register
// link), as GET /api/v2/stickers/{id} describes it.
type Sticker = plugin.Sticker

type stickerJSON struct {
	ID          json.RawMessage `json:"id"`
	StickerType string          `json:"stickerType"`
	Cashlink    bool            `json:"cashlink"`
	Status      string          `json:"status"`
	Payload     string          `json:"payload"`
}

// Sticker reads one sticker. It is read-only. An unknown sticker is a
// *plugin.Error with code ENotFound.
func (g *Gateway) Sticker(ctx context.Context, id string) (Sticker, error) {
	const op = "get sticker"
	if strings.TrimSpace(id) == "" {
		return Sticker{}, &plugin.Error{Code: plugin.EInvalid, Message: "paymaster: get sticker: empty id"}
	}
	r, err := g.call(ctx, http.MethodGet, "/api/v2/stickers/"+url.PathEscape(id), nil, nil, "")
	if err != nil {
		return Sticker{}, unavailable(op, TransportReason(err), err)
	}
	if !ok2xx(r.status) || documentedError(r.body) != "" {
		e := g.httpError(op, r, true)
		if e.Code == plugin.ENotFound {
			e.Message = op + ": PayMaster has no such sticker"
		}
		return Sticker{}, e
	}
	var w stickerJSON
	if err := json.Unmarshal(r.body, &w); err != nil {
		return Sticker{}, unavailable(op, plugin.GatewayBadAnswer, fmt.Errorf("paymaster: decode sticker %s: %w", id, err))
	}
	s := Sticker{ID: id, Type: w.StickerType, Cashlink: w.Cashlink, Status: w.Status, Payload: w.Payload}
	if got, err := decodeID(w.ID); err == nil {
		s.ID = got
	}
	return s, nil
}

// Ping proves that PayMaster answers at the base URL and accepts the token
// and merchant id, with the one read-only call that needs both: the first
// page of the payments created in the last minute. It never creates,
// changes or cancels anything.
//
// serverTime is the Date header of PayMaster's answer, for a clock check.
// It is set whenever an answer came, also with an error (a refused token
// still tells the time), and is zero when none came or it had no Date.
//
// Errors are *plugin.Error: a refusal carries the code of PayMaster's
// error body (not_authorized for a refused token, validation_error for an
// unknown merchant id, whatever the HTTP status); one without a code has
// plugin.GatewayNotAuthorized for 401 and 403, or http_NNN; no answer has plugin.GatewayDNS, plugin.GatewayTLS,
// plugin.GatewayTimeout, plugin.GatewayRefused or plugin.GatewayNoAnswer; an answer that is not a
// payment list (a captive portal, a wrong base URL) has plugin.GatewayBadAnswer.
func (g *Gateway) Ping(ctx context.Context) (serverTime time.Time, err error) {
	const op = "ping"
	now := g.cfg.Clock.Now()
	q := url.Values{}
	q.Set("merchantId", g.cfg.MerchantID)
	q.Set("start", formatTime(now.Add(-time.Minute)))
	q.Set("end", formatTime(now))
	r, err := g.call(ctx, http.MethodGet, "/api/v2/payments", q, nil, "")
	if err != nil {
		return time.Time{}, unavailable(op, TransportReason(err), err)
	}
	if t, perr := http.ParseTime(r.date); perr == nil {
		serverTime = t
	}
	if !ok2xx(r.status) || documentedError(r.body) != "" {
		return serverTime, g.httpError(op, r, false)
	}
	var l listJSON
	if err := json.Unmarshal(r.body, &l); err != nil {
		return serverTime, unavailable(op, plugin.GatewayBadAnswer,
			fmt.Errorf("paymaster: HTTP %d is not a payment list: %w: %s", r.status, err, snippet(plugin.Redact(string(r.body), g.cfg.Token))))
	}
	return serverTime, nil
}

// TransportReason names why a request got no answer: plugin.GatewayTimeout,
// plugin.GatewayDNS, plugin.GatewayTLS, plugin.GatewayRefused, plugin.GatewayCanceled or plugin.GatewayNoAnswer.
func TransportReason(err error) string {
	var (
		dnsErr  *net.DNSError
		netErr  net.Error
		verify  *tls.CertificateVerificationError
		record  tls.RecordHeaderError
		alert   tls.AlertError
		unknown x509.UnknownAuthorityError
		host    x509.HostnameError
		invalid x509.CertificateInvalidError
	)
	switch {
	case errors.Is(err, context.Canceled):
		return plugin.GatewayCanceled
	case errors.As(err, &dnsErr):
		return plugin.GatewayDNS
	case errors.As(err, &verify), errors.As(err, &record), errors.As(err, &alert),
		errors.As(err, &unknown), errors.As(err, &host), errors.As(err, &invalid):
		return plugin.GatewayTLS
	case errors.Is(err, syscall.ECONNREFUSED):
		return plugin.GatewayRefused
	case errors.Is(err, context.DeadlineExceeded), errors.As(err, &netErr) && netErr.Timeout():
		return plugin.GatewayTimeout
	}
	return plugin.GatewayNoAnswer
}

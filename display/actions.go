package display

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"strings"

	"github.com/sbpd/sbpd/plugin"
)

// Actions is what the page's Повторить and Отменить need of the flow
// engine; *plugin.Engine has it.
type Actions interface {
	Retry(ctx context.Context, id string) (plugin.Payment, error)
	Cancel(ctx context.Context, id string) (plugin.Payment, error)
}

var _ Actions = (*plugin.Engine)(nil)

// The page's choices, the last part of POST /screen/payments/{id}/{action}.
const (
	actionRetry  = "retry"
	actionCancel = "cancel"
)

// maxActionBody bounds the body of a button's request, which is ignored:
// the page sends none.
const maxActionBody = 4 << 10

// TextLoopbackOnly is the answer to a request from beyond this kiosk when
// Screen.LocalOnly is set.
const TextLoopbackOnly = "the kiosk screen is served only to this kiosk's own browser (loopback)"

// localOnly wraps a screen route: with s.LocalOnly set (read at every
// request) it answers 403 to a peer on another machine (fromThisKiosk).
// API-like routes (asJSON) get the refusal as a JSON error, the page's
// routes as plain text.
func (s *Screen) localOnly(h http.Handler, asJSON bool) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if s.LocalOnly && !fromThisKiosk(r) {
			if asJSON {
				writeError(w, http.StatusForbidden, "not_loopback", TextLoopbackOnly)
				return
			}
			w.Header().Set("Cache-Control", "no-store")
			http.Error(w, TextLoopbackOnly, http.StatusForbidden)
			return
		}
		h.ServeHTTP(w, r)
	})
}

// fromThisKiosk reports whether a request comes from this machine: its
// peer (the connection's RemoteAddr; X-Forwarded-For and the like are not
// trusted) is in 127.0.0.0/8 or ::1, an IPv4-mapped form included, or is
// the very address the connection reached, as when the kiosk's browser
// opens the page at the one LAN address sbpd listens on. An unparsable
// address is not.
func fromThisKiosk(r *http.Request) bool {
	peer, err := netip.ParseAddrPort(r.RemoteAddr)
	if err != nil {
		return false
	}
	ip := peer.Addr().Unmap()
	if ip.IsLoopback() {
		return true
	}
	la, ok := r.Context().Value(http.LocalAddrContextKey).(net.Addr)
	if !ok || la == nil {
		return false
	}
	local, err := netip.ParseAddrPort(la.String())
	return err == nil && !ip.IsUnspecified() && local.Addr().Unmap() == ip
}

// act handles POST /screen/payments/{id}/{action}: the shopper tapped
// Повторить or Отменить. It acts only on the payment on show and only
// while the screen offers that button (refusal), so the screen's routes
// cannot start or end any other payment. The answer is the payment as the
// till API returns it; the page takes the new state from the event stream.
func (s *Screen) act(action string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		actions := s.Actions // read now: the daemon may set it after Routes
		if actions == nil {
			writeError(w, http.StatusNotImplemented, plugin.ENotImplemented,
				"this sbpd does not take the shopper's choice from the screen (display.Screen.Actions is not set): "+
					"the till software must send it to POST /api/v1/payments/{id}/"+action)
			return
		}
		if _, err := io.Copy(io.Discard, http.MaxBytesReader(w, r.Body, maxActionBody)); err != nil {
			if _, ok := errors.AsType[*http.MaxBytesError](err); ok {
				writeError(w, http.StatusRequestEntityTooLarge, plugin.EBodyTooLarge,
					fmt.Sprintf("the request body is over %d bytes; the screen's buttons send none", maxActionBody))
				return
			}
			writeError(w, http.StatusBadRequest, "bad_request", "cannot read the request body")
			return
		}
		id := r.PathValue("id")
		p, ok := s.Current()
		if code, msg := s.refusal(action, id, p, ok); code != "" {
			writeError(w, http.StatusConflict, code, msg)
			return
		}
		call := actions.Retry
		if action == actionCancel {
			call = actions.Cancel
		}
		got, err := call(r.Context(), id)
		if err != nil {
			failWith(w, s.Status, err)
			return
		}
		got.Decorate()
		writeJSON(w, http.StatusOK, got)
	}
}

// refusal says why a button's request for payment id must not reach the
// engine (a 409 code and message), or "" when it may: the payment must be
// the one on show (p, if shown); Повторить acts only in its dialog
// (status_unknown); Отменить also on the QR, printed-QR and sticker screens
// (awaiting_payment) unless HideCancel, and again while canceling, where
// the engine answers with the payment and sends nothing: exactly one
// cancel, however often it is tapped.
func (s *Screen) refusal(action, id string, p plugin.Payment, shown bool) (code, msg string) {
	if !shown || p.ID != id {
		return "not_on_screen", fmt.Sprintf("payment %s is not the one on the kiosk screen: the screen's buttons act only on the payment it shows", plugin.Clip(id))
	}
	switch {
	case p.State == plugin.StateStatusUnknown:
		return "", ""
	case action == actionRetry:
		// Повторить is the dialog's alone: nothing to retry before it asks.
		return "no_dialog", fmt.Sprintf("payment %s is %s: Повторить acts only while the screen asks the shopper "+
			"to choose (status_unknown)", id, p.State)
	case p.State == plugin.StateCanceling:
		return "", ""
	case p.State == plugin.StateAwaitingPayment && s.HideCancel:
		return "no_cancel_button", fmt.Sprintf("payment %s is %s and this kiosk's screen has no Отменить of its own "+
			"(screen.cancel_button = false): the till software cancels through POST /api/v1/payments/{id}/cancel", id, p.State)
	case p.State == plugin.StateAwaitingPayment:
		return "", ""
	}
	return "no_dialog", fmt.Sprintf("payment %s is %s: Отменить acts only while the payment awaits the shopper "+
		"(awaiting_payment), the screen asks the shopper to choose (status_unknown) or it is being cancelled", id, p.State)
}

// failWith answers with the engine's error: a *plugin.Error whose code
// statusOf maps shows its reason and message; anything else is a 500
// "internal error" that shows nothing of its cause.
func failWith(w http.ResponseWriter, statusOf func(string) int, err error) {
	pe, ok := errors.AsType[*plugin.Error](err)
	status := http.StatusInternalServerError
	if ok && statusOf != nil {
		status = statusOf(pe.Code)
	}
	if status == 0 || status == http.StatusInternalServerError {
		writeError(w, http.StatusInternalServerError, plugin.EInternal, "internal error")
		return
	}
	msg := pe.Message
	if msg == "" {
		msg = "the payment could not take the shopper's choice (" + pe.Code + ")"
	}
	writeError(w, status, plugin.ErrorReason(err), msg)
}

// writeError writes {"error":{"code":...,"message":...}}, the till API's
// error shape.
func writeError(w http.ResponseWriter, status int, code, message string) {
	writeJSON(w, status, struct {
		Error plugin.APIError `json:"error"`
	}{plugin.APIError{Code: code, Message: message}})
}

// writeJSON writes v as the JSON body with status, without HTML escaping
// (QR links keep their "&").
func writeJSON(w http.ResponseWriter, status int, v any) {
	var b strings.Builder
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		status = http.StatusInternalServerError
		b.Reset()
		b.WriteString(`{"error":{"code":"` + plugin.EInternal + `","message":"internal error"}}` + "\n")
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	io.WriteString(w, b.String())
}

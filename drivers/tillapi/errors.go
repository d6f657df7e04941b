package tillapi

import (
	"errors"
	"net/http"

	"github.com/sbpd/sbpd/plugin"
)

// errorBody is the JSON of every error answer:
// {"error":{"code":"...","message":"..."}}.
type errorBody struct {
	Error plugin.APIError `json:"error"`
}

// writeError writes an error answer.
func writeError(w http.ResponseWriter, status int, code, message string) {
	if rec, ok := w.(*recorder); ok {
		rec.errCode = code
	}
	writeJSON(w, status, errorBody{plugin.APIError{Code: code, Message: message}})
}

// ErrorStatus is the HTTP status of an answer that carries an error with
// this plugin code: the till API's mapping of the core's error codes.
func ErrorStatus(code string) int {
	switch code {
	case plugin.EInvalid:
		return http.StatusUnprocessableEntity
	case plugin.ENotFound:
		return http.StatusNotFound
	case plugin.EConflict:
		return http.StatusConflict
	case plugin.ENotReady, plugin.EStorage:
		return http.StatusServiceUnavailable
	case plugin.EDisabled:
		return http.StatusForbidden
	case plugin.EUnavailable, plugin.ERejected:
		return http.StatusBadGateway
	}
	return http.StatusInternalServerError
}

// defaultMessages stand in for a *plugin.Error without a message.
var defaultMessages = map[string]string{
	plugin.EInvalid:     "the request is not valid",
	plugin.ENotFound:    "no such payment",
	plugin.EConflict:    "the request clashes with the payment in progress",
	plugin.ENotReady:    "sbpd is still checking unfinished payments with PayMaster; try again in a few seconds",
	plugin.EDisabled:    "SBP payments are turned off on this kiosk (sbp.enabled)",
	plugin.EStorage:     "the payment journal could not record the change; try again",
	plugin.EUnavailable: "PayMaster could not be reached; the outcome is not known yet",
	plugin.ERejected:    "PayMaster refused the request",
}

// fail answers with the error the engine or the journal returned. A
// *plugin.Error with a known code shows its reason and message; anything
// else is a 500 "internal error", logged in full and never sent.
func (h *handler) fail(w http.ResponseWriter, r *http.Request, err error) {
	var pe *plugin.Error
	if !errors.As(err, &pe) {
		pe = &plugin.Error{Code: plugin.EInternal}
	}
	status := ErrorStatus(pe.Code)
	if status == http.StatusInternalServerError {
		h.log.Error("till api: internal error", "method", r.Method, "path", plugin.Clip(r.URL.Path), "err", err)
		writeError(w, status, plugin.EInternal, "internal error")
		return
	}
	if status >= 500 {
		h.log.Warn("till api: request failed", "method", r.Method, "path", plugin.Clip(r.URL.Path),
			"code", plugin.ErrorReason(err), "err", err)
	}
	msg := pe.Message
	if msg == "" {
		msg = defaultMessages[pe.Code]
	}
	writeError(w, status, plugin.ErrorReason(err), msg)
}

package display

import (
	"net/http"

	"github.com/sbpd/sbpd/plugin"
)

// ErrorStatus is the HTTP status of the screen buttons' answer to an error
// with this plugin code. The buttons answer what the engine's Retry and
// Cancel return: a refusal (conflict, invalid), no such payment, the
// journal or the engine not able to act now, PayMaster's trouble. They
// answer as the till API does (cmd/sbpd's tests hold the two mappings
// together); anything else is a 500.
func ErrorStatus(code string) int {
	switch code {
	case plugin.EInvalid:
		return http.StatusUnprocessableEntity
	case plugin.ENotFound:
		return http.StatusNotFound
	case plugin.EConflict:
		return http.StatusConflict
	case plugin.EStorage, plugin.ENotReady:
		return http.StatusServiceUnavailable
	case plugin.EUnavailable, plugin.ERejected:
		return http.StatusBadGateway
	}
	return http.StatusInternalServerError
}

// ErrorCodes are the codes ErrorStatus maps to a status of their own.
var ErrorCodes = []string{plugin.EInvalid, plugin.ENotFound, plugin.EConflict, plugin.EStorage, plugin.ENotReady,
	plugin.EUnavailable, plugin.ERejected}

package web

import (
	"errors"
	"net/http"

	"github.com/sbpd/sbpd/plugin"
	"github.com/sbpd/sbpd/plugin/backoffice"
)

// failure is the status and message of an error of the back office: a
// refusal (its title by reason, the service's sentence) or a failure of
// the journal or PayMaster.
func failure(err error) (int, *flash) {
	var fe *plugin.FilterError
	if errors.As(err, &fe) {
		return http.StatusBadRequest, &flash{Title: "Неверный фильтр", Text: fe.Error(), Code: fe.Code()}
	}
	if !backoffice.Refused(err) {
		return http.StatusInternalServerError, &flash{Title: "Ошибка", Text: err.Error(), Code: "internal"}
	}
	status := http.StatusConflict
	switch plugin.ErrorCode(err) {
	case plugin.EInvalid:
		status = http.StatusUnprocessableEntity
	case plugin.ENotFound:
		status = http.StatusNotFound
	case plugin.EUnavailable:
		status = http.StatusServiceUnavailable
	}
	reason := plugin.ErrorReason(err)
	if reason == "" {
		reason = plugin.ErrorCode(err)
	}
	return status, &flash{Title: refusalTitle(reason), Text: plugin.ErrorMessage(err), Code: reason}
}

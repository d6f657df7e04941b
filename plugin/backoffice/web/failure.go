package web

import (
	"errors"
	"net/http"

	"github.com/sbpd/sbpd/plugin"
	"github.com/sbpd/sbpd/plugin/backoffice"
)

// filterWord names a filter's parameter as the form labels it.
func filterWord(param string) string {
	switch param {
	case "state":
		return "Состояние"
	case "from":
		return "С"
	case "to":
		return "По"
	case "q":
		return "Поиск"
	case "mode":
		return "Режим"
	case "mixed":
		return "Оплата"
	case "limit":
		return "На странице"
	case "offset", "before":
		return "Страница"
	}
	return param
}

// failure is the status and message of an error of the back office: a
// refusal (its title by reason, the service's sentence) or a failure of
// the journal or PayMaster.
func failure(err error) (int, *flash) {
	var fe *plugin.FilterError
	if errors.As(err, &fe) {
		return http.StatusBadRequest, &flash{Title: "Неверный фильтр", Text: "Поле фильтра «" + filterWord(fe.Param) + "» заполнено неверно.",
			Detail: fe.Error(), Code: fe.Code()}
	}
	if !backoffice.Refused(err) {
		return http.StatusInternalServerError, &flash{Title: "Ошибка", Text: "Журнал или PayMaster не ответили как надо; повторите, а если не пройдёт, смотрите журнал sbpd.",
			Detail: err.Error(), Code: plugin.EInternal}
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
	rf := refusalOf(reason)
	return status, &flash{Title: rf.title, Text: rf.text, Detail: plugin.ErrorMessage(err), Code: reason}
}

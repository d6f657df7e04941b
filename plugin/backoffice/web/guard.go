package web

import (
	"net/http"

	"github.com/sbpd/sbpd/plugin"
)

// Codes of the back office's own refusals, before the service is asked.
const (
	// RLoginRequired: an act from the web without api.token, where the
	// back office is read-only.
	RLoginRequired = "login_required"
	// RCrossSite: another site's page navigated the browser here.
	RCrossSite = "cross_site"
)

// errLoginRequired is the refusal of an act without api.token: the till
// API on loopback lets any local process read the journal, but changing it
// takes the journal file's owner (the CLI) or a login.
var errLoginRequired = &plugin.Error{Code: plugin.EUnauthorized, Reason: RLoginRequired,
	Message: "acts from the web need a login: api.token is not set, so the web back office is read-only; set it (sbpd settings set api.token -, then restart sbpd) or run sudo -u sbpd sbpd journal … on the kiosk"}

// readOnly says whether the web may only read: no api.token, so no login.
func (s *Server) readOnly() bool { return s.o.Token == "" }

// refuseReadOnly answers an act without api.token: 403, a page saying a
// login is needed and how to get one, the service-style sentence beneath.
func (s *Server) refuseReadOnly(w http.ResponseWriter, r *http.Request, se *session) {
	s.render(w, http.StatusForbidden, "message", s.page(r, se, "Только просмотр", &flash{Title: "Только просмотр: действия из веба — после входа",
		Text: "Без api.token бэк-офис в браузере только показывает журнал: отметки, «Внесено вручную», повтор оповещения и исправления сверки " +
			"требуют входа. Задайте токен (sbpd settings set api.token -) и перезапустите sbpd, или выполните действие на киоске: sudo -u sbpd sbpd journal …",
		Detail: plugin.ErrorMessage(errLoginRequired), Code: RLoginRequired}))
}

// crossSite reports whether r is another site's (or a sibling site's)
// request by the browser's own word, Sec-Fetch-Site: only same-origin and
// none (a typed address, a bookmark) pass, and a request without the
// header (not a browser's, such as curl's). Such a request, a top-level
// navigation included, must not reach the journal: it could download the
// export into the kiosk browser's downloads or hold the one export's slot.
func crossSite(r *http.Request) bool {
	switch r.Header.Get("Sec-Fetch-Site") {
	case "", "same-origin", "none":
		return false
	}
	return true
}

// refuseCrossSite answers another site's request: 403, a short page.
func (s *Server) refuseCrossSite(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Connection", "close")
	s.render(w, http.StatusForbidden, "message", s.page(r, nil, "Отказано", &flash{Title: "Открыто с другого сайта",
		Text:   "Бэк-офис sbpd открывается только по адресу, набранному в браузере, или по ссылке с его же страниц.",
		Detail: "a request another site's page sent (Sec-Fetch-Site) is refused", Code: RCrossSite}))
}

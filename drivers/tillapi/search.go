package tillapi

import (
	"net/http"
	"net/url"
	"time"

	"github.com/sbpd/sbpd/plugin"
)

// searchParams are the query parameters of the journal search, as
// plugin.ParseFilter reads them.
var searchParams = plugin.FilterParams

// searchResult is the answer of the journal search.
type searchResult struct {
	Payments []plugin.Payment `json:"payments"`
	Limit    int              `json:"limit"`
	Offset   int              `json:"offset"`
}

// searchPayments handles GET /api/v1/payments: the journal search.
func (h *handler) searchPayments(w http.ResponseWriter, r *http.Request) {
	if h.search == nil {
		writeError(w, http.StatusNotImplemented, plugin.ENotImplemented, "journal search is not available in this sbpd")
		return
	}
	f, err := parseFilter(r.URL.Query(), time.Local)
	if err != nil {
		writeError(w, http.StatusUnprocessableEntity, plugin.ErrCodeInvalidQuery, err.Error())
		return
	}
	found, err := h.search.Search(r.Context(), f)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	res := searchResult{Payments: make([]plugin.Payment, 0, len(found)), Limit: f.Limit, Offset: f.Offset}
	for _, p := range found {
		if p != nil {
			res.Payments = append(res.Payments, decorated(*p))
		}
	}
	writeJSON(w, http.StatusOK, res)
}

// parseFilter turns the query of a search into a plugin.Filter: the one
// filter parser, plugin.ParseFilter. Dates without a time are days in
// loc: from is the start of its day, to the start of the next day, so
// to=2024-05-01 includes all of May 1st.
func parseFilter(q url.Values, loc *time.Location) (plugin.Filter, error) {
	return plugin.ParseFilter(q, loc)
}

package web

import (
	"fmt"
	"net/http"
	"net/url"
	"strconv"

	"github.com/sbpd/sbpd/plugin"
)

// option is one choice of a select.
type option struct {
	Value, Label string
	Selected     bool
}

// filterForm is the filter as given, to show it again in the form.
type filterForm struct {
	From, To, Q, CheckID string
	States, Modes, Mixed []option
	Limit                string
}

// row is one payment of the list.
type row struct {
	ID, Link, Time, Check, OrderNo, Amount, Mode, PayMaster, State, StateClass, Told, ToldClass string
}

// listView is the journal page.
type listView struct {
	Form                  filterForm
	Rows                  []row
	Shown                 string // "1–50"
	Prev, Next            string // links to the pages around, or ""
	First                 string // the newest page, from a keyset page
	ExportCSV, ExportXLSX string
	Filtered, ExportOffer bool
}

// cleanQuery is q without empty values (a form sends every field), so a
// bookmark holds only what filters.
func cleanQuery(q url.Values) url.Values {
	out := url.Values{}
	for k, vs := range q {
		for _, v := range vs {
			if v != "" {
				out.Add(k, v)
			}
		}
	}
	return out
}

// list is the journal: the filter of the URL's query, read as `sbpd
// journal list` reads its flags (plugin.ParseFilter), one page newest
// first.
func (s *Server) list(w http.ResponseWriter, r *http.Request, se *session) {
	raw := r.URL.Query()
	q := cleanQuery(raw)
	if len(q) < len(raw) {
		// The filter form sends its empty fields too: the address keeps
		// only what filters, so it can be bookmarked or sent on.
		to := Prefix
		if len(q) > 0 {
			to += "?" + q.Encode()
		}
		http.Redirect(w, r, to, http.StatusSeeOther)
		return
	}
	v := &listView{Form: formOf(q), Filtered: len(q) > 0, ExportOffer: s.o.Export != nil}
	f, err := s.listFilter(q)
	if err != nil {
		status, fl := failure(err)
		s.render(w, status, "list", s.page(r, se, "Платежи", fl).with("list", v))
		return
	}
	ps, more, err := s.svc().List(r.Context(), f)
	if err != nil {
		s.fail(w, r, se, err)
		return
	}
	for _, p := range ps {
		rw, err := s.rowOf(r, p)
		if err != nil {
			s.fail(w, r, se, err)
			return
		}
		v.Rows = append(v.Rows, rw)
	}
	paging(v, q, f, ps, more)
	exp := url.Values{}
	for k, vs := range q {
		if k != "limit" && k != "offset" && k != "before" {
			exp[k] = vs
		}
	}
	exp.Set("format", "csv")
	v.ExportCSV = Prefix + "export?" + exp.Encode()
	exp.Set("format", "xlsx")
	v.ExportXLSX = Prefix + "export?" + exp.Encode()
	s.render(w, http.StatusOK, "list", s.page(r, se, "Платежи", nil).with("list", v))
}

// with sets the page's view and menu entry.
func (p *page) with(nav string, view any) *page {
	p.Nav, p.View = nav, view
	return p
}

// listFilter reads the list's query: the journal's filter as the CLI's
// (plugin.ParseFilter), with before= (a payment's id: the page older than
// it); an offset is at most plugin.MaxOffset, deeper pages are reached by
// the «Старее» links (before=), which cost the same at any depth.
func (s *Server) listFilter(q url.Values) (plugin.Filter, error) {
	c := url.Values{}
	for k, vs := range q {
		if k != "before" {
			c[k] = vs
		}
	}
	f, err := plugin.ParseFilter(c, s.o.Zone)
	if err != nil {
		return f, err
	}
	if len(q["before"]) > 1 || len(q.Get("before")) > maxBefore {
		return f, &plugin.FilterError{Param: "before", Value: q.Get("before"), Rule: fmt.Sprintf("give one payment id of at most %d characters", maxBefore)}
	}
	f.Before = q.Get("before")
	return f, nil
}

// maxBefore bounds the before= parameter: a payment id is far shorter.
const maxBefore = 128

// paging fills the list's position and its links: «Старее» after the last
// row (keyset), «Новее» by offset, or to the newest page from a keyset one.
func paging(v *listView, q url.Values, f plugin.Filter, ps []*plugin.Payment, more bool) {
	switch {
	case len(ps) == 0:
	case f.Before != "":
		v.Shown = fmt.Sprintf("следующие %d", len(ps))
	default:
		v.Shown = fmt.Sprintf("%d–%d", f.Offset+1, f.Offset+len(ps))
	}
	switch {
	case f.Before != "":
		v.First = pageLink(q, 0, "")
	case f.Offset > 0:
		v.Prev = pageLink(q, max(f.Offset-f.Limit, 0), "")
	}
	if more {
		v.Next = pageLink(q, 0, ps[len(ps)-1].ID)
	}
}

// pageLink is the list of q at offset, or older than the payment before.
func pageLink(q url.Values, offset int, before string) string {
	c := url.Values{}
	for k, vs := range q {
		c[k] = vs
	}
	c.Del("offset")
	c.Del("before")
	if offset > 0 {
		c.Set("offset", strconv.Itoa(offset))
	}
	if before != "" {
		c.Set("before", before)
	}
	if len(c) == 0 {
		return Prefix
	}
	return Prefix + "?" + c.Encode()
}

func (s *Server) rowOf(r *http.Request, p *plugin.Payment) (row, error) {
	ns, err := s.svc().Outbox.Status(r.Context(), p.ID)
	if err != nil {
		return row{}, err
	}
	toldText, toldClass := told(ns)
	return row{
		ID: p.ID, Link: Prefix + "payments/" + url.PathEscape(p.ID), Time: when(p.CreatedAt, s.o.Zone),
		Check: s.text(p.CheckID), OrderNo: s.text(p.OrderNo), Amount: rub(p.Amount), Mode: modeWord(p.Mode),
		PayMaster: s.text(p.PayMasterStatus), State: stateWord(p.State), StateClass: string(p.State),
		Told: toldText, ToldClass: toldClass,
	}, nil
}

// text is a value from outside as shown: control characters visible,
// secrets cut, "—" when empty.
func (s *Server) text(v string) string {
	if v == "" {
		return "—"
	}
	return s.scrub(plugin.Printable(v))
}

// formOf is the filter form filled with q.
func formOf(q url.Values) filterForm {
	ff := filterForm{From: q.Get("from"), To: q.Get("to"), Q: q.Get("q"), CheckID: q.Get("check_id"), Limit: q.Get("limit")}
	ff.States = []option{{Value: "", Label: "Все"}}
	for _, st := range plugin.States {
		ff.States = append(ff.States, option{Value: string(st), Label: stateWord(st), Selected: q.Get("state") == string(st)})
	}
	ff.Modes = []option{{Value: "", Label: "Все"}}
	for _, m := range []plugin.Mode{plugin.ModePrint, plugin.ModeScreen, plugin.ModeSticker} {
		val := strconv.Itoa(int(m))
		ff.Modes = append(ff.Modes, option{Value: val, Label: modeWord(m), Selected: q.Get("mode") == val})
	}
	ff.Mixed = []option{{Value: "", Label: "Все"}, {Value: "true", Label: "Смешанные", Selected: q.Get("mixed") == "true"},
		{Value: "false", Label: "Только СБП", Selected: q.Get("mixed") == "false"}}
	return ff
}

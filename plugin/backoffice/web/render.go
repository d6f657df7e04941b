package web

import (
	"bytes"
	"html/template"
	"io/fs"
	"net/http"
	"sync"

	"github.com/sbpd/sbpd/plugin"
)

// pages are the templates, each with the layout.
var pages = []string{"login", "message", "list", "payment", "confirm", "reconcile", "stuck", "kiosk"}

// parseTemplates parses every page of fsys with the layout
// (TestParseTemplates parses the embedded ones).
func parseTemplates(fsys fs.FS) (map[string]*template.Template, error) {
	out := map[string]*template.Template{}
	for _, name := range pages {
		t, err := template.ParseFS(fsys, "assets/layout.html", "assets/"+name+".html")
		if err != nil {
			return nil, err
		}
		out[name] = t
	}
	return out, nil
}

// templates are parsed once, for the first page shown, not when the
// daemon starts: most kiosks never open the back office, and the parse's
// garbage made idle memory larger (BENCHMARKS.md).
var templates = sync.OnceValues(func() (map[string]*template.Template, error) { return parseTemplates(assets) })

// page is what every page's layout needs, and the page's own view.
type page struct {
	Title  string
	Nav    string // the menu entry in bold
	CSRF   string
	Name   string // the person logged in
	Logout bool   // a login to end (with a token)
	// ReadOnly: no api.token, no login, so no acts (the pages say why).
	ReadOnly bool
	Flash    *flash
	View     any
}

// page makes the layout's part for r; se is nil before login.
func (s *Server) page(r *http.Request, se *session, title string, f *flash) *page {
	p := &page{Title: title, Flash: f, ReadOnly: s.readOnly()}
	if se != nil {
		p.CSRF, p.Name, p.Logout = se.csrf, se.name, s.o.Token != ""
		if p.Flash == nil {
			p.Flash = s.sessions.takeFlash(se)
		}
	}
	if p.Flash != nil {
		p.Flash.Title, p.Flash.Text, p.Flash.Detail = s.scrub(p.Flash.Title), s.scrub(p.Flash.Text), s.scrub(p.Flash.Detail)
	}
	return p
}

// render writes the page name with status; the page is built in memory
// first, so a template error is a 500, never half a page.
func (s *Server) render(w http.ResponseWriter, status int, name string, p *page) {
	var buf bytes.Buffer
	set, err := templates()
	if err == nil {
		err = set[name].ExecuteTemplate(&buf, "layout", p)
	}
	if err != nil {
		http.Error(w, "template: "+err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	w.Write(buf.Bytes())
}

// fail shows an error page: a refusal with its title, a failure as such.
func (s *Server) fail(w http.ResponseWriter, r *http.Request, se *session, err error) {
	status, f := failure(err)
	s.render(w, status, "message", s.page(r, se, f.Title, f))
}

func (s *Server) notFound(w http.ResponseWriter, r *http.Request, se *session) {
	s.render(w, http.StatusNotFound, "message", s.page(r, se, "Нет такой страницы",
		&flash{Title: "Нет такой страницы", Text: "Адрес " + plugin.Clip(r.URL.Path) + " не существует. Откройте журнал платежей.", Code: plugin.ENotFound}))
}

package web

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/sbpd/sbpd/plugin"
	"github.com/sbpd/sbpd/plugin/backoffice"
)

// CookieName is the session cookie's name.
const CookieName = "sbpd_backoffice"

// session is one browser's login.
type session struct {
	id      string
	csrf    string
	name    string // the person, as given at login (may be empty)
	expires time.Time
	flash   *flash // a message for the next page, after a redirect
}

// flash is the outcome of an act, shown once on the page it redirects to.
type flash struct {
	OK    bool
	Title string
	Text  string
	// Detail is the service's own sentence beneath the Russian one: what
	// the CLI prints, for the technician who compares or reports it.
	Detail string
	Code   string
}

// sessions are the logins in memory, with their expiry on the clock, and
// the failed logins of each address.
type sessions struct {
	mu     sync.Mutex
	clock  plugin.Clock
	ttl    time.Duration
	byID   map[string]*session
	failed *plugin.Failures // by the client's address (plugin.SourceOf)
}

// Failed logins: after MaxFailedLogins from one address (every loopback
// address being one) within FailedLoginWindow, or MaxFailedLoginsTotal
// from all addresses together, logins are refused until the window ends.
// At most maxFailedAddrs addresses are remembered; more share one count.
const (
	MaxFailedLogins      = 10
	MaxFailedLoginsTotal = 100
	FailedLoginWindow    = 10 * time.Minute
	maxFailedAddrs       = 1024
)

func newSessions(clock plugin.Clock, ttl time.Duration) *sessions {
	return &sessions{clock: clock, ttl: ttl, byID: map[string]*session{}, failed: &plugin.Failures{
		PerSource: MaxFailedLogins, Total: MaxFailedLoginsTotal, MaxSources: maxFailedAddrs, Window: FailedLoginWindow, Clock: clock}}
}

func randomHex() string {
	b := make([]byte, 32)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// create starts a session for name; the oldest goes when MaxSessions are
// kept.
func (ss *sessions) create(name string) *session {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	now := ss.clock.Now()
	for id, s := range ss.byID {
		if !now.Before(s.expires) {
			delete(ss.byID, id)
		}
	}
	for len(ss.byID) >= MaxSessions {
		var oldest *session
		for _, s := range ss.byID {
			if oldest == nil || s.expires.Before(oldest.expires) {
				oldest = s
			}
		}
		delete(ss.byID, oldest.id)
	}
	s := &session{id: randomHex(), csrf: randomHex(), name: name, expires: now.Add(ss.ttl)}
	ss.byID[s.id] = s
	return s
}

// get returns the live session of r's cookie, or nil.
func (ss *sessions) get(r *http.Request) *session {
	c, err := r.Cookie(CookieName)
	if err != nil || len(c.Value) != 64 {
		return nil
	}
	ss.mu.Lock()
	defer ss.mu.Unlock()
	s := ss.byID[c.Value]
	if s == nil {
		return nil
	}
	if !ss.clock.Now().Before(s.expires) {
		delete(ss.byID, s.id)
		return nil
	}
	return s
}

func (ss *sessions) drop(s *session) {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	delete(ss.byID, s.id)
}

// takeFlash returns and forgets the session's message.
func (ss *sessions) takeFlash(s *session) *flash {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	f := s.flash
	s.flash = nil
	return f
}

func (ss *sessions) setFlash(s *session, f *flash) {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	s.flash = f
}

// setCookie gives the browser the session: HttpOnly, SameSite=Strict,
// expiring with it, for the back office's paths only.
func (s *Server) setCookie(w http.ResponseWriter, se *session) {
	http.SetCookie(w, &http.Cookie{Name: CookieName, Value: se.id, Path: Prefix, MaxAge: int(s.o.SessionTTL / time.Second),
		HttpOnly: true, SameSite: http.SameSiteStrictMode})
}

func (s *Server) clearCookie(w http.ResponseWriter) {
	http.SetCookie(w, &http.Cookie{Name: CookieName, Value: "", Path: Prefix, MaxAge: -1, HttpOnly: true, SameSite: http.SameSiteStrictMode})
}

// tokenOK compares a token given at the login form with the configured
// one in constant time (of their SHA-256 sums, so the length is not told).
func (s *Server) tokenOK(given string) bool {
	a, b := sha256.Sum256([]byte(given)), sha256.Sum256([]byte(s.o.Token))
	return subtle.ConstantTimeCompare(a[:], b[:]) == 1
}

// authed runs next with the request's session. Without a token every
// visitor gets one (the kiosk's own browser: the daemon listens on
// loopback only); with a token, one without a session gets the login form,
// and nothing else.
func (s *Server) authed(next func(http.ResponseWriter, *http.Request, *session)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		se := s.sessions.get(r)
		if se == nil && s.o.Token == "" {
			se = s.openSession(w, r)
		}
		if se == nil {
			w.Header().Set("Connection", "close")
			s.render(w, http.StatusUnauthorized, "login", s.page(r, nil, "Вход", nil))
			return
		}
		if r.Method == http.MethodPost && s.tooLarge(w, r, se) {
			return
		}
		if r.Method == http.MethodPost && !s.csrfOK(r, se) {
			s.render(w, http.StatusForbidden, "message", s.page(r, se, "Отказано", &flash{Title: "Форма устарела",
				Text: "Форма отправлена не с этой страницы или сессия сменилась: откройте страницу заново и повторите.", Code: "csrf"}))
			return
		}
		next(w, r, se)
	}
}

// tooLarge answers 413 with a page when the posted form is over maxForm
// bytes (its CSRF token would otherwise read as missing).
func (s *Server) tooLarge(w http.ResponseWriter, r *http.Request, se *session) bool {
	var big *http.MaxBytesError
	if err := r.ParseForm(); !errors.As(err, &big) {
		return false
	}
	w.Header().Set("Connection", "close")
	s.render(w, http.StatusRequestEntityTooLarge, "message", s.page(r, se, "Слишком большая форма", &flash{Title: "Слишком большая форма",
		Text: fmt.Sprintf("Форма больше %d КБ: сократите текст (причина — не больше %d символов) и отправьте снова.", maxForm>>10, backoffice.MaxReason),
		Code: "form_too_large"}))
	return true
}

// openSession is the session of a visitor without one when no token is
// set. Only the kiosk's own browser opening a page (a GET; another site's
// navigation never gets here, ServeHTTP refuses it) gets a kept session
// and its cookie; any other request (OPTIONS, a POST without a cookie) is
// served with a passing session, never kept, so it cannot push the real
// sessions out of the MaxSessions kept. A form of its page is refused as
// stale; the page itself shows.
func (s *Server) openSession(w http.ResponseWriter, r *http.Request) *session {
	if r.Method == http.MethodGet || r.Method == http.MethodHead {
		se := s.sessions.create("")
		s.setCookie(w, se)
		return se
	}
	return &session{id: randomHex(), csrf: randomHex()}
}

// csrfOK checks the form's csrf field against the session's.
func (s *Server) csrfOK(r *http.Request, se *session) bool {
	got := r.PostFormValue("csrf")
	return len(got) == len(se.csrf) && subtle.ConstantTimeCompare([]byte(got), []byte(se.csrf)) == 1
}

// login takes the token of the login form and starts a session.
func (s *Server) login(w http.ResponseWriter, r *http.Request) {
	if s.o.Token == "" {
		http.Redirect(w, r, Prefix, http.StatusSeeOther)
		return
	}
	if s.tooLarge(w, r, nil) {
		return
	}
	addr := plugin.SourceOf(r.RemoteAddr)
	if !s.tokenOK(r.PostFormValue("token")) {
		// The right token always logs in: wrong ones sent by some process
		// must not lock the technician out. Wrong ones are limited.
		if wait, blocked := s.sessions.failed.Blocked(addr); blocked {
			w.Header().Set("Connection", "close")
			w.Header().Set("Retry-After", strconv.Itoa(int((wait+time.Second-1)/time.Second)))
			s.render(w, http.StatusTooManyRequests, "login", s.page(r, nil, "Вход", &flash{Title: "Слишком много неверных попыток",
				Text: fmt.Sprintf("Неверный токен введён слишком много раз (%d с одного адреса или %d со всех за %s): неверные попытки не проверяются ещё %s.",
					MaxFailedLogins, MaxFailedLoginsTotal, FailedLoginWindow, wait.Round(time.Second)), Code: "too_many_logins"}))
			return
		}
		s.sessions.failed.Fail(addr)
		w.Header().Set("Connection", "close")
		s.render(w, http.StatusUnauthorized, "login", s.page(r, nil, "Вход", &flash{Title: "Неверный токен",
			Text: "Введите api.token, заданный для этого sbpd.", Code: plugin.EUnauthorized}))
		return
	}
	name := bounded(r.PostFormValue("name"), maxName)
	if s.scrub(name) != name {
		s.render(w, http.StatusUnprocessableEntity, "login", s.page(r, nil, "Вход", &flash{Title: "Имя содержит секрет",
			Text: "В поле «Имя» введён токен или другой ключ из настроек sbpd. Впишите своё имя: оно записывается в журнал рядом с каждым действием.",
			Code: backoffice.RSecretName}))
		return
	}
	if old := s.sessions.get(r); old != nil {
		s.sessions.drop(old) // a new id at every login
	}
	se := s.sessions.create(name)
	s.setCookie(w, se)
	http.Redirect(w, r, Prefix, http.StatusSeeOther)
}

func (s *Server) logout(w http.ResponseWriter, r *http.Request, se *session) {
	s.sessions.drop(se)
	s.clearCookie(w)
	http.Redirect(w, r, Prefix, http.StatusSeeOther)
}

// bounded is s trimmed, one line, at most n characters.
func bounded(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	if r := []rune(s); len(r) > n {
		s = string(r[:n])
	}
	return s
}

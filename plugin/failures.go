package plugin

import (
	"net/netip"
	"sync"
	"time"
)

// Failures bounds failed attempts at a secret (the back office's login,
// the till API's bearer token) within a window: PerSource from one source
// and Total from all of them together. A source is an address; every
// loopback address is one source, and an IPv6 address counts by its /64,
// so a range of addresses on one machine does not multiply the attempts.
// At most MaxSources sources are remembered; past that, new sources share
// one bucket (it fails closed: they are still counted). While blocked,
// a wrong attempt of the source, or of everyone past Total, is refused
// (429) until its window ends. Callers check the right secret first, so a
// flood of wrong ones never locks a rightful client out.
type Failures struct {
	PerSource, Total, MaxSources int
	Window                       time.Duration
	Clock                        Clock

	mu  sync.Mutex
	by  map[string]*failCount
	all failCount
}

// failCount is the failures since the first of them in the window.
type failCount struct {
	n     int
	since time.Time
}

// overflow is the shared bucket of sources past MaxSources.
const overflow = "*"

// SourceOf is the source an address (with or without its port) counts
// as: "loopback" for every loopback address, the /64 of an IPv6 one.
func SourceOf(addr string) string {
	ap, err := netip.ParseAddrPort(addr)
	a := ap.Addr()
	if err != nil {
		if a, err = netip.ParseAddr(addr); err != nil {
			return addr
		}
	}
	a = a.Unmap()
	switch {
	case a.IsLoopback():
		return "loopback"
	case a.Is6():
		p, _ := a.Prefix(64)
		return p.String()
	}
	return a.String()
}

// live reports whether c still counts at now, restarting it when not.
func (f *Failures) live(c *failCount, now time.Time) bool {
	if c.n > 0 && now.Sub(c.since) < f.Window {
		return true
	}
	c.n = 0
	return false
}

// Blocked reports whether source may not try now, and how long until it
// may (the end of the window that blocks it).
func (f *Failures) Blocked(source string) (time.Duration, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	now := f.Clock.Now()
	if f.live(&f.all, now) && f.all.n >= f.Total {
		return f.all.since.Add(f.Window).Sub(now), true
	}
	c := f.by[source]
	if c == nil {
		c = f.by[overflow]
	}
	if c != nil && f.live(c, now) && c.n >= f.PerSource {
		return c.since.Add(f.Window).Sub(now), true
	}
	return 0, false
}

// Fail counts a failed attempt of source.
func (f *Failures) Fail(source string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	now := f.Clock.Now()
	if f.by == nil {
		f.by = map[string]*failCount{}
	}
	count := func(c *failCount) {
		if !f.live(c, now) {
			c.since = now
		}
		c.n++
	}
	count(&f.all)
	c := f.by[source]
	if c == nil && len(f.by) >= f.MaxSources {
		for s, old := range f.by {
			if !f.live(old, now) {
				delete(f.by, s)
			}
		}
	}
	if c == nil && len(f.by) >= f.MaxSources {
		source, c = overflow, f.by[overflow]
	}
	if c == nil {
		c = &failCount{}
		f.by[source] = c
	}
	count(c)
}

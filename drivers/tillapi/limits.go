package tillapi

import (
	"container/list"
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"
)

// Limits bound what one peer, or all of them, can hold of the daemon: the
// till must be answered even while another machine on the store network
// opens thousands of connections and leaves them idle, or trickles a body
// a byte at a time. The defaults come from the measurement in
// BENCHMARKS.md (about 20 KB of memory and one file descriptor an idle
// connection). A zero field takes its default.
type Limits struct {
	// Conns is the most connections open at once; PerPeer the most from
	// one address of another machine, and LoopbackReserve how many of
	// Conns only this kiosk (127.0.0.1, ::1 or the address the connection
	// reached: the till, the kiosk's browser) may use, so other machines
	// together can hold at most Conns-LoopbackReserve.
	Conns, PerPeer, LoopbackReserve int
	// Streams is the most event streams open at once, StreamsPerPeer the
	// most from one address (loopback included; an IPv6 address's /64 as
	// one). The till API's streams and the kiosk page's (Server.Streams)
	// each have these caps, counted apart.
	Streams, StreamsPerPeer int
	// Header is how long a connection may take to send a request's headers,
	// Body to send its body, Idle to send the next request on a kept-alive
	// connection. Write is how long writing a response may take; on an
	// event stream each event and keep-alive comment gets Write anew.
	Header, Body, Idle, Write time.Duration
	// HeaderBytes bounds a request's headers.
	HeaderBytes int
}

// DefaultLimits are the limits of a zero Limits field.
var DefaultLimits = Limits{
	Conns: 1024, PerPeer: 32, LoopbackReserve: 128,
	Streams: 64, StreamsPerPeer: 8,
	Header: 5 * time.Second, Body: 10 * time.Second, Idle: 60 * time.Second, Write: 30 * time.Second,
	HeaderBytes: 32 << 10,
}

// withDefaults fills the zero fields of l from DefaultLimits.
func (l Limits) withDefaults() Limits {
	d := DefaultLimits
	set := func(v *int, def int) {
		if *v <= 0 {
			*v = def
		}
	}
	setD := func(v *time.Duration, def time.Duration) {
		if *v <= 0 {
			*v = def
		}
	}
	set(&l.Conns, d.Conns)
	set(&l.PerPeer, d.PerPeer)
	set(&l.LoopbackReserve, d.LoopbackReserve)
	set(&l.Streams, d.Streams)
	set(&l.StreamsPerPeer, d.StreamsPerPeer)
	set(&l.HeaderBytes, d.HeaderBytes)
	setD(&l.Header, d.Header)
	setD(&l.Body, d.Body)
	setD(&l.Idle, d.Idle)
	setD(&l.Write, d.Write)
	if l.LoopbackReserve >= l.Conns {
		l.LoopbackReserve = l.Conns / 2
	}
	return l
}

// HTTPServer returns the http.Server to serve Handler with: header and idle
// timeouts and the header size limit of s.Limits. Body and write deadlines
// are set per request by the handler, since http.Server's ReadTimeout would
// cancel a slow answer's context and WriteTimeout would cut event streams.
// Serve it on Listener's listener so the connection caps hold.
func (s *Server) HTTPServer() *http.Server {
	l := s.Limits.withDefaults()
	return &http.Server{
		Handler:           s.Handler(),
		ReadHeaderTimeout: l.Header,
		IdleTimeout:       l.Idle,
		MaxHeaderBytes:    l.HeaderBytes,
		ConnContext:       connContext,
	}
}

// Listener wraps ln so that it holds at most s.Limits' connections. A
// connection over its address's cap is closed as soon as it is accepted,
// before it costs more than its file descriptor for a moment. When the
// pool of all other machines, or the whole, is full, the oldest connection
// of another machine that has not shown the api.token is closed to make
// room, and only when there is none is the new one refused: a till that
// authenticates keeps its place however many others connect. Refusals are
// logged at most once a second, with the count of those not logged.
func (s *Server) Listener(ln net.Listener) net.Listener {
	l := s.Limits.withDefaults()
	log := s.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &limitListener{Listener: ln, lim: l, log: log, peers: map[netip.Addr]int{}, conns: list.New(), now: time.Now}
}

// connKey carries the *limitedConn of a request in its context.
type connKey struct{}

// connContext puts the listener's connection into the request's context,
// for trust.
func connContext(ctx context.Context, c net.Conn) context.Context {
	if lc, ok := c.(*limitedConn); ok {
		return context.WithValue(ctx, connKey{}, lc)
	}
	return ctx
}

// trust marks the connection of r as the till's: it sent the right token.
func trust(r *http.Request) {
	if lc, ok := r.Context().Value(connKey{}).(*limitedConn); ok {
		lc.trusted.Store(true)
	}
}

// limitListener is Server.Listener's listener.
type limitListener struct {
	net.Listener
	lim Limits
	log *slog.Logger
	now func() time.Time

	mu         sync.Mutex
	total      int                // every open connection
	remote     int                // those from other machines
	peers      map[netip.Addr]int // by peerKey
	conns      *list.List         // of *limitedConn, oldest first
	lastLog    time.Time
	suppressed int
}

func (l *limitListener) Accept() (net.Conn, error) {
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			return nil, err
		}
		ip := peerOf(c.RemoteAddr().String())
		lc := &limitedConn{Conn: c, key: peerKey(ip), remote: !thisMachine(ip, peerOf(c.LocalAddr().String())), l: l}
		for tries := 0; ; tries++ {
			why, victim := l.take(lc)
			if why == "" {
				return lc, nil
			}
			if victim == nil || tries == 3 {
				l.refused(ip, why)
				c.Close()
				break
			}
			victim.Close() // frees a place; take again
		}
	}
}

// thisMachine reports whether a peer is this kiosk itself: 127.0.0.1 or
// ::1 (where a local till or browser connects from), or the very address
// the connection reached (the kiosk's browser at sbpd's LAN address).
// Other loopback addresses count as other machines, which is what lets a
// test play one from 127.0.0.2.
func thisMachine(peer, local netip.Addr) bool {
	return peer == netip.AddrFrom4([4]byte{127, 0, 0, 1}) || peer == netip.IPv6Loopback() ||
		(peer.IsValid() && !peer.IsUnspecified() && peer == local)
}

// peerKey is what the per-address cap counts: an IPv4 address, or an IPv6
// address's /64, which one machine can fill with addresses of its own.
func peerKey(ip netip.Addr) netip.Addr {
	if ip.Is6() && !ip.IsLoopback() {
		return netip.PrefixFrom(ip, 64).Masked().Addr()
	}
	return ip
}

// take counts c in, or says which cap it is over and, for a pool cap, which
// connection could be closed to make room.
func (l *limitListener) take(c *limitedConn) (why string, victim *limitedConn) {
	l.mu.Lock()
	defer l.mu.Unlock()
	switch {
	case c.remote && l.peers[c.key] >= l.lim.PerPeer:
		return "the cap for one address", nil
	case l.total >= l.lim.Conns:
		return "the daemon's connection cap", l.oldestUntrusted()
	case c.remote && l.remote >= l.lim.Conns-l.lim.LoopbackReserve:
		return "the cap for all other machines (the rest is kept for this kiosk's till)", l.oldestUntrusted()
	}
	l.total++
	if c.remote {
		l.remote++
	}
	l.peers[c.key]++
	c.elem = l.conns.PushBack(c)
	return "", nil
}

// oldestUntrusted is the oldest connection of another machine that has
// not shown the token, or nil.
func (l *limitListener) oldestUntrusted() *limitedConn {
	for e := l.conns.Front(); e != nil; e = e.Next() {
		if c := e.Value.(*limitedConn); c.remote && !c.trusted.Load() {
			return c
		}
	}
	return nil
}

// give forgets a closed connection.
func (l *limitListener) give(c *limitedConn) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.total--
	if c.remote {
		l.remote--
	}
	if l.peers[c.key]--; l.peers[c.key] <= 0 {
		delete(l.peers, c.key)
	}
	l.conns.Remove(c.elem)
}

// refused logs a refused connection, at most one line a second.
func (l *limitListener) refused(ip netip.Addr, why string) {
	l.mu.Lock()
	now := l.now()
	if now.Sub(l.lastLog) < time.Second {
		l.suppressed++
		l.mu.Unlock()
		return
	}
	suppressed, open, fromPeer := l.suppressed, l.total, l.peers[peerKey(ip)]
	l.lastLog, l.suppressed = now, 0
	l.mu.Unlock()
	l.log.Warn("till api: refusing connections", "peer", ip.String(), "reason", why,
		"open_from_peer", fromPeer, "open", open, "not_logged_since_last", suppressed,
		"caps", map[string]int{"conns": l.lim.Conns, "per_peer": l.lim.PerPeer, "loopback_reserve": l.lim.LoopbackReserve})
}

// limitedConn is a counted connection; it gives its place back once, when
// closed.
type limitedConn struct {
	net.Conn
	key     netip.Addr // peerKey of its peer
	remote  bool       // from another machine
	trusted atomic.Bool
	elem    *list.Element
	l       *limitListener
	once    sync.Once
}

func (c *limitedConn) Close() error {
	err := c.Conn.Close()
	c.once.Do(func() { c.l.give(c) })
	return err
}

// CloseWrite lets net/http half-close before it closes a connection with
// an unread body, so the client reads the answer rather than a reset.
func (c *limitedConn) CloseWrite() error {
	if cw, ok := c.Conn.(interface{ CloseWrite() error }); ok {
		return cw.CloseWrite()
	}
	return nil
}

// peerOf is the address of a "host:port" remote address, unmapped; the
// zero Addr when it cannot be parsed (all such peers share one count).
func peerOf(remote string) netip.Addr {
	ap, err := netip.ParseAddrPort(remote)
	if err != nil {
		return netip.Addr{}
	}
	return ap.Addr().Unmap()
}

// streamSlots counts open event streams, in total and by peer address.
type streamSlots struct {
	total, perPeer int

	mu    sync.Mutex
	open  int
	peers map[netip.Addr]int
}

// newStreamSlots is an empty count with the stream caps of l.
func newStreamSlots(l Limits) *streamSlots {
	return &streamSlots{total: l.Streams, perPeer: l.StreamsPerPeer, peers: map[netip.Addr]int{}}
}

// take reserves a stream for ip, or reports false when a cap is reached.
func (s *streamSlots) take(ip netip.Addr) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.open >= s.total || s.peers[ip] >= s.perPeer {
		return false
	}
	s.open++
	s.peers[ip]++
	return true
}

// give releases a stream of ip.
func (s *streamSlots) give(ip netip.Addr) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.open--
	if s.peers[ip]--; s.peers[ip] <= 0 {
		delete(s.peers, ip)
	}
}

// bodyDeadline gives the request Limits.Body to deliver its body, and lifts
// the deadline once the body has been read to its end or closed: left in
// place, it would end the connection under a slow answer.
func (h *handler) bodyDeadline(w http.ResponseWriter, body io.ReadCloser) io.ReadCloser {
	rc := http.NewResponseController(w)
	if rc.SetReadDeadline(time.Now().Add(h.limits.Body)) != nil {
		return body // not a real connection (a test recorder)
	}
	return &deadlineBody{ReadCloser: body, lift: func() { _ = rc.SetReadDeadline(time.Time{}) }}
}

// deadlineBody lifts the read deadline at the end of the body.
type deadlineBody struct {
	io.ReadCloser
	once sync.Once
	lift func()
}

func (b *deadlineBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	if err == io.EOF {
		b.once.Do(b.lift)
	}
	return n, err
}

func (b *deadlineBody) Close() error {
	b.once.Do(b.lift)
	return b.ReadCloser.Close()
}

package tillapi

import (
	"context"
	"errors"
	"net"
	"net/http"
	"time"
)

// shutdownWait is how long Close lets requests in flight finish before it
// closes their connections.
const shutdownWait = 2 * time.Second

// errClosing is why Close cancels the requests' context.
var errClosing = errors.New("tillapi: closing")

// Serving is a Server answering on a listener, from Start until Close.
type Serving struct {
	ln            net.Listener
	srv           *http.Server
	cancelStreams context.CancelCauseFunc
	done          chan error
}

// Start serves s on ln, through s.Listener and s.HTTPServer, in the
// background. Its requests run on a context of their own that Close
// cancels, so that open event streams end at once.
func (s *Server) Start(ln net.Listener) *Serving {
	base, cancel := context.WithCancelCause(context.Background())
	r := &Serving{ln: ln, srv: s.HTTPServer(), cancelStreams: cancel, done: make(chan error, 1)}
	r.srv.BaseContext = func(net.Listener) context.Context { return base }
	go func() { r.done <- r.srv.Serve(s.Listener(ln)) }()
	return r
}

// Addr is the address it listens on.
func (r *Serving) Addr() net.Addr { return r.ln.Addr() }

// Wait blocks until ctx is done (nil) or serving stops: nil after Close,
// else why it stopped.
func (r *Serving) Wait(ctx context.Context) error {
	select {
	case <-ctx.Done():
		return nil
	case err := <-r.done:
		if errors.Is(err, http.ErrServerClosed) {
			return nil
		}
		return err
	}
}

// Close ends the event streams, lets other requests finish for up to
// shutdownWait and closes every connection.
func (r *Serving) Close() error {
	r.cancelStreams(errClosing)
	ctx, cancel := context.WithTimeout(context.Background(), shutdownWait)
	defer cancel()
	r.srv.Shutdown(ctx)
	return r.srv.Close()
}

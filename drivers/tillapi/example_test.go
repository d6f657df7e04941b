package tillapi_test

import (
	"context"
	"log"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/sbpd/sbpd/drivers/tillapi"
)

// Example wires the till API the way cmd/sbpd does: the engine, the journal
// search and the health report come from elsewhere; stopping cancels the base
// context first so open event streams end, then shuts the server down.
func Example() {
	var (
		engine  tillapi.Payments // the plugin flow engine
		journal tillapi.Searcher // drivers/sqlite.Journal
		health  tillapi.HealthFunc
		kiosk   http.Handler // display.Screen's page
	)
	api := &tillapi.Server{
		Payments: engine,
		Search:   journal,
		Health:   health,
		Token:    "", // api.token; required beyond loopback
		Logger:   slog.Default(),
		Extra:    map[string]http.Handler{"GET /": kiosk},
	}
	ln, err := tillapi.Listen("127.0.0.1:8765", api.Token)
	if err != nil {
		log.Fatal(err)
	}
	base, stopStreams := context.WithCancel(context.Background())
	srv := &http.Server{
		Handler:           api.Handler(),
		ReadHeaderTimeout: 10 * time.Second,
		BaseContext:       func(net.Listener) context.Context { return base },
	}
	go srv.Serve(ln)

	// ... on shutdown:
	stopStreams()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	srv.Shutdown(ctx)
}

package tillapi_test

import (
	"log"
	"log/slog"
	"net/http"

	"github.com/sbpd/sbpd/drivers/tillapi"
)

// Example wires the till API the way cmd/sbpd does: the engine, the journal
// search and the health report come from elsewhere; Close ends open event
// streams first, then shuts the server down.
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
	serving := api.Start(ln) // the limits of api.Limits, in the background

	// ... on shutdown: open event streams end at once, other requests may
	// finish for a moment.
	serving.Close()
}

package tillapi

import (
	_ "embed"
	"net/http"
	"slices"
)

// openapiJSON is the OpenAPI 3.0 description of the till API. The
// conformance tests (openapi_test.go here and in cmd/sbpd) run the real
// handlers against it, so a change to a route, a status or a field of the
// API must change this document too.
//
//go:embed openapi.json
var openapiJSON []byte

// OpenAPI returns the OpenAPI 3.0 document of the till API, as served at
// GET /api/v1/openapi.json: integrators generate their clients from it.
// The slice is a copy.
func OpenAPI() []byte { return slices.Clone(openapiJSON) }

// openapi handles GET /api/v1/openapi.json.
func (h *handler) openapi(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-cache")
	w.Write(openapiJSON)
}

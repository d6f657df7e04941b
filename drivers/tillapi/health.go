package tillapi

import (
	"context"
	"net/http"
)

// healthz handles GET /healthz: {"status":"ok"} plus the component reports
// of Health, 200 when all is well, {"status":"degraded",...} and 503 when
// not.
func (h *handler) healthz(w http.ResponseWriter, r *http.Request) {
	report, ok := map[string]any(nil), true
	if h.health != nil {
		ctx, cancel := context.WithTimeout(r.Context(), healthTimeout)
		report, ok = h.health(ctx)
		cancel()
	}
	body := make(map[string]any, len(report)+1)
	for k, v := range report {
		body[k] = v
	}
	body["status"] = "ok"
	status := http.StatusOK
	if !ok {
		body["status"] = "degraded"
		status = http.StatusServiceUnavailable
	}
	writeJSON(w, status, body)
}

package systemd

import (
	"context"
	"fmt"
	"io"
	"net/http"
)

// maxProbeBody bounds what Answers reads of an answer.
const maxProbeBody = 64 << 10

// Answers is a watchdog check that url answers GET with 200 OK: the
// daemon's own HTTP server still serves. It goes to url directly, never
// through a proxy, on a new connection each time.
func Answers(url string) func(ctx context.Context) error {
	client := &http.Client{Transport: &http.Transport{
		Proxy:             nil, // the address is the daemon's own
		DisableKeepAlives: true,
	}}
	return func(ctx context.Context) error {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		if err != nil {
			return err
		}
		resp, err := client.Do(req)
		if err != nil {
			return err
		}
		io.Copy(io.Discard, io.LimitReader(resp.Body, maxProbeBody))
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return fmt.Errorf("GET %s: HTTP %d", req.URL.Path, resp.StatusCode)
		}
		return nil
	}
}

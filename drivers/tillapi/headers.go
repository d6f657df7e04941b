package tillapi

import (
	"net/http"
	"strings"
)

// DefaultCSP is the Content-Security-Policy of an HTML page that sets none:
// its own scripts, styles, images and connections only, no inline code, no
// plugins, no forms to elsewhere, and no framing by any page.
const DefaultCSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
	"connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"

// secureHeaders adds the headers every answer carries unless its handler
// set them: no MIME sniffing, no Referer to other sites, and for an HTML
// page DefaultCSP and no framing.
func secureHeaders(h http.Header) {
	setDefault(h, "X-Content-Type-Options", "nosniff")
	setDefault(h, "Referrer-Policy", "no-referrer")
	if strings.HasPrefix(h.Get("Content-Type"), "text/html") {
		setDefault(h, "Content-Security-Policy", DefaultCSP)
		setDefault(h, "X-Frame-Options", "DENY")
	}
}

func setDefault(h http.Header, key, value string) {
	if h.Get(key) == "" {
		h.Set(key, value)
	}
}

package notify

import (
	"strings"
	"testing"
)

// TestRedactHidesCredentials: a notify.url with a user and password is
// shown in errors and reasons without either.
func TestRedactHidesCredentials(t *testing.T) {
	got := redact("https://acct:p4ss@acc.example/hook?x=1")
	if strings.Contains(got, "acct") || strings.Contains(got, "p4ss") || got != "https://***@acc.example/hook?x=1" {
		t.Errorf("redact = %q", got)
	}
	if got := redact("https://acc.example/hook"); got != "https://acc.example/hook" {
		t.Errorf("redact without credentials = %q", got)
	}
}

package plugin_test

import (
	"strings"
	"testing"

	"github.com/sbpd/sbpd/plugin"
)

// The check id becomes PayMaster's order number (<till>-<check>-<n>), so it
// is limited to what makes a safe one: ASCII letters, digits and - _ . /,
// 1 to 64 characters.
func TestStartRequest_CheckID(t *testing.T) {
	good := []string{"A-1_2.3/4", "000153", "1", "z", strings.Repeat("7", 64), "K07/2024.06-01_153",
		"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./"[:64]}
	for _, id := range good {
		if err := (plugin.StartRequest{CheckID: id, Amount: 100}).Validate(); err != nil {
			t.Errorf("check_id %q: %v, want it accepted", id, err)
		}
	}
	bad := []string{"", "   ", "Чек15", "чек 1", "15 ", " 15", "1 5", "№15", `15"`, "15'", strings.Repeat("7", 65),
		"0001\n53", "15\t", "15\x00", "a+b", "a:b", "a\\b", "15%", "a,b", "a;b", "ＡＢ", "é", "15\u00a0", "\xff", "a?b", "a#b", "<b>"}
	for _, id := range bad {
		err := (plugin.StartRequest{CheckID: id, Amount: 100}).Validate()
		if plugin.ErrorCode(err) != plugin.EInvalid || plugin.ErrorReason(err) != "invalid_check_id" {
			t.Errorf("check_id %q: %v, want invalid_check_id", id, err)
			continue
		}
		if msg := plugin.ErrorMessage(err); !strings.Contains(msg, plugin.CheckIDRule) {
			t.Errorf("check_id %q: message %q does not name the allowed set %q", id, msg, plugin.CheckIDRule)
		}
	}
	// The amount is checked after a good check id.
	if err := (plugin.StartRequest{CheckID: "A-1", Amount: 0}).Validate(); plugin.ErrorReason(err) != "invalid_amount" {
		t.Errorf("amount 0: %v", err)
	}
}

// The rule is the one the till API documents: ^[A-Za-z0-9._/-]{1,64}$.
func TestCheckIDRule_Text(t *testing.T) {
	for _, s := range []string{"ASCII letters", "digits", "- _ . /", "1 to 64"} {
		if !strings.Contains(plugin.CheckIDRule, s) {
			t.Errorf("CheckIDRule %q does not say %q", plugin.CheckIDRule, s)
		}
	}
}

package sandbox

import (
	"encoding/json"
	"testing"
)

func TestParseAmount(t *testing.T) {
	good := map[string]int64{"259.90": 25990, "259.9": 25990, "259": 25900, "259.9000": 25990, "0.01": 1, "007.50": 750}
	for in, want := range good {
		if got, err := parseAmount(json.RawMessage(in)); err != nil || got != want {
			t.Errorf("parseAmount(%s) = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, in := range []string{"", "null", `"1.00"`, "-1", "0", "0.00", "1.001", "1e2", "1.", ".5", "abc", "1.2.3", "9999999999999999"} {
		if got, err := parseAmount(json.RawMessage(in)); err == nil {
			t.Errorf("parseAmount(%s) = %d, want an error", in, got)
		}
	}
}

func TestFormatAmount4(t *testing.T) {
	for k, want := range map[int64]string{25990: "259.9000", 5: "0.0500", 100: "1.0000"} {
		if got := formatAmount4(k); string(got) != want {
			t.Errorf("formatAmount4(%d) = %s, want %s", k, got, want)
		}
	}
}

func TestWithCRC(t *testing.T) {
	// CRC-16/CCITT-FALSE check value.
	if got := withCRC("123456789"); got != "123456789&crc=29B1" {
		t.Errorf("withCRC = %q", got)
	}
}

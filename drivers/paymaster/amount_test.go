package paymaster

import (
	"encoding/json"
	"math"
	"strings"
	"testing"
)

func TestFormatAmount(t *testing.T) {
	tests := []struct {
		kopecks int64
		want    string
	}{
		{25990, "259.90"}, {25900, "259.00"}, {1, "0.01"}, {10, "0.10"}, {0, "0.00"},
		{100_000_000, "1000000.00"}, {-150, "-1.50"},
		{math.MaxInt64, "92233720368547758.07"}, {math.MinInt64, "-92233720368547758.08"},
	}
	for _, tt := range tests {
		if got := FormatAmount(tt.kopecks); string(got) != tt.want {
			t.Errorf("FormatAmount(%d) = %s, want %s", tt.kopecks, got, tt.want)
		}
	}
	// It goes over the wire as a JSON number, not a string.
	b, _ := json.Marshal(amountJSON{Value: FormatAmount(25990), Currency: "RUB"})
	if string(b) != `{"value":259.90,"currency":"RUB"}` {
		t.Errorf("encoded amount: %s", b)
	}
}

func TestParseAmount(t *testing.T) {
	good := []struct {
		in   string
		want int64
	}{
		{"259.9000", 25990}, {"259.90", 25990}, {"259.9", 25990}, {"259", 25900}, {"0.01", 1},
		{"0.05", 5}, {"0", 0}, {"0.00", 0}, {"1000000.00", 100_000_000}, {"259.90000000000", 25990},
		{"92233720368547758.07", math.MaxInt64},
	}
	for _, tt := range good {
		got, err := ParseAmount(json.Number(tt.in))
		if err != nil || got != tt.want {
			t.Errorf("ParseAmount(%q) = %d, %v; want %d", tt.in, got, err, tt.want)
		}
	}
	bad := []struct{ in, want string }{
		{"259.901", "fractions of a kopeck"},
		{"259.9001", "fractions of a kopeck"},
		{"0.001", "fractions of a kopeck"},
		{"-1.00", "negative"},
		{"-0", "negative"},
		{"1e3", "exponent"},
		{"2.599E2", "exponent"},
		{"", "empty"},
		{"abc", "not a decimal"},
		{"1.", "not a decimal"},
		{".5", "not a decimal"},
		{"1.2.3", "not a decimal"},
		{"+1", "not a decimal"},
		{" 1", "not a decimal"},
		{"1,50", "not a decimal"},
		{"0x10", "not a decimal"},
		{"NaN", "not a decimal"},
		{"92233720368547758.08", "out of range"},
		{"99999999999999999999", "out of range"},
	}
	for _, tt := range bad {
		got, err := ParseAmount(json.Number(tt.in))
		if err == nil {
			t.Errorf("ParseAmount(%q) = %d, want an error", tt.in, got)
			continue
		}
		if !strings.Contains(err.Error(), tt.want) || !strings.Contains(err.Error(), "paymaster: amount") {
			t.Errorf("ParseAmount(%q): %v, want it to say %q", tt.in, err, tt.want)
		}
	}
}

func TestAmount_RoundTrip(t *testing.T) {
	for _, k := range []int64{1, 9, 10, 99, 100, 101, 25990, 123456789, 100_000_000} {
		got, err := ParseAmount(FormatAmount(k))
		if err != nil || got != k {
			t.Errorf("round trip %d: %d, %v", k, got, err)
		}
	}
}

func FuzzParseAmount(f *testing.F) {
	for _, s := range []string{"259.90", "1e3", "0.001", "-1", "12345678901234567890"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		k, err := ParseAmount(json.Number(s))
		if err != nil {
			return
		}
		if k < 0 {
			t.Fatalf("ParseAmount(%q) = %d < 0", s, k)
		}
		// What parses formats back to the same value.
		if k2, err := ParseAmount(FormatAmount(k)); err != nil || k2 != k {
			t.Fatalf("ParseAmount(%q) = %d, but FormatAmount round trip gives %d, %v", s, k, k2, err)
		}
	})
}

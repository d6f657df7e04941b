package paymaster

import (
	"encoding/json"
	"fmt"
	"github.com/sbpd/sbpd/plugin"
	"strconv"
	"strings"
)

// FormatAmount renders kopecks as a JSON number with exactly two decimals,
// e.g. 25990 → 259.90, 5 → 0.05, -150 → -1.50.
func FormatAmount(kopecks int64) json.Number {
	sign := ""
	u := uint64(kopecks)
	if kopecks < 0 {
		sign = "-"
		u = uint64(-(kopecks + 1)) + 1 // safe for math.MinInt64
	}
	return json.Number(fmt.Sprintf("%s%d.%02d", sign, u/100, u%100))
}

// ParseAmount converts a PayMaster amount to kopecks exactly, without
// floating point. It accepts a plain non-negative decimal with any number of
// fractional digits as long as those after the second are zeros: "259.9000",
// "259.9", "259" and "0.05" are fine; "259.901", "-1.00", "1e3", "1.",
// ".5", "" and "abc" are rejected.
func ParseAmount(n json.Number) (int64, error) {
	s := string(n)
	if s == "" {
		return 0, fmt.Errorf("paymaster: amount is empty")
	}
	intPart, frac, hasDot := strings.Cut(s, ".")
	switch {
	case strings.HasPrefix(s, "-"):
		return 0, fmt.Errorf("paymaster: amount %q is negative", s)
	case strings.ContainsAny(s, "eE"):
		return 0, fmt.Errorf("paymaster: amount %q uses an exponent; want a plain decimal", s)
	case intPart == "" || !plugin.IsDigits(intPart):
		return 0, fmt.Errorf("paymaster: amount %q is not a decimal number", s)
	case hasDot && (frac == "" || !plugin.IsDigits(frac)):
		return 0, fmt.Errorf("paymaster: amount %q is not a decimal number", s)
	}
	if len(frac) > 2 {
		if strings.Trim(frac[2:], "0") != "" {
			return 0, fmt.Errorf("paymaster: amount %q has fractions of a kopeck", s)
		}
		frac = frac[:2]
	}
	frac += strings.Repeat("0", 2-len(frac))
	intPart = strings.TrimLeft(intPart, "0")
	k, err := strconv.ParseInt(intPart+frac, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("paymaster: amount %q is out of range", s)
	}
	return k, nil
}

package plugin

import (
	"strconv"
	"strings"
	"time"
)

// OrderNo is the PayMaster order number of the n-th payment (from 1) for
// a check at a till: TILL-CHECK-N, e.g. K07-100234-1. It is the only
// place the number is built; ParseOrderNo reads it back.
func OrderNo(tillID, checkID string, n int) string {
	return tillID + "-" + checkID + "-" + strconv.Itoa(n)
}

// ParseOrderNo splits an order number OrderNo built for checkID into the
// till id and n. ok is false when orderNo does not have that shape: no
// till id, another check, or no number after the last "-". Both the till
// id and the check id may hold "-" themselves.
func ParseOrderNo(orderNo, checkID string) (tillID string, n int, ok bool) {
	i := strings.LastIndexByte(orderNo, '-')
	if i < 0 || !IsDigits(orderNo[i+1:]) {
		return "", 0, false
	}
	n, err := strconv.Atoi(orderNo[i+1:])
	if err != nil {
		return "", 0, false
	}
	tillID, found := strings.CutSuffix(orderNo[:i], "-"+checkID)
	if !found || tillID == "" {
		return "", 0, false
	}
	return tillID, n, true
}

// OrderOfTill reports whether orderNo is one OrderNo built at tillID,
// for a remote payment whose check id is not known.
func OrderOfTill(orderNo, tillID string) bool {
	return tillID != "" && strings.HasPrefix(orderNo, tillID+"-")
}

// ProbeCheckID stands where a check id stands in the order numbers of
// `sbpd paymaster probe`'s test payments, and is the check the probe
// names in its payment's description and parameters.
const ProbeCheckID = "PROBE"

const probeCheck = "-" + ProbeCheckID + "-"

// ProbeClockWindow is how far from PayMaster's creation time the time in
// a probe's order number may be (the kiosk's clock, which may be wrong by
// hours, set in the wrong zone): a day. A till's own check named PROBE
// (K07-PROBE-1, its first attempt) carries no such time and is never
// taken for the probe's.
const ProbeClockWindow = 24 * time.Hour

// ProbeOrderNo is the order number of the test payment `sbpd paymaster
// probe` makes at a till at time at: TILL-PROBE-UNIX, e.g.
// K07-PROBE-1796540499. It is the only place the number is built;
// ParseProbeOrderNo reads it back.
func ProbeOrderNo(tillID string, at time.Time) string {
	return tillID + probeCheck + strconv.FormatInt(at.Unix(), 10)
}

// ParseProbeOrderNo splits an order number ProbeOrderNo built into the
// till id and the time (whole seconds, UTC). ok is false for any other
// shape: no till id, or after -PROBE- anything but the digits of a time
// after 1970 as ProbeOrderNo writes them.
func ParseProbeOrderNo(orderNo string) (tillID string, at time.Time, ok bool) {
	i := strings.LastIndex(orderNo, probeCheck)
	if i <= 0 {
		return "", time.Time{}, false
	}
	digits := orderNo[i+len(probeCheck):]
	if !IsDigits(digits) || digits[0] == '0' { // ProbeOrderNo writes no leading zero
		return "", time.Time{}, false
	}
	sec, err := strconv.ParseInt(digits, 10, 64)
	if err != nil || sec <= 0 {
		return "", time.Time{}, false
	}
	return orderNo[:i], time.Unix(sec, 0).UTC(), true
}

// ProbeOrderOf reports whether orderNo, of a payment PayMaster created at
// created, is a probe's test payment at tillID (at any till when tillID
// is ""): ProbeOrderNo's shape, and its time within ProbeClockWindow of
// created.
func ProbeOrderOf(orderNo, tillID string, created time.Time) bool {
	till, at, ok := ParseProbeOrderNo(orderNo)
	if !ok || (tillID != "" && till != tillID) {
		return false
	}
	d := created.Sub(at)
	return -ProbeClockWindow <= d && d <= ProbeClockWindow
}

package plugin

import (
	"strconv"
	"strings"
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

package display

import "strings"

// nbsp keeps "1 234,50 ₽" on one line: thousands and the sign are joined
// by non-breaking spaces.
const nbsp = "\u00a0"

// Amount renders kopecks the way a Russian shopper reads a price:
// 25990 -> "259,90 ₽", 123456789 -> "1 234 567,89 ₽", with non-breaking
// spaces between the thousands and before the sign. The page's screen.js
// does the same; TestAmount pins both to one table.
func Amount(kopecks int64) string {
	sign := ""
	if kopecks < 0 {
		sign, kopecks = "-", -kopecks
	}
	r := itoa(kopecks / 100)
	var b strings.Builder
	b.WriteString(sign)
	for i, c := range r {
		if i > 0 && (len(r)-i)%3 == 0 {
			b.WriteString(nbsp)
		}
		b.WriteRune(c)
	}
	k := kopecks % 100
	b.WriteString(",")
	b.WriteByte(byte('0' + k/10))
	b.WriteByte(byte('0' + k%10))
	b.WriteString(nbsp + "₽")
	return b.String()
}

func itoa(n int64) string {
	if n == 0 {
		return "0"
	}
	var buf [20]byte
	i := len(buf)
	for n > 0 {
		i--
		buf[i] = byte('0' + n%10)
		n /= 10
	}
	return string(buf[i:])
}

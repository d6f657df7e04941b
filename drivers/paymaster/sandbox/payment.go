package sandbox

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"github.com/sbpd/sbpd/plugin"
	"strings"
	"time"
)

// PayMaster statuses and result codes the sandbox sets.
const (
	StatusPending      = "Pending"
	StatusConfirmation = "Confirmation"
	StatusSettled      = "Settled"
	StatusCancelled    = "Cancelled"
	StatusRejected     = "Rejected"

	ResultSuccess             = "Success"
	ResultCancelledByUser     = "CancelledByUser"
	ResultPaymentExpired      = "PaymentExpired"
	ResultOperationNotAllowed = "OperationNotAllowed"

	bankID = "100000000111"
)

// Payment is a snapshot of a sandbox payment.
type Payment struct {
	ID             string    `json:"id"`
	OrderNo        string    `json:"order_no"`
	Description    string    `json:"description"`
	Amount         int64     `json:"amount"`                // kopecks requested
	PaidAmount     int64     `json:"paid_amount,omitempty"` // kopecks reported once Settled
	Status         string    `json:"status"`
	ResultCode     string    `json:"result_code"`
	IdempotencyKey string    `json:"idempotency_key,omitempty"`
	PaymentURL     string    `json:"payment_url,omitempty"` // the QR link, even while SetQRAfterGets hides it
	StickerID      string    `json:"sticker_id,omitempty"`
	TestMode       bool      `json:"test_mode"`
	Created        time.Time `json:"created"`
	Expires        time.Time `json:"expires,omitzero"`
	Gets           int       `json:"gets"`            // GETs of this payment handled
	CancelCalls    int       `json:"cancel_calls"`    // cancels of this payment handled
	CancelAccepted bool      `json:"cancel_accepted"` // a cancel was answered 200
}

type payment struct {
	Payment
	qrAfter    int // GETs answered Pending before the QR shows
	params     map[string]string
	expiresRaw string
}

func final(status string) bool {
	return status == StatusSettled || status == StatusCancelled || status == StatusRejected
}

// refresh expires a payment whose invoice has run out. Call with s.mu held.
func (p *payment) refresh(now time.Time) {
	if !final(p.Status) && !p.Expires.IsZero() && !now.Before(p.Expires) {
		p.Status, p.ResultCode = StatusCancelled, ResultPaymentExpired
	}
}

// qrHidden reports whether the payment still answers Pending without its QR.
func (p *payment) qrHidden() bool {
	return p.Status == StatusConfirmation && p.qrAfter > 0 && p.Gets <= p.qrAfter
}

// Wire shapes of the answers.

type amountOut struct {
	Value    json.Number `json:"value"`
	Currency string      `json:"currency"`
}

type invoiceOut struct {
	Description string            `json:"description"`
	OrderNo     string            `json:"orderNo"`
	Expires     string            `json:"expires,omitempty"`
	Params      map[string]string `json:"params,omitempty"`
}

type confirmationOut struct {
	Type          string `json:"type"`
	UniversalLink bool   `json:"universalLink"`
	PaymentURL    string `json:"paymentUrl"`
}

type paymentOut struct {
	ID          string     `json:"id"`
	Created     string     `json:"created"`
	TestMode    bool       `json:"testMode"`
	Status      string     `json:"status"`
	ResultCode  string     `json:"resultCode"`
	Message     string     `json:"message,omitempty"`
	MerchantID  string     `json:"merchantId"`
	Invoice     invoiceOut `json:"invoice"`
	Amount      amountOut  `json:"amount"`
	PaymentData struct {
		PaymentMethod string `json:"paymentMethod"`
		StickerID     string `json:"stickerId,omitempty"`
	} `json:"paymentData"`
	Confirmation *confirmationOut `json:"confirmation,omitempty"`
}

// render is the API's payment object. Call with s.mu held.
func (s *Server) render(p *payment) paymentOut {
	o := paymentOut{
		ID:         p.ID,
		Created:    p.Created.UTC().Format(time.RFC3339),
		TestMode:   p.TestMode,
		Status:     p.Status,
		ResultCode: p.ResultCode,
		MerchantID: s.opts.MerchantID,
		Invoice:    invoiceOut{Description: p.Description, OrderNo: p.OrderNo, Expires: p.expiresRaw, Params: p.params},
		Amount:     amountOut{Value: formatAmount4(p.Amount), Currency: "RUB"},
	}
	o.PaymentData.PaymentMethod = "SBP"
	o.PaymentData.StickerID = p.StickerID
	if p.Status == StatusSettled && p.PaidAmount != 0 {
		o.Amount.Value = formatAmount4(p.PaidAmount)
	}
	switch {
	case p.qrHidden():
		o.Status = StatusPending
	case p.Status == StatusConfirmation && p.PaymentURL != "":
		o.Confirmation = &confirmationOut{Type: "External", UniversalLink: true, PaymentURL: p.PaymentURL}
	}
	return o
}

// formatAmount4 renders kopecks the way the API echoes amounts: 259.9000.
func formatAmount4(k int64) json.Number {
	return json.Number(fmt.Sprintf("%d.%02d00", k/100, k%100))
}

// parseAmount reads a request amount: a JSON number (not a string), not
// negative, with at most two decimals that are not zero. It returns kopecks.
func parseAmount(raw json.RawMessage) (int64, error) {
	s := strings.TrimSpace(string(raw))
	switch {
	case s == "" || s == "null":
		return 0, errors.New("Amount.Value is required")
	case strings.HasPrefix(s, `"`):
		return 0, errors.New("Amount.Value must be a number, not a string")
	case strings.HasPrefix(s, "-"):
		return 0, errors.New("Amount.Value must be greater than 0")
	case strings.ContainsAny(s, "eE"):
		return 0, errors.New("Amount.Value must be a plain decimal number")
	}
	intPart, frac, _ := strings.Cut(s, ".")
	if intPart == "" || !plugin.IsDigits(intPart) || (strings.Contains(s, ".") && (frac == "" || !plugin.IsDigits(frac))) {
		return 0, errors.New("Amount.Value must be a number")
	}
	if len(frac) > 2 && strings.Trim(frac[2:], "0") != "" {
		return 0, errors.New("Amount.Value must have at most 2 decimal places")
	}
	if len(frac) > 2 {
		frac = frac[:2]
	}
	frac += strings.Repeat("0", 2-len(frac))
	intPart = strings.TrimLeft(intPart, "0")
	if len(intPart) > 15 {
		return 0, errors.New("Amount.Value is too large")
	}
	var k int64
	for _, c := range intPart + frac {
		k = k*10 + int64(c-'0')
	}
	if k <= 0 {
		return 0, errors.New("Amount.Value must be greater than 0")
	}
	return k, nil
}

const alnum = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"

// nspkIDLen is the length of an NSPK QR id, the link's path: 32 characters
// in all, type prefix included (AD100004BAL7227F9BNP6KNE007J9B3K).
const nspkIDLen = 32

// qrLink is the link a new QR payment answers in confirmation.paymentUrl:
// in test mode a PayMaster mock page, otherwise an NSPK dynamic link.
func qrLink(p *payment) string {
	if p.TestMode {
		return mockPage()
	}
	return dynamicQR(p.Amount)
}

// mockPage is a test-mode payment's link:
// https://paymaster.ru/cpay/mock/sbp/<32 hex>. Modelled on the one public
// example, which shows only the …/cpay/mock/sbp/… path; the id after it is
// invented, in the form of PayMaster's invoice pages (cpay/<32 hex>).
func mockPage() string {
	b := make([]byte, 16)
	rand.Read(b)
	return "https://paymaster.ru/cpay/mock/sbp/" + hex.EncodeToString(b)
}

// dynamicQR makes an NSPK dynamic link: https://qr.nspk.ru/AD<30>?type=02&...
func dynamicQR(kopecks int64) string {
	b := make([]byte, nspkIDLen-2)
	rand.Read(b)
	for i := range b {
		b[i] = alnum[int(b[i])%len(alnum)]
	}
	link := fmt.Sprintf("https://qr.nspk.ru/AD%s?type=02&bank=%s&sum=%d&cur=RUB", b, bankID, kopecks)
	return withCRC(link)
}

// stickerQR is the sticker's fixed static link, https://qr.nspk.ru/AS<30>?type=01&...,
// derived from its id.
func stickerQR(id string) string {
	sum := sha256.Sum256([]byte(id))
	b := make([]byte, nspkIDLen-2)
	for i := range b {
		b[i] = alnum[int(sum[i])%len(alnum)]
	}
	return withCRC(fmt.Sprintf("https://qr.nspk.ru/AS%s?type=01&bank=%s&cur=RUB", b, bankID))
}

// withCRC appends crc=<CRC-16/CCITT-FALSE of the link, 4 hex digits>.
func withCRC(link string) string {
	crc := uint16(0xFFFF)
	for i := 0; i < len(link); i++ {
		crc ^= uint16(link[i]) << 8
		for j := 0; j < 8; j++ {
			if crc&0x8000 != 0 {
				crc = crc<<1 ^ 0x1021
			} else {
				crc <<= 1
			}
		}
	}
	return fmt.Sprintf("%s&crc=%04X", link, crc)
}

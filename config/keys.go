package config

import "time"

// Key describes one setting.
type Key struct {
	Name        string
	Default     any
	Description string
	Secret      bool
}

// Keys lists every setting sbpd reads, in the order `sbpd settings list`
// and the docs show them.
var Keys = []Key{
	{"listen", "127.0.0.1:8765", "address of the till API and the kiosk screen; anything but loopback needs api.token", false},
	{"data_dir", "/var/lib/sbpd", "directory of the journal database (sbpd.db)", false},
	{"api.token", "", "Bearer token the till must send; required when listen is not loopback", true},
	{"till.id", "K01", "this kiosk's id; prefix of every PayMaster order number (letters, digits, - and _)", false},
	{"log.level", "info", "debug, info, warn or error", false},
	{"sbp.enabled", true, "whether SBP payments are offered at all (cash-desk template)", false},
	{"sbp.qr_mode", 1, "0 print the QR on the receipt (needs printer.port), 1 show it on screen, 2 the kiosk's NFC/QR sticker", false},
	{"sbp.mixed_payment", false, "allow the SBP remainder after cards (SetSCO 4:3 template only)", false},
	{"sbp.poll_interval", 3 * time.Second, "how often PayMaster is asked for the payment's status", false},
	{"sbp.status_timeout", 120 * time.Second, "how long to wait for a final status before the Retry/Cancel dialog", false},
	{"sbp.invoice_ttl", 5 * time.Minute, "the payment's lifetime at PayMaster; Retry keeps polling until it ends", false},
	{"paymaster.base_url", "https://paymaster.ru", "PayMaster API base URL", false},
	{"paymaster.merchant_id", "", "PayMaster merchant (site) id, a GUID from the merchant cabinet", false},
	{"paymaster.token", "", "PayMaster API token (Bearer)", true},
	{"paymaster.sticker_id", "", "id of the kiosk's cash-link sticker, needed by sbp.qr_mode 2", false},
	{"paymaster.test_mode", false, "mark payments as test payments at PayMaster", false},
	{"paymaster.timeout", 10 * time.Second, "timeout of one PayMaster request", false},
	{"printer.port", "", "serial port of the receipt printer, e.g. /dev/ttyS0 (mode 0)", false},
	{"printer.baud", 115200, "serial speed of the receipt printer", false},
	{"printer.codepage", 17, "ESC t code table for Cyrillic (CP866)", false},
	{"printer.qr", "native", "native (GS ( k) or raster (GS v 0) QR printing", false},
	{"printer.qr_module", 6, "QR module size in dots (1-16); 5-6 suit 58 mm paper, 6-8 suit 80 mm", false},
	{"printer.width", 576, "printable width in dots: 384 for 58 mm paper, 576 for 80 mm, 512 for Epson TM-T88", false},
	{"printer.cancel_chinese_mode", false, "send FS . after initialising, for clones that boot in a Chinese mode and swallow Cyrillic", false},
	{"notify.url", "", "accounting system URL that receives final payments", false},
	{"notify.secret", "", "HMAC-SHA256 secret for notifications", true},
	{"notify.max_attempts", 50, "how many times a notification is tried", false},
}

package printer_test

import (
	"context"
	"fmt"
	"log"
	"time"

	"github.com/sbpd/sbpd/plugin"
	"github.com/sbpd/sbpd/printer"
)

func ExampleEncodeCP866() {
	fmt.Printf("% x\n", printer.EncodeCP866("259,90 ₽"))
	// Output: 32 35 39 2c 39 30 20 e0 e3 a1 2e
}

// Printing a slip on a serial printer. The port comes from the caller
// (cmd/sbpd opens it with go.bug.st/serial), which also closes it.
func ExampleNew() {
	var port printer.Port // e.g. serial.Open("/dev/ttyS0", &serial.Mode{BaudRate: 115200})
	opts := printer.Options{Codepage: 17, QR: printer.QRNative, QRModule: 6, Width: 576}
	if err := opts.Validate(); err != nil {
		log.Fatal(err)
	}
	p := printer.New(port, opts)
	err := p.PrintSlip(context.Background(), plugin.Slip{
		OrderNo:   "K07-000153-1",
		Amount:    25990,
		QRPayload: "https://qr.nspk.ru/AD10001234ABCDEFGHIJKLMNOPQRSTUV?type=02&bank=100000000111&sum=25990&cur=RUB&crc=1A2B",
		ExpiresAt: time.Now().Add(5 * time.Minute),
	})
	if err != nil {
		// The flow shows the QR on screen instead; the reason says why.
		log.Printf("printer: %s: %v", plugin.ErrorReason(err), err)
	}
}

package serial_test

import (
	"log"
	"time"

	"github.com/sbpd/sbpd/drivers/serial"
	"github.com/sbpd/sbpd/plugin"
)

func ExampleOpen() {
	port, err := serial.Open(serial.Options{Path: "/dev/ttyS0", Baud: 19200})
	if plugin.ErrorReason(err) == plugin.PrinterBusy {
		log.Fatal(err) // another sbpd already drives this printer
	}
	if err != nil {
		log.Fatal(err)
	}
	defer port.Close()

	// ESC @, a line, feed and cut; paced at 1,920 bytes per second.
	if _, err := port.Write([]byte("\x1b@SBP\n\x1bd\x06\x1dV\x01")); err != nil {
		log.Fatal(err)
	}

	// DLE EOT 4: paper sensor status.
	port.SetReadTimeout(500 * time.Millisecond)
	port.ResetInputBuffer()
	port.Write([]byte{0x10, 0x04, 0x04})
	var b [1]byte
	if n, err := port.Read(b[:]); err != nil {
		log.Fatal(err)
	} else if n == 0 {
		log.Print("the printer did not answer: status unknown")
	} else if b[0]&0x60 != 0 {
		log.Print("paper end")
	}
}

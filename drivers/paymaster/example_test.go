package paymaster_test

import (
	"context"
	"fmt"
	"time"

	"github.com/sbpd/sbpd/drivers/paymaster"
	"github.com/sbpd/sbpd/drivers/paymaster/sandbox"
	"github.com/sbpd/sbpd/plugin"
)

func Example() {
	sb := sandbox.New(sandbox.Options{Token: "demo-token", MerchantID: "demo-shop"})
	url, err := sb.Start("")
	if err != nil {
		panic(err)
	}
	defer sb.Close()

	gw, err := paymaster.New(paymaster.Config{BaseURL: url, MerchantID: "demo-shop", Token: "demo-token", TestMode: true})
	if err != nil {
		panic(err)
	}
	ctx := context.Background()
	p, err := gw.CreatePayment(ctx, plugin.CreateRequest{
		OrderNo:        "K07-000153",
		Amount:         25990,
		Description:    "Self-checkout K07, receipt 000153",
		Expires:        time.Now().Add(5 * time.Minute),
		IdempotencyKey: "0d5c2f8e-1b7a-4c3e-9f6d-2a8b4e7c1d90",
	})
	if err != nil {
		panic(err)
	}
	fmt.Println(p.Status, plugin.FormatRoubles(p.Amount), p.QRPayload != "")

	sb.Pay(p.ID) // the shopper pays in the bank app
	p, _ = gw.GetPayment(ctx, p.ID)
	fmt.Println(p.Status, p.ResultCode)
	// Output:
	// Confirmation 259,90 true
	// Settled Success
}

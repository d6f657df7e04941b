package main

import (
	"fmt"
	"net/http"

	"github.com/spf13/cobra"

	"github.com/sbpd/sbpd/drivers/paymaster/sandbox"
	"github.com/sbpd/sbpd/drivers/tillapi"
)

func newSandboxCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "sandbox",
		Short: "Run the PayMaster sandbox alone, for integrators",
		Long: `sandbox serves PayMaster's API v2 (payments, cancel, list, stickers) from
memory, checking the token and required fields like the real service, plus
control endpoints under /sandbox/ to pay, decline or expire a payment and to
inject faults (latency, 5xx, 429, dropped connections, malformed bodies).`,
		Example: `  sbpd sandbox --listen 127.0.0.1:8766 --token secret
  curl -X POST localhost:8766/sandbox/payments/40211873/pay
  curl -X POST localhost:8766/sandbox/faults -H 'Content-Type: application/json' -d '{"method":"GET","status":503,"times":3}'`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			f := cmd.Flags()
			listen, _ := f.GetString("listen")
			token, _ := f.GetString("token")
			merchant, _ := f.GetString("merchant-id")
			sticker, _ := f.GetString("sticker")
			randToken, randMerchant := sandbox.RandomCredentials()
			if token == "" {
				token = randToken
			}
			if merchant == "" {
				merchant = randMerchant
			}
			sb := sandbox.New(sandbox.Options{Token: token, MerchantID: merchant, Stickers: []string{sticker},
				// No web page drives the bank: the till API's browser rules.
				Wrap: func(h http.Handler) http.Handler { return tillapi.Guard(h, listen, nil) }})
			base, err := sb.Start(listen)
			if err != nil {
				return err
			}
			defer sb.Close()
			fmt.Fprintf(cmd.OutOrStdout(), `PayMaster sandbox on %s
Point sbpd at it (sbpd.yaml):
paymaster:
  base_url: %s
  merchant_id: %s
  token: %s
  sticker_id: %s
`, base, base, merchant, token, sticker)
			<-cmd.Context().Done()
			return nil
		},
	}
	cmd.Flags().String("listen", "127.0.0.1:8766", "address to serve on")
	cmd.Flags().String("token", "", "Bearer token to require (random if empty)")
	cmd.Flags().String("merchant-id", "", "merchant id to require (random if empty)")
	cmd.Flags().String("sticker", "571c4e12ab34", "id of the cash-link sticker for mode 2")
	return cmd
}

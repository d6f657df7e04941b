package sandbox_test

import (
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/sbpd/sbpd/drivers/paymaster/sandbox"
)

func Example() {
	s := sandbox.New(sandbox.Options{Token: "demo-token", MerchantID: "demo-shop"})
	base, err := s.Start("127.0.0.1:0")
	if err != nil {
		panic(err)
	}
	defer s.Close()

	// The next create is carried out, but its answer is lost.
	s.AddFault(sandbox.Fault{Method: "POST", AfterHandling: true, Drop: true, Times: 1})

	body := fmt.Sprintf(`{"merchantId":"demo-shop","invoice":{"description":"Receipt 153","orderNo":"K07-153","expires":%q},
		"amount":{"value":259.90,"currency":"RUB"},"paymentData":{"paymentMethod":"SBP"}}`,
		time.Now().Add(5*time.Minute).UTC().Format(time.RFC3339))
	req, _ := http.NewRequest("POST", base+"/api/v2/payments", strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer demo-token")
	_, err = http.DefaultClient.Do(req)
	fmt.Println("answer lost:", err != nil)

	p := s.Payments()[0]
	fmt.Println(p.ID, p.OrderNo, p.Amount, p.Status)

	// The demo page pays it over HTTP.
	resp, _ := http.Post(base+"/sandbox/payments/"+p.ID+"/pay", "application/json", nil)
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	p, _ = s.Payment(p.ID)
	fmt.Println(p.Status, p.ResultCode, s.Calls(sandbox.KindCreate))
	// Output:
	// answer lost: true
	// 40211873 K07-153 25990 Confirmation
	// Settled Success 1
}

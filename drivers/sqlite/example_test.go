package sqlite_test

import (
	"context"
	"fmt"
	"log"

	"github.com/sbpd/sbpd/drivers/sqlite"
	"github.com/sbpd/sbpd/plugin"
)

func ExampleOpen() {
	db, err := sqlite.Open("/var/lib/sbpd/journal.db")
	if err != nil {
		log.Fatal(err)
	}
	defer db.Close()

	var j plugin.Journal = db.Journal() // what plugin.NewEngine takes
	stuck, err := j.Unfinished(context.Background())
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(len(stuck), "payments to reconcile")

	paid, err := db.Journal().Search(context.Background(), plugin.Filter{Query: "259,90", State: plugin.StatePaid})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(len(paid), "paid payments of 259,90 ₽")
}

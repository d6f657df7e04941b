package sandbox

import (
	"crypto/rand"
	"encoding/hex"

	"github.com/google/uuid"
)

// RandomCredentials are a fresh token (32 hex digits) and merchant id (a
// random UUID), for a sandbox that other programs on the machine should
// not guess its way into (sbpd sandbox without --token, sbpd demo).
func RandomCredentials() (token, merchantID string) {
	b := make([]byte, 16)
	rand.Read(b) // crypto/rand.Read never fails
	return hex.EncodeToString(b), uuid.NewString()
}

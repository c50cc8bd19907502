package passkey

import (
	"fmt"

	"github.com/ostiary/ostiary/storage"
)

// Kind is what sort of authenticator holds a passkey, as the account page
// shows it.
type Kind struct {
	// Type is "platform" (built into a device or a password manager),
	// "roaming" (a security key, or a phone used across devices) or ""
	// when the browser did not say.
	Type string
	// Model is the authenticator's name when its AAGUID is a well-known
	// one; "" otherwise (many report only zeros with attestation none).
	Model string
}

// knownAAGUIDs are a few widely used authenticators' AAGUIDs (as published
// in the FIDO Metadata Service and by the vendors), with their type.
var knownAAGUIDs = map[string]Kind{
	"fbfc3007-154e-4ecc-8c0b-6e020557d7bd": {"platform", "iCloud Keychain"},
	"ea9b8d66-4d01-1d21-3ce4-b6b48cb575d4": {"platform", "Google Password Manager"},
	"adce0002-35bc-c60a-648b-0b25f1f05503": {"platform", "Chrome on Mac"},
	"08987058-cadc-4b81-b6e1-30de50dcbe96": {"platform", "Windows Hello"},
	"9ddd1817-af5a-4672-a2b9-3e3dd95000a9": {"platform", "Windows Hello"},
	"6028b017-b1d4-4c02-b4b3-afcdafc96bb2": {"platform", "Windows Hello"},
	"bada5566-a7aa-401f-bd96-45619a55120d": {"platform", "1Password"},
	"d548826e-79b4-db40-a3d8-11116f7e8349": {"platform", "Bitwarden"},
	"cb69481e-8ff7-4039-93ec-0a2729a154a8": {"roaming", "YubiKey 5"},
	"ee882879-721c-4913-9775-3dfcce97072a": {"roaming", "YubiKey 5"},
}

// KindOf tells the authenticator's type from the attachment the browser
// reported at registration, and its model from the AAGUID when known.
func KindOf(p storage.Passkey) Kind {
	k := knownAAGUIDs[aaguidString(p.AAGUID)]
	switch p.Attachment {
	case "platform":
		k.Type = "platform"
	case "cross-platform":
		k.Type = "roaming"
	}
	return k
}

// aaguidString is the AAGUID in its usual UUID form; "" for none or zeros.
func aaguidString(b []byte) string {
	if len(b) != 16 {
		return ""
	}
	zero := true
	for _, c := range b {
		zero = zero && c == 0
	}
	if zero {
		return ""
	}
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

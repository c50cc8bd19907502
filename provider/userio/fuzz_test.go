package userio

import (
	"bytes"
	"testing"
)

// FuzzParse feeds arbitrary import files to every format: an import file is
// whatever an admin was handed by another system, so Parse must never panic
// and must account for each record as a user or a per-line error.
func FuzzParse(f *testing.F) {
	f.Add(FormatOstiary, []byte(`{"id":"u1","email":"a@example.com","name":"A","email_verified":true,"memberships":[{"org":"Acme","role":"admin"}]}`+"\n"))
	f.Add(FormatAuth0, []byte(`[{"email":"b@example.com","email_verified":false,"custom_password_hash":{"algorithm":"bcrypt","hash":{"value":"$2a$10$abc"}}}]`))
	f.Add(FormatCognito, []byte("email,name,email_verified\nc@example.com,C,true\n"))
	f.Add(FormatOstiary, []byte("\xff\x00{\"email\":\"\\u0000\"}\n[1,2\n"))
	f.Add(FormatCognito, []byte("\"unterminated,\n"))
	f.Fuzz(func(t *testing.T, format string, data []byte) {
		rows, _ := Parse(format, bytes.NewReader(data))
		last := 0
		for _, r := range rows {
			if r.Line < 1 || r.Line < last {
				t.Fatalf("row line %d after %d: every record must name where it starts", r.Line, last)
			}
			last = r.Line
		}
	})
}

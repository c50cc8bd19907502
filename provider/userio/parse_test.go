package userio

import (
	"strings"
	"testing"
)

const bcryptHash = "$2b$04$abcdefghijklmnopqrstuuV0gQ6TrAcr1ES0t8XaFH/ZpCWKqZrNe"

func TestParseCognitoCSV(t *testing.T) {
	t.Parallel()
	in := "cognito:username,name,given_name,family_name,email,email_verified,phone_number,password_hash\n" +
		"u1,Ada Lovelace,,,ada@example.com,true,+15550100," + bcryptHash + "\n" +
		"u2,,Grace,Hopper,grace@example.com,false,,\n" +
		"u3,Bad,,,bad@example.com,maybe,,\n" +
		"u4,\"unterminated,,,x@example.com,true,,\n"
	rows, err := Parse(FormatCognito, strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) < 3 {
		t.Fatalf("rows: %+v", rows)
	}
	if p := rows[0].User; rows[0].Err != nil || rows[0].Line != 2 || p.Email != "ada@example.com" || p.Name != "Ada Lovelace" || !p.EmailVerified || p.PasswordHash != bcryptHash {
		t.Errorf("row 1: %+v", rows[0])
	}
	if p := rows[1].User; rows[1].Err != nil || rows[1].Line != 3 || p.Name != "Grace Hopper" || p.EmailVerified || p.PasswordHash != "" {
		t.Errorf("row 2: %+v", rows[1])
	}
	if rows[2].Err == nil || rows[2].Line != 4 || !strings.Contains(rows[2].Err.Error(), "email_verified") {
		t.Errorf("row 3 (bad boolean): %+v", rows[2])
	}
	if last := rows[len(rows)-1]; last.Err == nil || last.Line != 5 {
		t.Errorf("last row (broken quoting): %+v", last)
	}
}

func TestParseCognitoNeedsEmailColumn(t *testing.T) {
	t.Parallel()
	if _, err := Parse(FormatCognito, strings.NewReader("name,phone_number\nAda,+1\n")); err == nil {
		t.Fatal("a header without email was accepted")
	}
}

func TestParseAuth0Shapes(t *testing.T) {
	t.Parallel()
	// A bulk-import array over several lines: each row's line is where its
	// object starts.
	in := `[
  {"email": "a@example.com", "email_verified": true, "given_name": "A", "family_name": "B", "blocked": true,
   "custom_password_hash": {"algorithm": "bcrypt", "hash": {"value": "` + bcryptHash + `"}}},
  {"email": "md5@example.com", "custom_password_hash": {"algorithm": "md5", "hash": {"value": "x"}}},
  {"identifiers": [{"type": "email", "value": "id@example.com", "verified": true}], "password_hash": "` + bcryptHash + `"}
]`
	rows, err := Parse(FormatAuth0, strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 3 {
		t.Fatalf("rows: %+v", rows)
	}
	if p := rows[0].User; rows[0].Err != nil || rows[0].Line != 2 || p.Name != "A B" || !p.Disabled || !p.EmailVerified || p.PasswordHash != bcryptHash {
		t.Errorf("row 1: %+v", rows[0])
	}
	if rows[1].Err == nil || rows[1].Line != 4 || !strings.Contains(rows[1].Err.Error(), "md5") {
		t.Errorf("row 2 (unsupported algorithm): %+v", rows[1])
	}
	if p := rows[2].User; rows[2].Err != nil || rows[2].Line != 5 || p.Email != "id@example.com" || !p.EmailVerified || p.PasswordHash != bcryptHash {
		t.Errorf("row 3 (identifiers, password_hash): %+v", rows[2])
	}
}

func TestParseJSONLinesKeepsGoing(t *testing.T) {
	t.Parallel()
	in := `{"email":"a@example.com"}` + "\n\n" + `{"email":` + "\n" + `{"email":"c@example.com","memberships":[{"org_name":"Acme","role":"admin"}]}` + "\n"
	rows, err := Parse(FormatOstiary, strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 3 || rows[0].Line != 1 || rows[1].Err == nil || rows[1].Line != 3 || rows[2].Line != 4 ||
		rows[2].User.Memberships[0].OrgName != "Acme" {
		t.Fatalf("rows: %+v", rows)
	}
}

func TestParseUnknownFormat(t *testing.T) {
	t.Parallel()
	if _, err := Parse("okta", strings.NewReader("")); err == nil {
		t.Fatal("unknown format accepted")
	}
}

package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestConfigAttributesSchemas(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "user.json")
	if err := os.WriteFile(good, []byte(`{"type":"object","properties":{"level":{"type":"integer"}}}`), 0o600); err != nil {
		t.Fatal(err)
	}
	c, err := loadConfig(writeFile(t, "attributes:\n  editable: [nickname]\n  user_schema: "+good+"\n"), noEnv)
	if err != nil {
		t.Fatal(err)
	}
	p := providerConfig(c, nil)
	if string(p.Attributes.UserSchema) == "" || len(p.Attributes.Editable) != 1 {
		t.Errorf("provider attributes = %+v", p.Attributes)
	}
	bad := filepath.Join(dir, "bad.json")
	if err := os.WriteFile(bad, []byte(`{"type": 7}`), 0o600); err != nil {
		t.Fatal(err)
	}
	for name, body := range map[string]string{
		"missing file":     "attributes:\n  organization_schema: " + filepath.Join(dir, "nope.json") + "\n",
		"does not compile": "attributes:\n  membership_schema: " + bad + "\n",
	} {
		_, err := loadConfig(writeFile(t, body), noEnv)
		if err == nil || !strings.Contains(err.Error(), "attributes") {
			t.Errorf("%s: loadConfig = %v, want an attributes error", name, err)
		}
	}
}

package main

import (
	"fmt"
	"os"

	"github.com/ostiary/ostiary/provider"
)

// attributesConfig is the file's attributes: the keys of their own
// attributes people may edit on the account page, and the JSON Schema
// files that validate users', organizations' and memberships' attributes.
type attributesConfig struct {
	Editable         []string `yaml:"editable"`
	UserSchema       string   `yaml:"user_schema"`
	OrgSchema        string   `yaml:"organization_schema"`
	MembershipSchema string   `yaml:"membership_schema"`

	resolved    provider.AttributesConfig
	resolveErrs []error
}

// resolveAttributes reads the schema files, keeping what it could not read
// for Validate.
func (c *Config) resolveAttributes() {
	a := &c.Attributes
	if len(a.Editable) == 0 {
		a.Editable = nil // "editable: []" and no key mean the same
	}
	a.resolved, a.resolveErrs = provider.AttributesConfig{Editable: a.Editable}, nil
	read := func(key, path string, into *[]byte) {
		if path == "" {
			return
		}
		b, err := os.ReadFile(path)
		if err != nil {
			a.resolveErrs = append(a.resolveErrs, fmt.Errorf("attributes.%s: %w", key, err))
			return
		}
		*into = b
	}
	read("user_schema", a.UserSchema, &a.resolved.UserSchema)
	read("organization_schema", a.OrgSchema, &a.resolved.OrgSchema)
	read("membership_schema", a.MembershipSchema, &a.resolved.MembershipSchema)
}

// validateAttributes reports unreadable schema files and schemas that do
// not compile.
func (c Config) validateAttributes() []error {
	errs := append([]error(nil), c.Attributes.resolveErrs...)
	if _, err := c.Attributes.resolved.Policy(); err != nil {
		errs = append(errs, fmt.Errorf("attributes: %w", err))
	}
	return errs
}

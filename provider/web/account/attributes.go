package account

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/ostiary/ostiary/provider/accounts"
	"github.com/ostiary/ostiary/provider/fault"
	"github.com/ostiary/ostiary/storage"
)

// PathAttributes is the form of the person's editable attributes.
const PathAttributes = "/account/attributes"

// maxAttributeLen bounds one attribute typed on the page.
const maxAttributeLen = 500

// OwnAttributes is the rules of a person's own attributes
// (accounts.Users): which top-level keys they may edit, and the change.
type OwnAttributes interface {
	EditableAttributes() []string
	SetOwnAttributes(ctx context.Context, actor accounts.Actor, userID string, values map[string]any) (storage.User, error)
}

// attributeField is one editable attribute on the page: its key, the
// value as text (a string as is, anything else an administrator set as
// JSON), and whether the value is not a string.
type attributeField struct {
	Key, Value string
	JSON       bool
}

// attributeFields are the editable keys with the user's values, in the
// instance's order; nil when the instance lets people edit none.
func (p *Pages) attributeFields(user storage.User) []attributeField {
	if p.Attributes == nil {
		return nil
	}
	var out []attributeField
	for _, k := range p.Attributes.EditableAttributes() {
		f := attributeField{Key: k}
		switch v := user.Attributes[k].(type) {
		case nil:
		case string:
			f.Value = v
		default:
			b, _ := json.Marshal(v) // it came from JSON
			f.Value, f.JSON = string(b), true
		}
		out = append(out, f)
	}
	return out
}

// saveAttributes serves POST /account/attributes: each editable key's
// field, as text (empty removes the key; a value an administrator set as
// non-string JSON stays as it was while its text is unchanged). The
// instance schema may refuse the result, which changes nothing and shows
// the reason.
func (a accountAction) saveAttributes() error {
	fields := a.p.attributeFields(a.user)
	if fields == nil {
		return fault.NotFoundf("There are no attributes you can change here.")
	}
	values := map[string]any{}
	for i, f := range fields {
		text := strings.TrimSpace(a.r.PostFormValue("attr_" + f.Key))
		fields[i].Value = text
		if utf8.RuneCountInString(text) > maxAttributeLen || strings.ContainsFunc(text, func(r rune) bool { return r < 0x20 || r == 0x7f }) {
			return a.again(accountPage{Attributes: fields,
				AttributesError: fmt.Sprintf("%s must be at most %d characters, on one line.", f.Key, maxAttributeLen)})
		}
		switch {
		case text == "":
		case f.JSON && text == f.Value:
			values[f.Key] = a.user.Attributes[f.Key]
		default:
			values[f.Key] = text
		}
	}
	actor := accounts.Actor{ID: a.user.ID, IP: a.p.Site.Sessions().RemoteIP(a.r)}
	if _, err := a.p.Attributes.SetOwnAttributes(a.r.Context(), actor, a.user.ID, values); err != nil {
		if fault.KindOf(err) == fault.Invalid {
			return a.again(accountPage{Attributes: fields, AttributesError: fault.Message(err, "These values were refused.")})
		}
		return fmt.Errorf("account: save attributes: %w", err)
	}
	return a.done("attributes")
}

package account

import (
	"errors"
	"net/http"
	"slices"
	"strings"

	"github.com/ostiary/ostiary/provider/accounts"
	"github.com/ostiary/ostiary/provider/fault"
	"github.com/ostiary/ostiary/provider/pat"
	"github.com/ostiary/ostiary/storage"
)

type tokenView struct {
	ID, Name string
	Scopes   string
	Created  timeView
	LastUsed timeView
	Expires  timeView
	Expired  bool
}

type scopeOption struct {
	Name, Text string
	Checked    bool
}

type expiryOption struct {
	Value, Label string
	Selected     bool
}

// scopeText says in plain words what a scope on a token lets a script see.
var scopeText = map[string]string{
	"openid":  "Your account identifier (openid)",
	"profile": "Your name (profile)",
	"email":   "Your email address (email)",
}

// fillTokens lists the user's tokens and prepares the new-token form,
// keeping what v already holds from a refused post.
func (p *Pages) fillTokens(r *http.Request, userID string, v *accountPage) error {
	ctx := r.Context()
	tokens, err := p.Tokens.List(ctx, userID)
	if err != nil {
		return err
	}
	now := p.Site.Now()
	for _, t := range tokens {
		v.Tokens = append(v.Tokens, tokenView{ID: t.ID, Name: t.Name, Scopes: strings.Join(t.Scopes, " "),
			Created: when(t.CreatedAt), LastUsed: when(t.LastUsedAt), Expires: when(t.ExpiresAt),
			Expired: !t.ExpiresAt.IsZero() && !now.Before(t.ExpiresAt)})
	}
	offered, err := p.Tokens.OfferedScopes(ctx)
	if err != nil {
		return err
	}
	checked := r.PostForm["scope"]
	if r.Method != http.MethodPost || v.NewToken != "" {
		checked = []string{"openid"}
	}
	for _, s := range offered {
		text := scopeText[s]
		if text == "" {
			text = s
		}
		v.Scopes = append(v.Scopes, scopeOption{Name: s, Text: text, Checked: slices.Contains(checked, s)})
	}
	chosen := r.PostFormValue("expires")
	if r.Method != http.MethodPost || v.NewToken != "" || chosen == "" {
		chosen = pat.DefaultExpiry
	}
	for _, e := range pat.Expiries {
		v.Expiries = append(v.Expiries, expiryOption{Value: e.Value, Label: e.Label, Selected: e.Value == chosen})
	}
	return nil
}

// createToken makes a personal access token and shows it on the page,
// this once: only its SHA-256 is stored.
func (a accountAction) createToken() error {
	created, err := a.p.Tokens.Create(a.r.Context(), a.actor(), a.user.ID, pat.Request{Name: a.r.PostFormValue("name"),
		Scopes: a.r.PostForm["scope"], Expires: a.r.PostFormValue("expires"), AMR: a.sess.AMR})
	if k := fault.KindOf(err); k == fault.Invalid || k == fault.Conflict {
		return a.again(accountPage{TokenName: a.r.PostFormValue("name"), TokenError: fault.Message(err, "")})
	}
	if err != nil {
		return err
	}
	return a.p.renderAccount(a.w, a.r, a.sess, a.user, http.StatusOK, accountPage{NewToken: created.Token, NewTokenName: created.PAT.Name})
}

// revokeToken revokes a personal access token (pat.Service.Revoke); one
// already gone is not an error to the user.
func (a accountAction) revokeToken() error {
	_, err := a.p.Tokens.Revoke(a.r.Context(), a.actor(), a.user.ID, a.r.PostFormValue("token_id"))
	if err != nil && !errors.Is(err, storage.ErrNotFound) {
		return err
	}
	return a.done("token")
}

// actor is the user acting on their own account, for the audit record.
func (a accountAction) actor() accounts.Actor {
	return accounts.Actor{ID: a.user.ID, IP: a.p.Site.Sessions().RemoteIP(a.r)}
}

package account

import (
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/ostiary/ostiary/provider/clients"
	"github.com/ostiary/ostiary/provider/pat"
	"github.com/ostiary/ostiary/provider/randtoken"
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

// tokenExpiries are the lifetimes a person may choose; "never" is allowed
// (a revocable token for a long-running job) but not the default.
type tokenExpiry struct {
	value, label string
	d            time.Duration
}

var tokenExpiries = []tokenExpiry{
	{"7", "7 days", 7 * 24 * time.Hour},
	{"30", "30 days", 30 * 24 * time.Hour},
	{"90", "90 days", 90 * 24 * time.Hour},
	{"365", "1 year", 365 * 24 * time.Hour},
	{"never", "No expiry", 0},
}

const defaultTokenExpiry = "30"

// scopeText says in plain words what a scope on a token lets a script see.
var scopeText = map[string]string{
	"openid":  "Your account identifier (openid)",
	"profile": "Your name (profile)",
	"email":   "Your email address (email)",
}

// fillTokens lists the person's tokens and prepares the new-token form,
// keeping what v already holds from a refused post.
func (p *Pages) fillTokens(r *http.Request, userID string, v *accountPage) error {
	ctx := r.Context()
	tokens, err := p.Store.ListPATsByUser(ctx, userID)
	if err != nil {
		return fmt.Errorf("web: list personal access tokens: %w", err)
	}
	now := p.Site.Now()
	for _, t := range tokens {
		v.Tokens = append(v.Tokens, tokenView{ID: t.ID, Name: t.Name, Scopes: strings.Join(t.Scopes, " "),
			Created: when(t.CreatedAt), LastUsed: when(t.LastUsedAt), Expires: when(t.ExpiresAt),
			Expired: !t.ExpiresAt.IsZero() && !now.Before(t.ExpiresAt)})
	}
	offered, err := p.tokenScopes(r)
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
		chosen = defaultTokenExpiry
	}
	for _, e := range tokenExpiries {
		v.Expiries = append(v.Expiries, expiryOption{Value: e.value, Label: e.label, Selected: e.value == chosen})
	}
	return nil
}

// tokenScopes are the scopes on offer: see pat.OfferedScopes.
func (p *Pages) tokenScopes(r *http.Request) ([]string, error) {
	cls, err := p.Store.ListClients(r.Context())
	if err != nil {
		return nil, fmt.Errorf("web: list clients: %w", err)
	}
	var scopes [][]string
	for _, c := range cls {
		if slices.Contains(c.GrantTypes, clients.GrantTokenExchange) {
			scopes = append(scopes, c.Scopes)
		}
	}
	return pat.OfferedScopes(scopes...), nil
}

// createToken makes a personal access token and shows it on the page,
// this once: only its SHA-256 is stored.
func (a accountAction) createToken() error {
	ctx := a.r.Context()
	form := accountPage{TokenName: a.r.PostFormValue("name")}
	name, err := pat.CheckName(form.TokenName)
	if err != nil {
		form.TokenError = ruleMessage(err)
		return a.again(form)
	}
	offered, err := a.p.tokenScopes(a.r)
	if err != nil {
		return err
	}
	scopes, err := pat.CheckScopes(a.r.PostForm["scope"], offered)
	if err != nil {
		form.TokenError = ruleMessage(err)
		return a.again(form)
	}
	i := slices.IndexFunc(tokenExpiries, func(e tokenExpiry) bool { return e.value == a.r.PostFormValue("expires") })
	if i < 0 {
		form.TokenError = "Choose when the token expires."
		return a.again(form)
	}
	existing, err := a.p.Store.ListPATsByUser(ctx, a.user.ID)
	if err != nil {
		return fmt.Errorf("web: list personal access tokens: %w", err)
	}
	if len(existing) >= pat.MaxTokens {
		form.TokenError = fmt.Sprintf("You have %d tokens, the most allowed. Revoke one you no longer use first.", len(existing))
		return a.again(form)
	}
	now := a.p.Site.Now()
	token, hash := pat.New()
	// The token stands for this sign-in: an organization requiring a second
	// factor accepts its exchanges only if this session had one.
	rec := storage.PAT{ID: randtoken.ID(), UserID: a.user.ID, Name: name, TokenHash: hash, Scopes: scopes, CreatedAt: now,
		AMR: slices.Clone(a.sess.AMR)}
	expires := "never"
	if d := tokenExpiries[i].d; d > 0 {
		rec.ExpiresAt = now.Add(d)
		expires = rec.ExpiresAt.UTC().Format(time.RFC3339)
	}
	if err := a.p.Store.CreatePAT(ctx, rec); err != nil {
		return fmt.Errorf("web: create personal access token: %w", err)
	}
	a.p.Site.Audit(ctx, storage.AuditEvent{Type: "pat.created", ActorID: a.user.ID, SubjectID: a.user.ID,
		IP: a.p.Site.Sessions().RemoteIP(a.r), Details: map[string]string{
			"pat_id": rec.ID, "name": name, "scopes": strings.Join(scopes, " "), "expires": expires}})
	return a.p.renderAccount(a.w, a.r, a.sess, a.user, http.StatusOK, accountPage{NewToken: token, NewTokenName: name})
}

// revokeToken deletes a personal access token and deactivates the access
// tokens exchanged for it, so they stop at introspection at once.
func (a accountAction) revokeToken() error {
	ctx := a.r.Context()
	id := a.r.PostFormValue("token_id")
	err := a.p.Store.DeletePAT(ctx, a.user.ID, id)
	if errors.Is(err, storage.ErrNotFound) {
		return a.done("token")
	}
	if err != nil {
		return fmt.Errorf("web: delete personal access token: %w", err)
	}
	n, err := a.p.Store.DeactivateTokens(ctx, storage.TokenFilter{Subject: a.user.ID, RequestID: pat.RequestID(id)})
	if err != nil {
		return fmt.Errorf("web: deactivate exchanged tokens: %w", err)
	}
	a.p.Site.Audit(ctx, storage.AuditEvent{Type: "pat.revoked", ActorID: a.user.ID, SubjectID: a.user.ID,
		IP: a.p.Site.Sessions().RemoteIP(a.r), Details: map[string]string{"pat_id": id, "tokens_deactivated": fmt.Sprint(n)}})
	return a.done("token")
}

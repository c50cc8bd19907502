package adminapi

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/ostiary/ostiary/provider/accounts"
	"github.com/ostiary/ostiary/provider/clients"
	"github.com/ostiary/ostiary/provider/fault"
	"github.com/ostiary/ostiary/provider/keys"
	"github.com/ostiary/ostiary/provider/mfa"
	"github.com/ostiary/ostiary/provider/orgsso"
	"github.com/ostiary/ostiary/provider/passkey"
	"github.com/ostiary/ostiary/provider/pat"
	"github.com/ostiary/ostiary/provider/randtoken"
	"github.com/ostiary/ostiary/storage"
)

// Store is what the operations read and write directly; the users and
// organization rules go through accounts.
type Store interface {
	storage.ClientStore
	storage.APIStore
	GetUser(ctx context.Context, id string) (storage.User, error)
	GetUserByEmail(ctx context.Context, email string) (storage.User, error)
	ListUsers(ctx context.Context) ([]storage.User, error)
	GetOrg(ctx context.Context, id string) (storage.Organization, error)
	ListOrgs(ctx context.Context) ([]storage.Organization, error)
	ListMembersByOrg(ctx context.Context, orgID string) ([]storage.Membership, error)
	GetSession(ctx context.Context, id string, now time.Time) (storage.Session, error)
	ListSessionsByUser(ctx context.Context, userID string, now time.Time) ([]storage.Session, error)
	DeleteSession(ctx context.Context, id string) error
	ListConsentsByUser(ctx context.Context, userID string) ([]storage.Consent, error)
	DeleteConsent(ctx context.Context, userID, clientID string) error
	DeactivateTokens(ctx context.Context, f storage.TokenFilter) (int, error)
	ListAudit(ctx context.Context, f storage.AuditFilter) ([]storage.AuditEvent, error)
	// dcr.TokenStore: initial access tokens of dynamic client registration.
	CreateInitialAccessToken(ctx context.Context, t storage.InitialAccessToken) error
	ListInitialAccessTokens(ctx context.Context) ([]storage.InitialAccessToken, error)
	DeleteInitialAccessToken(ctx context.Context, tokenHash []byte) error
}

// Keys is the signing key manager (*keys.Manager).
type Keys interface {
	List(ctx context.Context) ([]keys.KeyInfo, error)
	// RotateAll rotates every algorithm's key, RS256's first.
	RotateAll(ctx context.Context) ([]storage.SigningKey, error)
	Revoke(ctx context.Context, kid string) (keys.Revoked, error)
}

// SecondFactor removes a user's second factor (*mfa.Service).
type SecondFactor interface {
	Disable(ctx context.Context, userID string) error
}

// Auditor records events (*audit.Recorder, or the store).
type Auditor interface {
	AppendAudit(ctx context.Context, e storage.AuditEvent) error
}

// LogoutNotifier hears of ended sessions (*backchannel.Notifier); may be nil.
type LogoutNotifier interface {
	SessionEnded(ctx context.Context, userID, sessionID string)
}

// Service is every admin operation, shared by the admin API and the CLI so
// both apply the same rules. User and organization changes are
// accounts' rules (which audit themselves); the rest is audited here.
type Service struct {
	Store    Store
	Users    *accounts.Users
	Orgs     *accounts.Organizations
	MFA      SecondFactor
	Keys     Keys
	Audit    Auditor
	Notifier LogoutNotifier
	// Connectors and SSO serve the upstream connector and organization
	// single sign-on operations (service_sso.go).
	Connectors ConnectorRegistry
	SSO        *orgsso.Service
	// Tokens is users' personal access tokens (pats_api.go).
	Tokens *pat.Service
	// Passkeys is users' passkeys (passkeys_api.go); ResetMFA removes them
	// too.
	Passkeys *passkey.Service
	// SigningAlgorithms are the key set's algorithms, which clients may
	// register for their ID tokens; nil is RS256 alone.
	SigningAlgorithms []string
	// Now is the clock; required, as every time written is the caller's.
	Now func() time.Time
}

// ErrInvalid marks a request the service refuses as malformed; the API
// answers invalid_request, as for every fault.Invalid failure.
var ErrInvalid = fault.Sentinel(fault.Invalid, "invalid request")

func (s *Service) audit(ctx context.Context, a accounts.Actor, e storage.AuditEvent) error {
	e.ID, e.Time, e.ActorID, e.IP = randtoken.ID(), s.Now().UTC(), a.ID, a.IP
	if err := s.Audit.AppendAudit(ctx, e); err != nil {
		return fmt.Errorf("audit %s: %w", e.Type, err)
	}
	return nil
}

// CreateClient validates spec as clients.Build does and stores the client;
// the secret (empty for public clients) is returned once.
func (s *Service) CreateClient(ctx context.Context, a accounts.Actor, spec clients.Spec) (storage.Client, string, error) {
	c, secret, err := clients.Build(spec, s.Now().UTC())
	if err != nil {
		return storage.Client{}, "", err
	}
	if err := s.StoreClient(ctx, a, c); err != nil {
		return storage.Client{}, "", err
	}
	return c, secret, nil
}

// StoreClient stores a client that clients.Build made (the admin pages
// build it themselves, to show every problem of the form at once), after
// checking that its organization exists, and audits it.
func (s *Service) StoreClient(ctx context.Context, a accounts.Actor, c storage.Client) error {
	if err := clients.CheckIDTokenAlg(c.IDTokenSignedResponseAlg, s.SigningAlgorithms); err != nil {
		return err
	}
	if err := s.checkAPIs(ctx, c.APIs); err != nil {
		return err
	}
	if c.OrgID != "" {
		if _, err := s.Store.GetOrg(ctx, c.OrgID); errors.Is(err, storage.ErrNotFound) {
			return ErrInvalid.Newf("Organization %q not found.", c.OrgID)
		} else if err != nil {
			return fmt.Errorf("organization %q: %w", c.OrgID, err)
		}
	}
	if err := s.Store.CreateClient(ctx, c); err != nil {
		return fmt.Errorf("create client: %w", err)
	}
	kind := "confidential"
	if c.Public {
		kind = "public"
	}
	return s.audit(ctx, a, storage.AuditEvent{Type: "client.created", ClientID: c.ID, OrgID: c.OrgID,
		Details: map[string]string{"name": c.Name, "type": kind}})
}

// ClientPatch is a partial update; nil fields stay as they are.
type ClientPatch struct {
	Name                   *string   `json:"client_name,omitempty"`
	FirstParty             *bool     `json:"first_party,omitempty"`
	PKCERequired           *bool     `json:"pkce_required,omitempty"`
	RequirePAR             *bool     `json:"require_pushed_authorization_requests,omitempty"`
	RedirectURIs           *[]string `json:"redirect_uris,omitempty"`
	PostLogoutRedirectURIs *[]string `json:"post_logout_redirect_uris,omitempty"`
	CORSOrigins            *[]string `json:"cors_origins,omitempty"`
	GrantTypes             *[]string `json:"grant_types,omitempty"`
	Scopes                 *[]string `json:"scopes,omitempty"`
	Audiences              *[]string `json:"audiences,omitempty"`
	LogoURI                *string   `json:"logo_uri,omitempty"`
	PolicyURI              *string   `json:"policy_uri,omitempty"`
	TOSURI                 *string   `json:"tos_uri,omitempty"`
	BackchannelLogoutURI   *string   `json:"backchannel_logout_uri,omitempty"`
	// IDTokenSignedResponseAlg: "" (or RS256) goes back to RS256.
	IDTokenSignedResponseAlg *string `json:"id_token_signed_response_alg,omitempty"`
	// ExchangeAudiences replaces the token exchange policy (RFC 8693).
	ExchangeAudiences *[]string `json:"exchange_audiences,omitempty"`
	// APIs replaces the APIs the client is granted; DefaultAPI ("" for
	// none) must be one of them.
	APIs       *[]string `json:"apis,omitempty"`
	DefaultAPI *string   `json:"default_api,omitempty"`
	// RequestObjectSigningAlg: "" accepts any supported alg again.
	RequestObjectSigningAlg    *string `json:"request_object_signing_alg,omitempty"`
	RequireSignedRequestObject *bool   `json:"require_signed_request_object,omitempty"`
	// DPoPBoundAccessTokens: every token request needs a DPoP proof.
	DPoPBoundAccessTokens *bool `json:"dpop_bound_access_tokens,omitempty"`
}

func (p ClientPatch) apply(c storage.Client) storage.Client {
	set := func(dst *string, v *string) {
		if v != nil {
			*dst = strings.TrimSpace(*v)
		}
	}
	list := func(dst *[]string, v *[]string) {
		if v != nil {
			*dst = append([]string(nil), (*v)...)
		}
	}
	set(&c.Name, p.Name)
	if p.FirstParty != nil {
		c.FirstParty = *p.FirstParty
	}
	if p.PKCERequired != nil {
		c.PKCEOptional = !*p.PKCERequired
	}
	if p.RequirePAR != nil {
		c.RequirePushedAuthorizationRequests = *p.RequirePAR
	}
	list(&c.RedirectURIs, p.RedirectURIs)
	list(&c.PostLogoutRedirectURIs, p.PostLogoutRedirectURIs)
	list(&c.CORSOrigins, p.CORSOrigins)
	list(&c.GrantTypes, p.GrantTypes)
	list(&c.Scopes, p.Scopes)
	list(&c.Audiences, p.Audiences)
	list(&c.ExchangeAudiences, p.ExchangeAudiences)
	list(&c.APIs, p.APIs)
	set(&c.DefaultAPI, p.DefaultAPI)
	set(&c.LogoURI, p.LogoURI)
	set(&c.PolicyURI, p.PolicyURI)
	set(&c.TOSURI, p.TOSURI)
	set(&c.BackchannelLogoutURI, p.BackchannelLogoutURI)
	set(&c.IDTokenSignedResponseAlg, p.IDTokenSignedResponseAlg)
	set(&c.RequestObjectSigningAlg, p.RequestObjectSigningAlg)
	if p.RequireSignedRequestObject != nil {
		c.RequireSignedRequestObject = *p.RequireSignedRequestObject
	}
	if p.DPoPBoundAccessTokens != nil {
		c.DPoPBoundAccessTokens = *p.DPoPBoundAccessTokens
	}
	c.BackchannelLogoutSessionRequired = c.BackchannelLogoutURI != ""
	return c
}

// UpdateClient applies patch and validates the result with the rules of
// registration (clients.Validate); an invalid result changes nothing.
func (s *Service) UpdateClient(ctx context.Context, a accounts.Actor, id string, patch ClientPatch) (storage.Client, error) {
	var out storage.Client
	err := s.Store.UpdateClient(ctx, id, func(c storage.Client) (storage.Client, error) {
		c = patch.apply(c)
		if err := clients.Validate(c); err != nil {
			return c, err
		}
		if err := clients.CheckIDTokenAlg(c.IDTokenSignedResponseAlg, s.SigningAlgorithms); err != nil {
			return c, err
		}
		if err := s.checkAPIs(ctx, c.APIs); err != nil {
			return c, err
		}
		c.UpdatedAt = s.Now().UTC()
		out = c
		return c, nil
	})
	if err != nil {
		return storage.Client{}, fmt.Errorf("client %q: %w", id, err)
	}
	return out, s.audit(ctx, a, storage.AuditEvent{Type: "client.updated", ClientID: id})
}

// DeleteClient removes the client; tokens it holds stop working since
// fosite can no longer load their client.
func (s *Service) DeleteClient(ctx context.Context, a accounts.Actor, id string) error {
	if err := s.Store.DeleteClient(ctx, id); err != nil {
		return fmt.Errorf("client %q: %w", id, err)
	}
	return s.audit(ctx, a, storage.AuditEvent{Type: "client.deleted", ClientID: id})
}

// RotateClientSecret gives a confidential client a new secret (returned
// once; the old one stops working at once).
func (s *Service) RotateClientSecret(ctx context.Context, a accounts.Actor, id string) (string, error) {
	secret := randtoken.New()
	err := s.Store.UpdateClient(ctx, id, func(c storage.Client) (storage.Client, error) {
		if c.Public || c.TokenEndpointAuthMethod == clients.AuthPrivateKeyJWT || c.TokenEndpointAuthMethod == clients.AuthNone {
			return c, ErrInvalid.New("The client authenticates without a secret.")
		}
		c.SecretHash = randtoken.Hash(secret)
		c.UpdatedAt = s.Now().UTC()
		return c, nil
	})
	if err != nil {
		return "", fmt.Errorf("client %q: %w", id, err)
	}
	return secret, s.audit(ctx, a, storage.AuditEvent{Type: "client.secret_rotated", ClientID: id})
}

// ListClients lists every client, for Page to cut.
func (s *Service) ListClients(ctx context.Context) ([]storage.Client, error) {
	return s.Store.ListClients(ctx)
}

// GetClient returns storage.ErrNotFound.
func (s *Service) GetClient(ctx context.Context, id string) (storage.Client, error) {
	c, err := s.Store.GetClient(ctx, id)
	if err != nil {
		return storage.Client{}, fmt.Errorf("client %q: %w", id, err)
	}
	return c, nil
}

// ListUsers lists users whose email contains query (case-insensitive;
// empty: everyone).
func (s *Service) ListUsers(ctx context.Context, query string) ([]storage.User, error) {
	us, err := s.Store.ListUsers(ctx)
	if err != nil {
		return nil, fmt.Errorf("list users: %w", err)
	}
	q := strings.ToLower(strings.TrimSpace(query))
	out := us[:0]
	for _, u := range us {
		if q == "" || strings.Contains(strings.ToLower(u.Email), q) {
			out = append(out, u)
		}
	}
	return out, nil
}

// GetUser returns storage.ErrNotFound.
func (s *Service) GetUser(ctx context.Context, id string) (storage.User, error) {
	u, err := s.Store.GetUser(ctx, id)
	if err != nil {
		return storage.User{}, fmt.Errorf("user %q: %w", id, err)
	}
	return u, nil
}

// ResolveUser accepts a user id or an email address (the CLI's --user).
func (s *Service) ResolveUser(ctx context.Context, ref string) (string, error) {
	if !strings.Contains(ref, "@") {
		return ref, nil
	}
	u, err := s.Store.GetUserByEmail(ctx, ref)
	if err != nil {
		return "", fmt.Errorf("user %q: %w", ref, err)
	}
	return u.ID, nil
}

// ResetMFA removes the user's second factor, recovery codes and passkeys,
// for someone who lost their authenticator, and ends every session and
// token of theirs. ErrNotFound if there was neither a second factor nor a
// passkey. mfa.reset records the reset of the authenticator app and
// passkey.removed (by passkey.Service) that of the passkeys.
func (s *Service) ResetMFA(ctx context.Context, a accounts.Actor, userID string) error {
	if _, err := s.GetUser(ctx, userID); err != nil {
		return err
	}
	totpOff := true
	if err := s.MFA.Disable(ctx, userID); errors.Is(err, mfa.ErrNotEnabled) {
		totpOff = false
	} else if err != nil {
		return err
	}
	removed, err := s.Passkeys.RemoveAll(ctx, a, userID)
	if err != nil {
		return err
	}
	if !totpOff && removed == 0 {
		return notFound(fmt.Sprintf("User %q has no second factor and no passkey.", userID))
	}
	if totpOff {
		if err := s.audit(ctx, a, storage.AuditEvent{Type: "mfa.reset", SubjectID: userID}); err != nil {
			return err
		}
	}
	// A factor is reset because the device is lost or in someone else's
	// hands: sessions that proved it must not keep satisfying an
	// organization's requirement, and whoever holds the device may hold a
	// session too. Like the user's own change (web: endOtherAccess), it
	// ends every session and token; Users audits that.
	if _, err := s.Users.EndSessions(ctx, a, userID, ""); err != nil {
		return fmt.Errorf("second factor of %q reset, but ending the sessions failed: %w", userID, err)
	}
	return nil
}

// EndSessions signs the user out everywhere and deactivates their tokens.
// accounts.Users audits it.
func (s *Service) EndSessions(ctx context.Context, a accounts.Actor, userID string) (int, error) {
	if _, err := s.GetUser(ctx, userID); err != nil {
		return 0, err
	}
	return s.Users.EndSessions(ctx, a, userID, "")
}

// ListSessions lists the user's live browser sessions.
func (s *Service) ListSessions(ctx context.Context, userID string) ([]storage.Session, error) {
	if _, err := s.GetUser(ctx, userID); err != nil {
		return nil, err
	}
	return s.Store.ListSessionsByUser(ctx, userID, s.Now().UTC())
}

// grantKinds are the records a session's or consent's grants leave.
var grantKinds = []storage.TokenKind{storage.KindAuthorizeCode, storage.KindAccessToken, storage.KindRefreshToken}

// DeleteSession ends one session of the user, its tokens with it, as
// "end this session" on the account page does.
func (s *Service) DeleteSession(ctx context.Context, a accounts.Actor, userID, sessionID string) error {
	sess, err := s.Store.GetSession(ctx, sessionID, s.Now().UTC())
	if err == nil && sess.UserID != userID {
		err = storage.ErrNotFound
	}
	if err != nil {
		return fmt.Errorf("session %q: %w", sessionID, err)
	}
	if err := s.Store.DeleteSession(ctx, sessionID); err != nil {
		return fmt.Errorf("session %q: %w", sessionID, err)
	}
	n, err := s.Store.DeactivateTokens(ctx, storage.TokenFilter{SessionID: sessionID, Subject: userID, Kinds: grantKinds})
	if err != nil {
		return fmt.Errorf("deactivate session tokens: %w", err)
	}
	if s.Notifier != nil {
		s.Notifier.SessionEnded(ctx, userID, sessionID)
	}
	return s.audit(ctx, a, storage.AuditEvent{Type: "session.ended", SubjectID: userID, OrgID: sess.OrgID,
		Details: map[string]string{"session_id": sessionID, "tokens_deactivated": strconv.Itoa(n)}})
}

// ListConsents lists the user's remembered consents.
func (s *Service) ListConsents(ctx context.Context, userID string) ([]storage.Consent, error) {
	if _, err := s.GetUser(ctx, userID); err != nil {
		return nil, err
	}
	return s.Store.ListConsentsByUser(ctx, userID)
}

// RevokeConsent forgets the consent and deactivates the client's tokens
// for the user, as the account page does.
func (s *Service) RevokeConsent(ctx context.Context, a accounts.Actor, userID, clientID string) error {
	if err := s.Store.DeleteConsent(ctx, userID, clientID); err != nil {
		return fmt.Errorf("consent of %q to %q: %w", userID, clientID, err)
	}
	n, err := s.Store.DeactivateTokens(ctx, storage.TokenFilter{Subject: userID, ClientID: clientID, Kinds: grantKinds})
	if err != nil {
		return fmt.Errorf("deactivate client tokens: %w", err)
	}
	return s.audit(ctx, a, storage.AuditEvent{Type: "consent.revoked", SubjectID: userID, ClientID: clientID,
		Details: map[string]string{"tokens_deactivated": strconv.Itoa(n)}})
}

// ListKeys lists the signing keys.
func (s *Service) ListKeys(ctx context.Context) ([]keys.KeyInfo, error) { return s.Keys.List(ctx) }

// RotateKey adds the next signing key of every algorithm (each published
// before it signs) and returns the RS256 one. Each new key's audit event
// says trigger "command": someone asked for it (CLI, admin API or console),
// where the rotation schedule's says "schedule".
func (s *Service) RotateKey(ctx context.Context, a accounts.Actor) (storage.SigningKey, error) {
	ks, err := s.RotateKeys(ctx, a)
	if err != nil {
		return storage.SigningKey{}, err
	}
	return ks[0], nil
}

// RotateKeys is RotateKey, returning every new key, RS256's first.
func (s *Service) RotateKeys(ctx context.Context, a accounts.Actor) ([]storage.SigningKey, error) {
	ks, err := s.Keys.RotateAll(ctx)
	if err != nil {
		return nil, fmt.Errorf("rotate keys: %w", err)
	}
	for _, k := range ks {
		details := map[string]string{"kid": k.ID, "active_from": k.ActiveFrom.UTC().Format(time.RFC3339), "trigger": "command"}
		if k.Algorithm != "" && k.Algorithm != keys.AlgRS256 {
			details["alg"] = k.Algorithm
		}
		if err := s.audit(ctx, a, storage.AuditEvent{Type: "key.rotated", Details: details}); err != nil {
			return ks, err
		}
	}
	return ks, nil
}

// RevokeKey takes a leaked key out of the JWKS at once (keys.Manager.Revoke)
// and records it; a signing key's replacement signs from now on.
func (s *Service) RevokeKey(ctx context.Context, a accounts.Actor, kid string) (keys.Revoked, error) {
	r, err := s.Keys.Revoke(ctx, kid)
	if err != nil {
		return keys.Revoked{}, fmt.Errorf("revoke key %s: %w", kid, err)
	}
	details := map[string]string{"kid": r.ID}
	if r.Replacement != "" {
		details["replacement"] = r.Replacement
	}
	return r, s.audit(ctx, a, storage.AuditEvent{Type: "key.revoked", Details: details})
}

// ListAudit returns matching events, newest first.
func (s *Service) ListAudit(ctx context.Context, f storage.AuditFilter) ([]storage.AuditEvent, error) {
	return s.Store.ListAudit(ctx, f)
}

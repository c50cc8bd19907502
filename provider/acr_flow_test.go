package provider

import (
	"context"
	"errors"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"github.com/ostiary/ostiary/provider/accounts"
	"github.com/ostiary/ostiary/provider/acr"
	"github.com/ostiary/ostiary/provider/totp"
	"github.com/ostiary/ostiary/storage"
)

// acrRP is a relying party at go-oidc's and x/oauth2's defaults: a public
// client with PKCE that may refresh.
type acrRP struct {
	e        *flowEnv
	ctx      context.Context
	conf     oauth2.Config
	provider *oidc.Provider
	verifier string
}

func newACRRP(e *flowEnv) *acrRP {
	e.t.Helper()
	must(e.t, e.store.CreateClient(e.t.Context(), storage.Client{ID: "rp", Name: "RP", Public: true, FirstParty: true,
		RedirectURIs: []string{flowRedirect}, GrantTypes: []string{"authorization_code", "refresh_token"}, ResponseTypes: []string{"code"},
		Scopes: []string{"openid", "offline_access"}, TokenEndpointAuthMethod: "none", CreatedAt: time.Now()}))
	ctx := oidc.ClientContext(e.t.Context(), e.srv.Client())
	provider, err := oidc.NewProvider(ctx, e.cfg.Issuer)
	must(e.t, err)
	return &acrRP{e: e, ctx: ctx, provider: provider, verifier: oauth2.GenerateVerifier(), conf: oauth2.Config{
		ClientID: "rp", RedirectURL: flowRedirect, Endpoint: provider.Endpoint(),
		Scopes: []string{oidc.ScopeOpenID, oidc.ScopeOfflineAccess},
	}}
}

// start sends the browser to the authorization endpoint with extra
// parameters and returns where it was sent.
func (rp *acrRP) start(params ...string) *http.Response {
	rp.e.t.Helper()
	opts := []oauth2.AuthCodeOption{oauth2.S256ChallengeOption(rp.verifier), oauth2.SetAuthURLParam("nonce", "n0nce-value-acr")}
	for i := 0; i+1 < len(params); i += 2 {
		opts = append(opts, oauth2.SetAuthURLParam(params[i], params[i+1]))
	}
	resp, _ := rp.e.do(http.MethodGet, rp.conf.AuthCodeURL("st4te-value-acr", opts...), nil)
	return resp
}

// idClaims are the ID token claims these tests read.
type idClaims struct {
	ACR string   `json:"acr"`
	AMR []string `json:"amr"`
}

// redeem exchanges the code the callback carries and verifies the ID
// token with go-oidc.
func (rp *acrRP) redeem(callback string) (*oauth2.Token, idClaims) {
	rp.e.t.Helper()
	u, err := url.Parse(callback)
	must(rp.e.t, err)
	code := u.Query().Get("code")
	if !strings.HasPrefix(callback, flowRedirect+"?") || code == "" {
		rp.e.t.Fatalf("callback %q carries no code", callback)
	}
	tok, err := rp.conf.Exchange(rp.ctx, code, oauth2.VerifierOption(rp.verifier))
	must(rp.e.t, err)
	raw, _ := tok.Extra("id_token").(string)
	idt, err := rp.provider.Verifier(&oidc.Config{ClientID: "rp"}).Verify(rp.ctx, raw)
	must(rp.e.t, err)
	var c idClaims
	must(rp.e.t, idt.Claims(&c))
	return tok, c
}

// enrollTOTP turns ann's authenticator app on and returns its secret.
func enrollTOTP(e *flowEnv) []byte {
	e.t.Helper()
	svc, err := newSecondFactor(e.cfg, e.store)
	must(e.t, err)
	en, err := svc.Begin(e.t.Context(), "ann", "ann@example.com", true)
	must(e.t, err)
	secret, _ := totp.Encoding.DecodeString(en.Secret)
	_, err = svc.Confirm(e.t.Context(), "ann", totp.Code(secret, totp.Step(time.Now())-1))
	must(e.t, err)
	return secret
}

// passwordLogin signs ann in with her password on the parked request's
// login page and returns where the browser goes next.
func passwordLogin(e *flowEnv, resp *http.Response) (reqID, next string) {
	e.t.Helper()
	login := resp.Header.Get("Location")
	if !strings.HasPrefix(login, "/login?request=") {
		e.t.Fatalf("authorize: %d to %q; want the login page", resp.StatusCode, login)
	}
	reqID = strings.TrimPrefix(login, "/login?request=")
	resp = e.post(login, url.Values{"action": {"login"}, "email": {"ann@example.com"}, "password": {"ann-password-long"}})
	return reqID, resp.Header.Get("Location")
}

func resume(e *flowEnv, reqID string) string {
	e.t.Helper()
	resp, _ := e.do(http.MethodGet, "/oauth2/authorize/resume?request="+reqID, nil)
	return resp.Header.Get("Location")
}

// TestACRValuesSignInWithCode: a sign-in with password and authenticator
// code satisfies acr_values asking for two factors (OIDC Core §3.1.2.1);
// the ID token, verified by go-oidc, says the class reached (acr, OIDC
// Core §2) and the methods used (amr, RFC 8176 §2). Discovery advertises
// the classes (acr_values_supported, "acr" in claims_supported).
func TestACRValuesSignInWithCode(t *testing.T) {
	t.Parallel()
	e := newFlowEnv(t)
	secret := enrollTOTP(e)
	rp := newACRRP(e)

	var meta struct {
		ACRValues []string `json:"acr_values_supported"`
		Claims    []string `json:"claims_supported"`
	}
	must(t, rp.provider.Claims(&meta))
	if !slices.Equal(meta.ACRValues, acr.Supported) || !slices.Contains(meta.Claims, "acr") {
		t.Errorf("discovery acr_values_supported %v, claims_supported %v", meta.ACRValues, meta.Claims)
	}

	// ann has a second factor, so the sign-in asks for it after the
	// password; the code there satisfies acr_values.
	reqID, next := passwordLogin(e, rp.start("acr_values", acr.TwoFactor))
	if next != "/login/mfa?request="+reqID {
		t.Fatalf("after the password: %q; want the second step", next)
	}
	resp := e.post(next, url.Values{"code": {totp.Code(secret, totp.Step(time.Now()))}})
	if loc := resp.Header.Get("Location"); loc != "/oauth2/authorize/resume?request="+reqID {
		t.Fatalf("second step: %d to %q", resp.StatusCode, loc)
	}
	_, c := rp.redeem(resume(e, reqID))
	if c.ACR != acr.TwoFactor || !slices.Contains(c.AMR, "otp") || !slices.Contains(c.AMR, "mfa") {
		t.Errorf("ID token after password and code: acr %q amr %v; want %s with otp and mfa", c.ACR, c.AMR, acr.TwoFactor)
	}
}

// TestACRValuesStepUpFromPasswordSession: a browser signed in by password
// alone (a user who set up the authenticator app later) is sent by
// acr_values=urn:ostiary:acr:2fa to /account/mfa with the request, the
// parked request says which class it waits for, the code there raises the
// session, and the ID token says acr 2fa with otp and mfa in amr. The
// issued acr is the session's own: a request for 1fa from the raised
// session gets 2fa, never less than was done nor more.
func TestACRValuesStepUpFromPasswordSession(t *testing.T) {
	t.Parallel()
	e := newFlowEnv(t)
	rp := newACRRP(e)

	// Signed in by password only (no second factor yet): acr 1fa.
	reqID, next := passwordLogin(e, rp.start())
	if next != "/oauth2/authorize/resume?request="+reqID {
		t.Fatalf("after the password: %q; want the authorization to resume", next)
	}
	_, c := rp.redeem(resume(e, reqID))
	if c.ACR != acr.OneFactor || !slices.Equal(c.AMR, []string{"pwd"}) {
		t.Errorf("password ID token: acr %q amr %v; want %s [pwd]", c.ACR, c.AMR, acr.OneFactor)
	}
	secret := enrollTOTP(e)

	// prompt=none cannot step up: interaction_required (OIDC Core §3.1.2.6).
	resp := rp.start("acr_values", acr.TwoFactor, "prompt", "none")
	if loc := resp.Header.Get("Location"); !strings.HasPrefix(loc, flowRedirect+"?") || !strings.Contains(loc, "error=interaction_required") {
		t.Errorf("prompt=none with acr_values above the session: %q; want interaction_required", loc)
	}

	// acr_values lists classes in order of preference; one the server does
	// not know is ignored, the known one is insisted on.
	resp = rp.start("acr_values", "urn:example:gold "+acr.TwoFactor)
	loc := resp.Header.Get("Location")
	reqID, ok := strings.CutPrefix(loc, "/account/mfa?request=")
	if !ok {
		t.Fatalf("acr_values %s from a password session: %d to %q; want the step-up", acr.TwoFactor, resp.StatusCode, loc)
	}
	parked, err := e.store.GetAuthRequest(t.Context(), reqID, time.Now())
	must(t, err)
	if parked.ACR != acr.TwoFactor {
		t.Errorf("parked request acr %q, want %s", parked.ACR, acr.TwoFactor)
	}
	resp = e.post(loc, url.Values{"action": {"stepup"}, "code": {totp.Code(secret, totp.Step(time.Now())+1)}})
	if got := resp.Header.Get("Location"); got != "/oauth2/authorize/resume?request="+reqID {
		t.Fatalf("step-up: %d to %q", resp.StatusCode, got)
	}
	_, c = rp.redeem(resume(e, reqID))
	if c.ACR != acr.TwoFactor || !slices.Contains(c.AMR, "otp") || !slices.Contains(c.AMR, "mfa") || !slices.Contains(c.AMR, "pwd") {
		t.Errorf("stepped-up ID token: acr %q amr %v; want %s with pwd, otp and mfa", c.ACR, c.AMR, acr.TwoFactor)
	}

	// Asking for less gets what the session has; asking for what it has
	// goes straight through, also with prompt=none.
	for _, values := range []string{acr.OneFactor, acr.TwoFactor, "urn:example:unknown"} {
		loc := rp.start("acr_values", values, "prompt", "none").Header.Get("Location")
		if _, c := rp.redeem(loc); c.ACR != acr.TwoFactor {
			t.Errorf("acr_values %q from the raised session: acr %q, want %s", values, c.ACR, acr.TwoFactor)
		}
	}
	// Asking for a passkey, which the session never used: the step-up,
	// and interaction_required to prompt=none.
	if loc := rp.start("acr_values", acr.PhishingResistant).Header.Get("Location"); !strings.HasPrefix(loc, "/account/mfa?request=") {
		t.Errorf("acr_values phr from a code session: %q; want the step-up", loc)
	}
	if loc := rp.start("acr_values", acr.PhishingResistant, "prompt", "none").Header.Get("Location"); !strings.Contains(loc, "error=interaction_required") {
		t.Errorf("acr_values phr with prompt=none: %q; want interaction_required", loc)
	}
}

// TestACRValuesUnknownIgnored: acr_values are voluntary (OIDC Core
// §3.1.2.1): values this server does not know neither fail the request nor
// hold it up, and the ID token says the class actually reached.
func TestACRValuesUnknownIgnored(t *testing.T) {
	t.Parallel()
	e := newFlowEnv(t)
	rp := newACRRP(e)
	reqID, next := passwordLogin(e, rp.start("acr_values", "urn:example:gold urn:example:silver"))
	if next != "/oauth2/authorize/resume?request="+reqID {
		t.Fatalf("after the password: %q", next)
	}
	if _, c := rp.redeem(resume(e, reqID)); c.ACR != acr.OneFactor {
		t.Errorf("acr %q, want %s", c.ACR, acr.OneFactor)
	}
}

// TestOrgRequiresPasskey: an organization that requires a passkey sends a
// member signed in by password, and one signed in by password and
// authenticator code, to the step-up (never a code; prompt=none:
// interaction_required), and a grant made before the requirement was
// turned on stops refreshing (invalid_grant).
func TestOrgRequiresPasskey(t *testing.T) {
	t.Parallel()
	e := newFlowEnv(t)
	ctx := t.Context()
	now := time.Now()
	must(t, e.store.CreateOrg(ctx, storage.Organization{ID: "acme", Name: "Acme", CreatedAt: now}))
	must(t, e.store.AddMembership(ctx, storage.Membership{OrgID: "acme", UserID: "ann", Role: "member", CreatedAt: now}))
	rp := newACRRP(e)

	// Before the requirement: a password sign-in gets a code and a
	// refresh token.
	reqID, _ := passwordLogin(e, rp.start())
	before, c := rp.redeem(resume(e, reqID))
	if before.RefreshToken == "" || c.ACR != acr.OneFactor {
		t.Fatalf("before the requirement: refresh token %q, acr %q", before.RefreshToken, c.ACR)
	}

	org, err := e.p.Services.Orgs.SetRequirePasskey(ctx, accounts.Actor{ID: accounts.SystemActor}, "acme", true)
	must(t, err)
	if !org.RequirePasskey {
		t.Fatal("SetRequirePasskey did not turn the requirement on")
	}
	events, err := e.store.ListAudit(ctx, storage.AuditFilter{Type: "org.require_passkey"})
	must(t, err)
	if len(events) != 1 || events[0].Details["on"] != "true" {
		t.Errorf("audit org.require_passkey = %+v", events)
	}

	// The password session, resumed: the step-up, asking for phr.
	if loc := rp.start().Header.Get("Location"); !strings.HasPrefix(loc, "/account/mfa?request=") {
		t.Errorf("password session in a passkey organization: %q; want the step-up", loc)
	} else {
		parked, err := e.store.GetAuthRequest(ctx, strings.TrimPrefix(loc, "/account/mfa?request="), time.Now())
		must(t, err)
		if parked.ACR != acr.PhishingResistant {
			t.Errorf("parked acr %q, want %s", parked.ACR, acr.PhishingResistant)
		}
	}
	if loc := rp.start("prompt", "none").Header.Get("Location"); !strings.Contains(loc, "error=interaction_required") {
		t.Errorf("prompt=none: %q; want interaction_required", loc)
	}

	// The grant from before the requirement no longer refreshes.
	_, err = rp.conf.TokenSource(rp.ctx, &oauth2.Token{RefreshToken: before.RefreshToken, Expiry: time.Now().Add(-time.Minute)}).Token()
	var re *oauth2.RetrieveError
	if !errors.As(err, &re) || re.ErrorCode != "invalid_grant" || !strings.Contains(re.ErrorDescription, "passkey") {
		t.Errorf("refresh after the requirement: %v; want invalid_grant naming the passkey", err)
	}

	// Password and authenticator code: two factors, still not a passkey.
	secret := enrollTOTP(e)
	e.http.Jar, _ = cookiejar.New(nil)
	reqID, next := passwordLogin(e, rp.start())
	if next != "/login/mfa?request="+reqID {
		t.Fatalf("after the password: %q; want the second step", next)
	}
	resp := e.post(next, url.Values{"code": {totp.Code(secret, totp.Step(time.Now()))}})
	if loc := resp.Header.Get("Location"); loc != "/oauth2/authorize/resume?request="+reqID {
		t.Fatalf("second step: %q", loc)
	}
	if loc := resume(e, reqID); loc != "/account/mfa?request="+reqID {
		t.Errorf("password and code in a passkey organization: %q; want the step-up, never a code", loc)
	}

	// Turned off, the same session gets its code.
	_, err = e.p.Services.Orgs.SetRequirePasskey(ctx, accounts.Actor{ID: accounts.SystemActor}, "acme", false)
	must(t, err)
	if _, c := rp.redeem(resume(e, reqID)); c.ACR != acr.TwoFactor {
		t.Errorf("after the requirement is off: acr %q, want %s", c.ACR, acr.TwoFactor)
	}
}

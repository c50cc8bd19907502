package oauth

import (
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"golang.org/x/oauth2"

	"github.com/ostiary/ostiary/provider/acr"
	"github.com/ostiary/ostiary/provider/fault"
	"github.com/ostiary/ostiary/provider/randtoken"
	"github.com/ostiary/ostiary/storage"
)

// signInWith gives a new agent a browser session for u1 that signed in
// with amr.
func (h *harness) signInWith(amr ...string) *agent {
	a := h.agent()
	s := a.signIn("u1", "")
	s.AMR = amr
	h.browser.put(s)
	return a
}

// TestACRInEveryToken: the acr the session's amr reaches (acr.Of) is in the
// ID token (OIDC Core §2), the JWT access token (RFC 9068 §2.2.1) and
// introspection (RFC 7662 §2.2), and stays so through a refresh and a token
// exchange of a personal access token. A session stored with the older
// ["pwd","otp"] counts as two factors. On SQLite and PostgreSQL.
func TestACRInEveryToken(t *testing.T) {
	t.Parallel()
	onBothStores(t, func(t *testing.T, h *harness) {
		h.exchangeClients()
		for _, tc := range []struct {
			amr  []string
			want string
		}{
			{[]string{"pwd"}, acr.OneFactor},
			{[]string{"pwd", "otp"}, acr.TwoFactor},
			{[]string{"pwd", "otp", "mfa"}, acr.TwoFactor},
			{[]string{"pwd", "hwk", "user", "mfa"}, acr.PhishingResistant},
			{acr.Passkey(), acr.PhishingResistant},
		} {
			tokens := h.tokensFor(h.signInWith(tc.amr...), appClient)
			check := func(what string, body map[string]any) {
				t.Helper()
				_, id := h.accessClaims(str(body, "id_token"))
				_, at := h.accessClaims(str(body, "access_token"))
				in := h.introspect(str(body, "access_token"))
				amr, _ := id["amr"].([]any)
				if id["acr"] != tc.want || at["acr"] != tc.want || in["acr"] != tc.want || len(amr) != len(tc.amr) {
					t.Errorf("%s of amr %v: ID token acr %v amr %v, access token acr %v, introspection acr %v; want %s",
						what, tc.amr, id["acr"], amr, at["acr"], in["acr"], tc.want)
				}
			}
			check("code exchange", tokens)
			resp, body := h.refresh(appClient, str(tokens, "refresh_token"))
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("refresh: %d %v", resp.StatusCode, body)
			}
			check("refresh", body)

			token, _ := h.newPAT("u1", []string{"openid"}, time.Time{}, tc.amr...)
			resp, body = h.token(cliClient, exchangeForm(token))
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("PAT exchange: %d %v", resp.StatusCode, body)
			}
			if _, at := h.accessClaims(str(body, "access_token")); at["acr"] != tc.want {
				t.Errorf("PAT of amr %v exchanged: access token acr %v, want %s", tc.amr, at["acr"], tc.want)
			}
		}
		// A client acting for itself has no sign-in and no acr.
		resp, body := h.token(svcClient, map[string][]string{"grant_type": {"client_credentials"}})
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("client_credentials: %d %v", resp.StatusCode, body)
		}
		if _, at := h.accessClaims(str(body, "access_token")); at["acr"] != nil {
			t.Errorf("client_credentials access token acr %v, want none", at["acr"])
		}
	})
}

// TestOrgRequiresPasskeyGrants: an organization that requires a passkey
// (storage.Organization.RequirePasskey) stops the refresh of a grant made
// without one, the exchange of a personal access token made without one
// and the exchange of such a grant's access token (invalid_grant, naming
// the passkey), and sends the session to the step-up; passkey grants go
// on. Two factors without a passkey are not enough. On SQLite and
// PostgreSQL.
func TestOrgRequiresPasskeyGrants(t *testing.T) {
	t.Parallel()
	onBothStores(t, func(t *testing.T, h *harness) {
		h.exchangeClients()
		h.backendClients()
		ctx := t.Context()
		otp := h.signInWith("pwd", "otp", "mfa")
		otpTokens := h.tokensFor(otp, appClient)
		passkey := h.signInWith(acr.Passkey()...)
		passkeyTokens := h.tokensFor(passkey, appClient)
		subject, _ := h.userTokens("openid")
		otpPAT, _ := h.newPAT("u1", []string{"openid"}, time.Time{}, "pwd", "otp")
		passkeyPAT, _ := h.newPAT("u1", []string{"openid"}, time.Time{}, acr.Passkey()...)

		h.must("require passkey", h.store.UpdateOrg(ctx, "o1", func(o storage.Organization) (storage.Organization, error) {
			o.RequirePasskey = true
			return o, nil
		}))
		refused := func(what string, resp *http.Response, body map[string]any) {
			t.Helper()
			wantOAuthError(t, what, resp, body, http.StatusBadRequest, "invalid_grant")
			if d := str(body, "error_description"); !strings.Contains(d, "passkey") {
				t.Errorf("%s: error_description %q does not name the passkey", what, d)
			}
		}
		resp, body := h.refresh(appClient, str(otpTokens, "refresh_token"))
		refused("refresh of a two-factor grant", resp, body)
		resp, body = h.token(cliClient, exchangeForm(otpPAT))
		refused("exchange of a two-factor PAT", resp, body)
		resp, body = h.exchange(backendClient, tokenExchangeForm(subject, TokenTypeAccessToken, "audience", audienceB))
		refused("exchange of a password grant's access token", resp, body)

		if resp := otp.get(h.authURL(appClient, s256("verifier-passkey-0123456789abcdefghijklmnop"), nil)); resp.StatusCode != http.StatusFound {
			t.Errorf("authorization of the two-factor session: %d", resp.StatusCode)
		} else if loc, _ := resp.Location(); loc == nil || loc.Path != PathMFASetup {
			t.Errorf("authorization of the two-factor session went to %v, want %s", loc, PathMFASetup)
		} else {
			parked, err := h.store.GetAuthRequest(ctx, loc.Query().Get("request"), h.clock.Now())
			h.must("GetAuthRequest", err)
			if parked.ACR != acr.PhishingResistant {
				t.Errorf("parked request acr %q, want %s", parked.ACR, acr.PhishingResistant)
			}
		}

		resp, body = h.refresh(appClient, str(passkeyTokens, "refresh_token"))
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("refresh of a passkey grant: %d %v", resp.StatusCode, body)
		}
		if _, id := h.accessClaims(str(body, "id_token")); id["acr"] != acr.PhishingResistant || !slices.Contains(anyStrings(id["amr"]), "hwk") {
			t.Errorf("refreshed passkey ID token: acr %v amr %v", id["acr"], id["amr"])
		}
		if resp, body := h.token(cliClient, exchangeForm(passkeyPAT)); resp.StatusCode != http.StatusOK {
			t.Errorf("exchange of a passkey PAT: %d %v", resp.StatusCode, body)
		}
		h.codeFor(passkey, appClient, nil, noPages)
	})
}

// onBothStores runs test in parallel on a harness over SQLite and one over
// PostgreSQL.
func onBothStores(t *testing.T, test func(*testing.T, *harness)) {
	for name, open := range map[string]func(testing.TB) storage.Store{"sqlite": openSQLite, "postgres": openPostgres} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			test(t, newHarnessOn(t, open(t)))
		})
	}
}

func anyStrings(v any) []string {
	l, _ := v.([]any)
	out := make([]string, 0, len(l))
	for _, x := range l {
		s, _ := x.(string)
		out = append(out, s)
	}
	return out
}

// TestACRValuesPushedAndRequestObject: acr_values inside a pushed request
// (RFC 9126) and inside a signed request object (RFC 9101) count as in the
// query: a password session is sent to the step-up, and with prompt=none
// the client gets interaction_required (OIDC Core §3.1.2.6) on its
// redirect URI.
func TestACRValuesPushedAndRequestObject(t *testing.T) {
	t.Parallel()
	h, k := newJARHarness(t)
	stepUp := func(what string, resp *http.Response) {
		t.Helper()
		if loc, _ := resp.Location(); resp.StatusCode != http.StatusFound || loc == nil || loc.Path != PathMFASetup {
			t.Errorf("%s: %d to %v, want the step-up %s", what, resp.StatusCode, loc, PathMFASetup)
		}
	}
	refused := func(what string, resp *http.Response) {
		t.Helper()
		loc, _ := resp.Location()
		if loc == nil || !strings.HasPrefix(loc.String(), appRedirect) && !strings.HasPrefix(loc.String(), jarClient.redirect) ||
			loc.Query().Get("error") != "interaction_required" {
			t.Errorf("%s: %d to %v, want interaction_required on the redirect URI", what, resp.StatusCode, loc)
		}
	}
	a := h.signInWith("pwd")
	acr2 := url.Values{"acr_values": {acr.TwoFactor}}
	stepUp("pushed acr_values", a.get(h.byReference(appClient, h.pushed(appClient, s256(randtoken.New()+"x"), acr2), nil)))
	refused("pushed acr_values with prompt=none", a.get(h.byReference(appClient,
		h.pushed(appClient, s256(randtoken.New()+"x"), url.Values{"acr_values": {acr.TwoFactor}, "prompt": {"none"}}), nil)))

	for _, prompt := range []string{"", "none"} {
		claims := h.jarClaims(jarClient, oauth2.GenerateVerifier(), "openid")
		claims["acr_values"] = "urn:example:gold " + acr.PhishingResistant
		if prompt != "" {
			claims["prompt"] = prompt
		}
		obj := h.requestObject(k.ec, "e1", jose.ES256, claims)
		resp := a.get(h.issuer + "/oauth2/authorize?" + url.Values{"client_id": {jarClient.id}, "response_type": {"code"}, "request": {obj}}.Encode())
		if prompt == "" {
			stepUp("request object acr_values", resp)
		} else {
			refused("request object acr_values with prompt=none", resp)
		}
	}
	// A passkey session satisfies both.
	p := h.signInWith(acr.Passkey()...)
	if resp := p.get(h.byReference(appClient, h.pushed(appClient, s256(randtoken.New()+"x"), acr2), nil)); resp.StatusCode != http.StatusSeeOther && resp.StatusCode != http.StatusFound {
		t.Errorf("passkey session with pushed acr_values: %d", resp.StatusCode)
	} else if loc, _ := resp.Location(); loc == nil || loc.Query().Get("code") == "" {
		t.Errorf("passkey session with pushed acr_values: to %v, want a code", loc)
	}
}

// TestDeviceGrantACRAndPasskeyRequirement: the device grant (RFC 8628)
// carries the approving session's acr into its tokens; an organization
// that requires a passkey refuses the approval by a session without one
// (a forbidden fault, shown on the device page), and a grant approved
// before the requirement was turned on is refused at the poll
// (invalid_grant).
func TestDeviceGrantACRAndPasskeyRequirement(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	seedDeviceClients(h)
	ctx := t.Context()
	otp := h.agent().signIn("u1", "")
	otp.AMR = []string{"pwd", "otp", "mfa"}
	h.browser.put(otp)

	dc, uc := h.startDevice(tvClient, "openid")
	h.must("DecideDevice", h.s.DecideDevice(ctx, uc, otp, "", true))
	resp, tok := h.poll(tvClient, dc)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("poll: %d %v", resp.StatusCode, tok)
	}
	if _, id := h.accessClaims(str(tok, "id_token")); id["acr"] != acr.TwoFactor {
		t.Errorf("device ID token acr %v, want %s", id["acr"], acr.TwoFactor)
	}
	if _, at := h.accessClaims(str(tok, "access_token")); at["acr"] != acr.TwoFactor {
		t.Errorf("device access token acr %v, want %s", at["acr"], acr.TwoFactor)
	}

	approved, uc2 := h.startDevice(tvClient, "openid")
	h.must("DecideDevice before the requirement", h.s.DecideDevice(ctx, uc2, otp, "", true))
	h.must("require passkey", h.store.UpdateOrg(ctx, "o1", func(o storage.Organization) (storage.Organization, error) {
		o.RequirePasskey = true
		return o, nil
	}))
	resp, body := h.poll(tvClient, approved)
	wantOAuthError(t, "poll of a grant approved without a passkey", resp, body, http.StatusBadRequest, "invalid_grant")
	if d := str(body, "error_description"); !strings.Contains(d, "passkey") {
		t.Errorf("error_description %q does not name the passkey", d)
	}
	_, uc3 := h.startDevice(tvClient, "openid")
	if err := h.s.DecideDevice(ctx, uc3, otp, "", true); fault.KindOf(err) != fault.Forbidden || !strings.Contains(err.Error(), "passkey") {
		t.Errorf("approval by a two-factor session: %v, want a forbidden fault naming the passkey", err)
	}
	passkey := h.agent().signIn("u1", "")
	passkey.AMR = acr.Passkey()
	h.browser.put(passkey)
	h.must("DecideDevice by a passkey session", h.s.DecideDevice(ctx, uc3, passkey, "", true))
}

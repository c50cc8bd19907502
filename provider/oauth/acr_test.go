package oauth

import (
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ostiary/ostiary/provider/acr"
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

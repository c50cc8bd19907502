package oauth

import (
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"testing"
	"time"

	"github.com/ostiary/ostiary/provider/discovery"
)

// TestClaimsSupportedCoversIssuedClaims: every claim the provider actually
// puts in an ID token, an access token or a userinfo answer is listed in
// the discovery document's claims_supported (OIDC Discovery 1.0 §3), so the
// list cannot drift from what is issued. The claims are collected from
// real tokens of every grant, with every scope (groups included), an
// organization and an upstream sign-in, fresh and refreshed.
func TestClaimsSupportedCoversIssuedClaims(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.exchangeClients()
	a := h.agent()
	s := a.signIn("u1", "")
	s.IdP, s.AMR = "upstream", []string{"pwd", "otp"}
	h.browser.put(s)
	seen := map[string][]string{}
	collect := func(what string, claims map[string]any) {
		t.Helper()
		if len(claims) == 0 {
			t.Fatalf("%s: no claims", what)
		}
		for c := range claims {
			seen[c] = append(seen[c], what)
		}
	}
	jwtClaims := func(what, token string) {
		t.Helper()
		_, claims := h.accessClaims(token)
		collect(what, claims)
	}

	code := h.tokensFor(a, appClient)
	jwtClaims("ID token", str(code, "id_token"))
	jwtClaims("access token", str(code, "access_token"))
	_, refreshed := h.refresh(appClient, str(code, "refresh_token"))
	jwtClaims("refreshed ID token", str(refreshed, "id_token"))
	jwtClaims("refreshed access token", str(refreshed, "access_token"))
	_, cc := h.token(svcClient, url.Values{"grant_type": {"client_credentials"}, "scope": {"api:read"}})
	jwtClaims("client_credentials access token", str(cc, "access_token"))
	pat, _ := h.newPAT("u1", []string{"openid", "profile"}, h.clock.Now().Add(time.Hour))
	_, exchanged := h.token(cliClient, exchangeForm(pat))
	jwtClaims("exchanged access token", str(exchanged, "access_token"))

	// The groups scope (groups, org_roles), in every token and userinfo.
	h.addGroupsClient()
	grp := h.groupsTokens("u2", "o2", "openid profile email offline_access groups")
	jwtClaims("groups ID token", str(grp, "id_token"))
	jwtClaims("groups access token", str(grp, "access_token"))
	_, grpRefreshed := h.refresh(groupsClient, str(grp, "refresh_token"))
	jwtClaims("refreshed groups ID token", str(grpRefreshed, "id_token"))
	jwtClaims("refreshed groups access token", str(grpRefreshed, "access_token"))
	collect("groups userinfo", h.bearerUserinfo(str(grpRefreshed, "access_token")))

	req, _ := http.NewRequest(http.MethodGet, h.issuer+"/oauth2/userinfo", nil)
	req.Header.Set("Authorization", "Bearer "+str(refreshed, "access_token"))
	resp, err := http.DefaultClient.Do(req)
	h.must("userinfo", err)
	userinfo := map[string]any{}
	h.must("decode userinfo", json.NewDecoder(resp.Body).Decode(&userinfo))
	resp.Body.Close()
	collect("userinfo", userinfo)

	supported := discovery.NewMetadata(h.issuer).ClaimsSupported
	var missing []string
	for c, where := range seen {
		if !slices.Contains(supported, c) {
			missing = append(missing, c+" (in "+where[0]+")")
		}
	}
	sort.Strings(missing)
	if len(missing) > 0 {
		t.Errorf("claims issued but not in claims_supported: %v", missing)
	}
	// And the other way round: nothing listed that is never issued.
	for _, c := range supported {
		if seen[c] == nil {
			t.Errorf("claims_supported lists %q, which no token or userinfo answer carries", c)
		}
	}
}

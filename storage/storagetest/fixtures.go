package storagetest

import (
	"testing"
	"time"

	"github.com/ostiary/ostiary/provider/randtoken"
	"github.com/ostiary/ostiary/storage"
)

// fullClient sets every field to a non-zero value so a round trip proves
// each column is kept.
func fullClient(id string, created time.Time) storage.Client {
	return storage.Client{
		ID:                               id,
		SecretHash:                       []byte{0x00, 0xff, 0x10, 0x80, 0x7f},
		Name:                             "Client " + id,
		Public:                           true,
		FirstParty:                       true,
		PKCEOptional:                     true,
		IDTokenSignedResponseAlg:         "ES256",
		RequestObjectSigningAlg:          "PS256",
		RequireSignedRequestObject:       true,
		DPoPBoundAccessTokens:            true,
		RedirectURIs:                     []string{"https://app.example/cb", "http://127.0.0.1:8080/cb?x=1"},
		PostLogoutRedirectURIs:           []string{"https://app.example/bye"},
		CORSOrigins:                      []string{"https://app.example", "https://other.example"},
		GrantTypes:                       []string{"authorization_code", "refresh_token"},
		ResponseTypes:                    []string{"code"},
		Scopes:                           []string{"openid", "profile", "email", "offline_access"},
		Audiences:                        []string{"https://api.example"},
		ExchangeAudiences:                []string{"https://b.example", "https://c.example/api"},
		APIs:                             []string{"https://api.example/orders", "urn:example:billing"},
		DefaultAPI:                       "https://api.example/orders",
		TokenEndpointAuthMethod:          "private_key_jwt",
		JWKS:                             []byte(`{"keys":[{"kty":"RSA","n":"x","e":"AQAB"}]}`),
		JWKSURI:                          "https://app.example/jwks.json",
		LogoURI:                          "https://app.example/logo.png",
		PolicyURI:                        "https://app.example/policy",
		TOSURI:                           "https://app.example/tos",
		BackchannelLogoutURI:             "https://app.example/bcl",
		BackchannelLogoutSessionRequired: true,
		OrgID:                            "org-bound",
		AccessTokenLifespan:              90*time.Minute + 1500*time.Millisecond,
		RefreshTokenLifespan:             720 * time.Hour,
		IDTokenLifespan:                  time.Nanosecond,
		CreatedAt:                        created,
		UpdatedAt:                        created.Add(time.Second),

		RequirePushedAuthorizationRequests: true,
	}
}

func fullUser(id, email string, created time.Time) storage.User {
	return storage.User{
		ID:            id,
		Email:         email,
		Name:          "Name of " + id,
		PasswordHash:  "$argon2id$v=19$m=65536,t=3,p=4$c2FsdHNhbHQ$aGFzaGhhc2g",
		EmailVerified: true,
		Disabled:      true,
		Admin:         true,
		CreatedAt:     created,
		UpdatedAt:     created.Add(time.Minute),
	}
}

// seedUser creates an ordinary enabled user.
func seedUser(t *testing.T, s storage.Store, id string) storage.User {
	t.Helper()
	u := storage.User{ID: id, Email: id + "@example.com", Name: id, CreatedAt: base, UpdatedAt: base}
	must(t, "CreateUser "+id, s.CreateUser(t.Context(), u))
	return u
}

func seedOrg(t *testing.T, s storage.Store, id, name string, created time.Time) storage.Organization {
	t.Helper()
	o := storage.Organization{ID: id, Name: name, CreatedAt: created, UpdatedAt: created}
	must(t, "CreateOrg "+id, s.CreateOrg(t.Context(), o))
	return o
}

func seedClient(t *testing.T, s storage.Store, id string) storage.Client {
	t.Helper()
	c := storage.Client{ID: id, Name: id, CreatedAt: base, UpdatedAt: base}
	must(t, "CreateClient "+id, s.CreateClient(t.Context(), c))
	return c
}

func fullSession(id, userID string, created time.Time) storage.Session {
	return storage.Session{
		ID:              id,
		TokenHash:       hashOf("session-secret-" + id),
		UserID:          userID,
		OrgID:           "o1",
		AuthTime:        created.Add(-time.Second),
		AMR:             []string{"pwd", "otp"},
		IdP:             "corp",
		UpstreamIDToken: "eyJ.upstream.token",
		IP:              "2001:db8::1",
		UserAgent:       "Mozilla/5.0 (X11; Linux x86_64)",
		CreatedAt:       created,
		LastSeen:        created.Add(time.Minute),
		ExpiresAt:       created.Add(24 * time.Hour),
	}
}

func fullToken(kind storage.TokenKind, sig, requestID string, requested time.Time) storage.TokenRecord {
	return storage.TokenRecord{
		Kind:             kind,
		Signature:        sig,
		RequestID:        requestID,
		RequestedAt:      requested,
		ClientID:         "client-" + requestID,
		Subject:          "subject-" + requestID,
		SessionID:        "session-" + requestID,
		OrgID:            "org-" + requestID,
		Scopes:           []string{"openid", "offline_access", "profile"},
		GrantedScopes:    []string{"openid", "offline_access"},
		Audiences:        []string{"https://api.example"},
		GrantedAudiences: []string{"https://api.example"},
		Form:             "client_id=c&redirect_uri=https%3A%2F%2Fapp.example%2Fcb&scope=openid+offline_access",
		Session:          []byte(`{"id_token":{"subject":"u"},"extra":{"org_id":"o"}}`),
		Active:           true,
		ExpiresAt:        requested.Add(time.Hour),
		AccessSignature:  "access-of-" + sig,
		FirstUsedAt:      requested.Add(time.Minute),
		FamilyExpiresAt:  requested.Add(30 * 24 * time.Hour),
	}
}

func hashOf(s string) []byte { return randtoken.Hash(s) }

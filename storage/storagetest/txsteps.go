package storagetest

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/ostiary/ostiary/storage"
)

func present(t *testing.T, what string, err error) {
	t.Helper()
	if err != nil {
		t.Errorf("%s: %v", what, err)
	}
}

func absent(t *testing.T, what string, err error) {
	t.Helper()
	wantErr(t, what, err, storage.ErrNotFound)
}

func wantCount(what string, n, want int, err error) error {
	if err != nil {
		return err
	}
	if n != want {
		return fmt.Errorf("%s = %d, want %d", what, n, want)
	}
	return nil
}

// txSteps lists one write per method, on the fixtures of seedTxFixtures.
func txSteps(s storage.Store) []txStep {
	var steps []txStep
	add := func(st txStep) { steps = append(steps, st) }
	steps = append(steps, txClientUserSteps(s)...)
	steps = append(steps, txSessionSteps(s)...)
	steps = append(steps, txTokenSteps(s)...)
	add(txStep{"UpdateKeySet",
		func(ctx context.Context) error {
			return s.UpdateKeySet(ctx, func(ks storage.KeySet) (storage.KeySet, error) {
				ks.Keys = append(ks.Keys, signingKey("k1", base))
				return ks, nil
			})
		},
		func(t *testing.T, ctx context.Context) {
			ks, err := s.GetKeySet(ctx)
			present(t, "GetKeySet", err)
			if ks.Version != 1 || len(ks.Keys) != 1 {
				t.Errorf("GetKeySet = version %d with %d keys, want version 1 with 1", ks.Version, len(ks.Keys))
			}
		},
		func(t *testing.T, ctx context.Context) {
			ks, err := s.GetKeySet(ctx)
			present(t, "GetKeySet", err)
			if ks.Version != 0 || len(ks.Keys) != 0 {
				t.Errorf("GetKeySet = version %d with %d keys, want the empty set", ks.Version, len(ks.Keys))
			}
		}})
	steps = append(steps, txOutboxSteps(s)...)
	return steps
}

func txClientUserSteps(s storage.Store) []txStep {
	getClientName := func(t *testing.T, ctx context.Context, id string) string {
		t.Helper()
		c, err := s.GetClient(ctx, id)
		present(t, "GetClient "+id, err)
		return c.Name
	}
	return []txStep{
		{"CreateClient",
			func(ctx context.Context) error { return s.CreateClient(ctx, storage.Client{ID: "c-new", Name: "new"}) },
			func(t *testing.T, ctx context.Context) {
				_, err := s.GetClient(ctx, "c-new")
				present(t, "GetClient", err)
				list, err := s.ListClients(ctx)
				present(t, "ListClients", err)
				if !slices.ContainsFunc(list, func(c storage.Client) bool { return c.ID == "c-new" }) {
					t.Error("ListClients misses c-new")
				}
			},
			func(t *testing.T, ctx context.Context) {
				_, err := s.GetClient(ctx, "c-new")
				absent(t, "GetClient", err)
			}},
		{"UpdateClient",
			func(ctx context.Context) error {
				return s.UpdateClient(ctx, "c-upd", func(c storage.Client) (storage.Client, error) { c.Name = "updated"; return c, nil })
			},
			func(t *testing.T, ctx context.Context) {
				if n := getClientName(t, ctx, "c-upd"); n != "updated" {
					t.Errorf("client name = %q, want updated", n)
				}
			},
			func(t *testing.T, ctx context.Context) {
				if n := getClientName(t, ctx, "c-upd"); n != "c-upd" {
					t.Errorf("client name = %q, want c-upd", n)
				}
			}},
		{"DeleteClient",
			func(ctx context.Context) error { return s.DeleteClient(ctx, "c-del") },
			func(t *testing.T, ctx context.Context) {
				_, err := s.GetClient(ctx, "c-del")
				absent(t, "GetClient", err)
			},
			func(t *testing.T, ctx context.Context) {
				_, err := s.GetClient(ctx, "c-del")
				present(t, "GetClient", err)
			}},
		{"CreateUser",
			func(ctx context.Context) error {
				return s.CreateUser(ctx, storage.User{ID: "u-new", Email: "u-new@example.com"})
			},
			func(t *testing.T, ctx context.Context) {
				_, err := s.GetUserByEmail(ctx, "U-NEW@example.com")
				present(t, "GetUserByEmail", err)
				list, err := s.ListUsers(ctx)
				present(t, "ListUsers", err)
				if !slices.ContainsFunc(list, func(u storage.User) bool { return u.ID == "u-new" }) {
					t.Error("ListUsers misses u-new")
				}
			},
			func(t *testing.T, ctx context.Context) { _, err := s.GetUser(ctx, "u-new"); absent(t, "GetUser", err) }},
		{"UpdateUser",
			func(ctx context.Context) error {
				return s.UpdateUser(ctx, "u-upd", func(u storage.User) (storage.User, error) { u.Name = "updated"; return u, nil })
			},
			func(t *testing.T, ctx context.Context) {
				u, err := s.GetUser(ctx, "u-upd")
				present(t, "GetUser", err)
				if u.Name != "updated" {
					t.Errorf("user name = %q, want updated", u.Name)
				}
			},
			func(t *testing.T, ctx context.Context) {
				u, err := s.GetUser(ctx, "u-upd")
				present(t, "GetUser", err)
				if u.Name != "u-upd" {
					t.Errorf("user name = %q, want u-upd", u.Name)
				}
			}},
		{"DeleteUser",
			func(ctx context.Context) error { return s.DeleteUser(ctx, "u-del") },
			func(t *testing.T, ctx context.Context) { _, err := s.GetUser(ctx, "u-del"); absent(t, "GetUser", err) },
			func(t *testing.T, ctx context.Context) { _, err := s.GetUser(ctx, "u-del"); present(t, "GetUser", err) }},
		{"CreateOrg",
			func(ctx context.Context) error {
				return s.CreateOrg(ctx, storage.Organization{ID: "o-new", Name: "New"})
			},
			func(t *testing.T, ctx context.Context) {
				list, err := s.ListOrgs(ctx)
				present(t, "ListOrgs", err)
				if !slices.ContainsFunc(list, func(o storage.Organization) bool { return o.ID == "o-new" }) {
					t.Error("ListOrgs misses o-new")
				}
			},
			func(t *testing.T, ctx context.Context) { _, err := s.GetOrg(ctx, "o-new"); absent(t, "GetOrg", err) }},
		{"UpdateOrg",
			func(ctx context.Context) error {
				return s.UpdateOrg(ctx, "o-upd", func(o storage.Organization) (storage.Organization, error) { o.Name = "Renamed"; return o, nil })
			},
			func(t *testing.T, ctx context.Context) {
				o, err := s.GetOrg(ctx, "o-upd")
				present(t, "GetOrg", err)
				if o.Name != "Renamed" {
					t.Errorf("org name = %q, want Renamed", o.Name)
				}
			},
			func(t *testing.T, ctx context.Context) {
				o, err := s.GetOrg(ctx, "o-upd")
				present(t, "GetOrg", err)
				if o.Name != "Name o-upd" {
					t.Errorf("org name = %q, want Name o-upd", o.Name)
				}
			}},
		{"DeleteOrg",
			func(ctx context.Context) error { return s.DeleteOrg(ctx, "o-del") },
			func(t *testing.T, ctx context.Context) { _, err := s.GetOrg(ctx, "o-del"); absent(t, "GetOrg", err) },
			func(t *testing.T, ctx context.Context) { _, err := s.GetOrg(ctx, "o-del"); present(t, "GetOrg", err) }},
		{"AddMembership",
			func(ctx context.Context) error {
				return s.AddMembership(ctx, storage.Membership{OrgID: "o-upd", UserID: "u0", Role: "admin"})
			},
			func(t *testing.T, ctx context.Context) {
				_, err := s.GetMembership(ctx, "o-upd", "u0")
				present(t, "GetMembership", err)
				byUser, err := s.ListMembershipsByUser(ctx, "u0")
				present(t, "ListMembershipsByUser", err)
				if !slices.ContainsFunc(byUser, func(m storage.Membership) bool { return m.OrgID == "o-upd" }) {
					t.Error("ListMembershipsByUser misses the new membership")
				}
				byOrg, err := s.ListMembersByOrg(ctx, "o-upd")
				present(t, "ListMembersByOrg", err)
				if len(byOrg) != 1 {
					t.Errorf("ListMembersByOrg = %d members, want 1", len(byOrg))
				}
			},
			func(t *testing.T, ctx context.Context) {
				_, err := s.GetMembership(ctx, "o-upd", "u0")
				absent(t, "GetMembership", err)
			}},
		{"UpdateMembershipRole",
			func(ctx context.Context) error { return s.UpdateMembershipRole(ctx, "o0", "u-upd", "owner") },
			func(t *testing.T, ctx context.Context) {
				m, err := s.GetMembership(ctx, "o0", "u-upd")
				present(t, "GetMembership", err)
				if m.Role != "owner" {
					t.Errorf("role = %q, want owner", m.Role)
				}
			},
			func(t *testing.T, ctx context.Context) {
				m, err := s.GetMembership(ctx, "o0", "u-upd")
				present(t, "GetMembership", err)
				if m.Role != "member" {
					t.Errorf("role = %q, want member", m.Role)
				}
			}},
		{"DeleteMembership",
			func(ctx context.Context) error { return s.DeleteMembership(ctx, "o0", "u0") },
			func(t *testing.T, ctx context.Context) {
				_, err := s.GetMembership(ctx, "o0", "u0")
				absent(t, "GetMembership", err)
			},
			func(t *testing.T, ctx context.Context) {
				_, err := s.GetMembership(ctx, "o0", "u0")
				present(t, "GetMembership", err)
			}},
	}
}

func txSessionSteps(s storage.Store) []txStep {
	getSession := func(ctx context.Context, id string) error {
		_, err := s.GetSession(ctx, id, at(-2*time.Hour))
		return err
	}
	getAuthReq := func(ctx context.Context, id string) error {
		_, err := s.GetAuthRequest(ctx, id, at(-2*time.Hour))
		return err
	}
	return []txStep{
		{"CreateSession",
			func(ctx context.Context) error {
				return s.CreateSession(ctx, storage.Session{ID: "s-new", TokenHash: hashOf("s-new"), UserID: "u0", CreatedAt: at(time.Second), ExpiresAt: at(time.Hour)})
			},
			func(t *testing.T, ctx context.Context) {
				_, err := s.GetSessionByTokenHash(ctx, hashOf("s-new"), base)
				present(t, "GetSessionByTokenHash", err)
				list, err := s.ListSessionsByUser(ctx, "u0", base)
				present(t, "ListSessionsByUser", err)
				if len(list) == 0 || list[0].ID != "s-new" {
					t.Errorf("ListSessionsByUser does not start with s-new: %+v", list)
				}
			},
			func(t *testing.T, ctx context.Context) { absent(t, "GetSession", getSession(ctx, "s-new")) }},
		{"UpdateSession",
			func(ctx context.Context) error {
				return s.UpdateSession(ctx, "s-upd", func(x storage.Session) (storage.Session, error) { x.IP = "203.0.113.9"; return x, nil })
			},
			func(t *testing.T, ctx context.Context) {
				x, err := s.GetSession(ctx, "s-upd", base)
				present(t, "GetSession", err)
				if x.IP != "203.0.113.9" {
					t.Errorf("IP = %q after update", x.IP)
				}
			},
			func(t *testing.T, ctx context.Context) {
				x, err := s.GetSession(ctx, "s-upd", base)
				present(t, "GetSession", err)
				if x.IP != "" {
					t.Errorf("IP = %q after rollback", x.IP)
				}
			}},
		{"DeleteSession",
			func(ctx context.Context) error { return s.DeleteSession(ctx, "s-del") },
			func(t *testing.T, ctx context.Context) { absent(t, "GetSession", getSession(ctx, "s-del")) },
			func(t *testing.T, ctx context.Context) { present(t, "GetSession", getSession(ctx, "s-del")) }},
		{"DeleteSessionsByUser",
			func(ctx context.Context) error {
				removed, err := s.DeleteSessionsByUser(ctx, "u-all", "")
				return wantCount("DeleteSessionsByUser", len(removed), 1, err)
			},
			func(t *testing.T, ctx context.Context) { absent(t, "GetSession", getSession(ctx, "s-all")) },
			func(t *testing.T, ctx context.Context) { present(t, "GetSession", getSession(ctx, "s-all")) }},
		{"DeleteExpiredSessions",
			func(ctx context.Context) error {
				n, err := s.DeleteExpiredSessions(ctx, base, 10)
				return wantCount("DeleteExpiredSessions", n, 1, err)
			},
			func(t *testing.T, ctx context.Context) { absent(t, "GetSession", getSession(ctx, "s-exp")) },
			func(t *testing.T, ctx context.Context) { present(t, "GetSession", getSession(ctx, "s-exp")) }},
		{"CreateAuthRequest",
			func(ctx context.Context) error {
				return s.CreateAuthRequest(ctx, storage.AuthRequest{ID: "r-new", ClientID: "c", ExpiresAt: at(time.Hour)})
			},
			func(t *testing.T, ctx context.Context) { present(t, "GetAuthRequest", getAuthReq(ctx, "r-new")) },
			func(t *testing.T, ctx context.Context) { absent(t, "GetAuthRequest", getAuthReq(ctx, "r-new")) }},
		{"UpdateAuthRequest",
			func(ctx context.Context) error {
				return s.UpdateAuthRequest(ctx, "r-upd", func(r storage.AuthRequest) (storage.AuthRequest, error) { r.ConsentGiven = true; return r, nil })
			},
			func(t *testing.T, ctx context.Context) {
				r, err := s.GetAuthRequest(ctx, "r-upd", base)
				present(t, "GetAuthRequest", err)
				if !r.ConsentGiven {
					t.Error("ConsentGiven not set")
				}
			},
			func(t *testing.T, ctx context.Context) {
				r, err := s.GetAuthRequest(ctx, "r-upd", base)
				present(t, "GetAuthRequest", err)
				if r.ConsentGiven {
					t.Error("ConsentGiven survived the rollback")
				}
			}},
		{"DeleteAuthRequest",
			func(ctx context.Context) error { return s.DeleteAuthRequest(ctx, "r-del") },
			func(t *testing.T, ctx context.Context) { absent(t, "GetAuthRequest", getAuthReq(ctx, "r-del")) },
			func(t *testing.T, ctx context.Context) { present(t, "GetAuthRequest", getAuthReq(ctx, "r-del")) }},
		{"DeleteExpiredAuthRequests",
			func(ctx context.Context) error {
				n, err := s.DeleteExpiredAuthRequests(ctx, base, 10)
				return wantCount("DeleteExpiredAuthRequests", n, 1, err)
			},
			func(t *testing.T, ctx context.Context) { absent(t, "GetAuthRequest", getAuthReq(ctx, "r-exp")) },
			func(t *testing.T, ctx context.Context) { present(t, "GetAuthRequest", getAuthReq(ctx, "r-exp")) }},
		{"PutConsent",
			func(ctx context.Context) error {
				return s.PutConsent(ctx, storage.Consent{UserID: "u-upd", ClientID: "c-upd", Scopes: []string{"email"}})
			},
			func(t *testing.T, ctx context.Context) {
				list, err := s.ListConsentsByUser(ctx, "u-upd")
				present(t, "ListConsentsByUser", err)
				if len(list) != 1 {
					t.Errorf("ListConsentsByUser = %d consents, want 1", len(list))
				}
			},
			func(t *testing.T, ctx context.Context) {
				_, err := s.GetConsent(ctx, "u-upd", "c-upd")
				absent(t, "GetConsent", err)
			}},
		{"DeleteConsent",
			func(ctx context.Context) error { return s.DeleteConsent(ctx, "u0", "c-upd") },
			func(t *testing.T, ctx context.Context) {
				_, err := s.GetConsent(ctx, "u0", "c-upd")
				absent(t, "GetConsent", err)
			},
			func(t *testing.T, ctx context.Context) {
				_, err := s.GetConsent(ctx, "u0", "c-upd")
				present(t, "GetConsent", err)
			}},
	}
}

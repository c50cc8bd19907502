package storagetest

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/ostiary/ostiary/storage"
)

func txTokenSteps(s storage.Store) []txStep {
	active := func(t *testing.T, ctx context.Context, kind storage.TokenKind, sig string, want bool) {
		t.Helper()
		r, err := s.GetToken(ctx, kind, sig)
		present(t, "GetToken "+sig, err)
		if err == nil && r.Active != want {
			t.Errorf("%s active = %v, want %v", sig, r.Active, want)
		}
	}
	getToken := func(ctx context.Context, kind storage.TokenKind, sig string) error {
		_, err := s.GetToken(ctx, kind, sig)
		return err
	}
	getPAT := func(ctx context.Context, secret string) (storage.PAT, error) {
		return s.GetPATByHash(ctx, hashOf(secret), base)
	}
	return []txStep{
		{"CreateToken",
			func(ctx context.Context) error {
				return s.CreateToken(ctx, storage.TokenRecord{Kind: storage.KindRefreshToken, Signature: "t-new", RequestID: "q9",
					SessionID: "sid-new", ClientID: "cl-new", Active: true, ExpiresAt: at(time.Hour)})
			},
			func(t *testing.T, ctx context.Context) {
				present(t, "GetToken", getToken(ctx, storage.KindRefreshToken, "t-new"))
				clients, err := s.SessionClients(ctx, "sid-new")
				present(t, "SessionClients", err)
				if !slices.Equal(clients, []string{"cl-new"}) {
					t.Errorf("SessionClients = %v, want [cl-new]", clients)
				}
			},
			func(t *testing.T, ctx context.Context) {
				absent(t, "GetToken", getToken(ctx, storage.KindRefreshToken, "t-new"))
			}},
		{"InvalidateToken",
			func(ctx context.Context) error {
				return s.InvalidateToken(ctx, storage.KindRefreshToken, "t-inv", base)
			},
			func(t *testing.T, ctx context.Context) { active(t, ctx, storage.KindRefreshToken, "t-inv", false) },
			func(t *testing.T, ctx context.Context) { active(t, ctx, storage.KindRefreshToken, "t-inv", true) }},
		{"DeactivateTokens",
			func(ctx context.Context) error {
				n, err := s.DeactivateTokens(ctx, storage.TokenFilter{Subject: "subj-deact"})
				return wantCount("DeactivateTokens", n, 1, err)
			},
			func(t *testing.T, ctx context.Context) { active(t, ctx, storage.KindAccessToken, "t-deact", false) },
			func(t *testing.T, ctx context.Context) { active(t, ctx, storage.KindAccessToken, "t-deact", true) }},
		{"DeleteToken",
			func(ctx context.Context) error { return s.DeleteToken(ctx, storage.KindAccessToken, "t-del") },
			func(t *testing.T, ctx context.Context) {
				absent(t, "GetToken", getToken(ctx, storage.KindAccessToken, "t-del"))
			},
			func(t *testing.T, ctx context.Context) {
				present(t, "GetToken", getToken(ctx, storage.KindAccessToken, "t-del"))
			}},
		{"DeleteTokensByRequestID",
			func(ctx context.Context) error { return s.DeleteTokensByRequestID(ctx, storage.KindPKCE, "req-del") },
			func(t *testing.T, ctx context.Context) {
				absent(t, "GetToken", getToken(ctx, storage.KindPKCE, "t-req"))
			},
			func(t *testing.T, ctx context.Context) {
				present(t, "GetToken", getToken(ctx, storage.KindPKCE, "t-req"))
			}},
		{"DeleteExpiredTokens",
			func(ctx context.Context) error {
				n, err := s.DeleteExpiredTokens(ctx, base, 10)
				return wantCount("DeleteExpiredTokens", n, 1, err)
			},
			func(t *testing.T, ctx context.Context) {
				absent(t, "GetToken", getToken(ctx, storage.KindOIDC, "t-exp"))
			},
			func(t *testing.T, ctx context.Context) {
				present(t, "GetToken", getToken(ctx, storage.KindOIDC, "t-exp"))
			}},
		{"CreatePAT",
			func(ctx context.Context) error {
				return s.CreatePAT(ctx, storage.PAT{ID: "p-new", UserID: "u0", Name: "n", TokenHash: hashOf("p-new"), CreatedAt: at(time.Hour)})
			},
			func(t *testing.T, ctx context.Context) {
				list, err := s.ListPATsByUser(ctx, "u0")
				present(t, "ListPATsByUser", err)
				if len(list) == 0 || list[0].ID != "p-new" {
					t.Errorf("ListPATsByUser does not start with p-new: %+v", list)
				}
			},
			func(t *testing.T, ctx context.Context) {
				_, err := getPAT(ctx, "p-new")
				absent(t, "GetPATByHash", err)
			}},
		{"TouchPAT",
			func(ctx context.Context) error { return s.TouchPAT(ctx, "p-touch", base) },
			func(t *testing.T, ctx context.Context) {
				p, err := getPAT(ctx, "p-touch")
				present(t, "GetPATByHash", err)
				if !sameTime(p.LastUsedAt, base) {
					t.Errorf("LastUsedAt = %v, want %v", p.LastUsedAt, base)
				}
			},
			func(t *testing.T, ctx context.Context) {
				p, err := getPAT(ctx, "p-touch")
				present(t, "GetPATByHash", err)
				if !p.LastUsedAt.IsZero() {
					t.Errorf("LastUsedAt = %v after rollback", p.LastUsedAt)
				}
			}},
		{"DeletePAT",
			func(ctx context.Context) error { return s.DeletePAT(ctx, "u0", "p-del") },
			func(t *testing.T, ctx context.Context) {
				_, err := getPAT(ctx, "p-del")
				absent(t, "GetPATByHash", err)
			},
			func(t *testing.T, ctx context.Context) {
				_, err := getPAT(ctx, "p-del")
				present(t, "GetPATByHash", err)
			}},
		// One-time tokens have no read that leaves them in place, so the
		// create step is seen through the token it supersedes.
		{"CreateOneTimeToken",
			func(ctx context.Context) error {
				return s.CreateOneTimeToken(ctx, storage.OneTimeToken{TokenHash: hashOf("ott-new"), Purpose: "reset_password", Email: "z@example.com", ExpiresAt: at(time.Hour)})
			},
			func(t *testing.T, ctx context.Context) {
				_, err := s.ConsumeOneTimeToken(ctx, hashOf("ott-old"), "reset_password", base)
				absent(t, "ConsumeOneTimeToken(superseded)", err)
			},
			func(t *testing.T, ctx context.Context) {
				_, err := s.ConsumeOneTimeToken(ctx, hashOf("ott-new"), "reset_password", base)
				absent(t, "ConsumeOneTimeToken(rolled back)", err)
				_, err = s.ConsumeOneTimeToken(ctx, hashOf("ott-old"), "reset_password", base)
				present(t, "ConsumeOneTimeToken(not superseded)", err)
			}},
		{"ConsumeOneTimeToken",
			func(ctx context.Context) error {
				_, err := s.ConsumeOneTimeToken(ctx, hashOf("ott-consume"), "verify_email", base)
				return err
			},
			func(t *testing.T, ctx context.Context) {
				_, err := s.ConsumeOneTimeToken(ctx, hashOf("ott-consume"), "verify_email", base)
				absent(t, "ConsumeOneTimeToken(again)", err)
			},
			func(t *testing.T, ctx context.Context) {
				_, err := s.ConsumeOneTimeToken(ctx, hashOf("ott-consume"), "verify_email", base)
				present(t, "ConsumeOneTimeToken(rolled back)", err)
			}},
	}
}

func txOutboxSteps(s storage.Store) []txStep {
	findMail := func(t *testing.T, ctx context.Context, id string) (storage.Mail, bool) {
		t.Helper()
		list, err := s.ListMail(ctx, 100)
		present(t, "ListMail", err)
		i := slices.IndexFunc(list, func(m storage.Mail) bool { return m.ID == id })
		if i < 0 {
			return storage.Mail{}, false
		}
		return list[i], true
	}
	mailField := func(id string, want bool, field string, get func(storage.Mail) bool) func(t *testing.T, ctx context.Context) {
		return func(t *testing.T, ctx context.Context) {
			m, ok := findMail(t, ctx, id)
			if !ok || get(m) != want {
				t.Errorf("mail %s: %s = %v, want %v (%+v)", id, field, !want, want, m)
			}
		}
	}
	auditCount := func(want int) func(t *testing.T, ctx context.Context) {
		return func(t *testing.T, ctx context.Context) {
			list, err := s.ListAudit(ctx, storage.AuditFilter{Type: "tx.test"})
			present(t, "ListAudit", err)
			if len(list) != want {
				t.Errorf("ListAudit = %d events, want %d", len(list), want)
			}
		}
	}
	peek := func(key string, want int) func(t *testing.T, ctx context.Context) {
		return func(t *testing.T, ctx context.Context) {
			n, _, err := s.Peek(ctx, key, at(time.Second))
			present(t, "Peek", err)
			if n != want {
				t.Errorf("Peek(%s) = %d, want %d", key, n, want)
			}
		}
	}
	return []txStep{
		{"ClaimMail",
			func(ctx context.Context) error {
				got, err := s.ClaimMail(ctx, base, at(10*time.Minute), 10)
				if err == nil && (len(got) != 1 || got[0].ID != "m-claim") {
					return fmt.Errorf("ClaimMail = %+v, want m-claim only", got)
				}
				return err
			},
			mailField("m-claim", true, "claimed", func(m storage.Mail) bool { return m.Attempts == 1 }),
			mailField("m-claim", false, "claimed", func(m storage.Mail) bool { return m.Attempts == 1 })},
		{"EnqueueMail",
			func(ctx context.Context) error {
				m := mail("m-new", base)
				m.NextAttemptAt = at(time.Hour)
				return s.EnqueueMail(ctx, m)
			},
			func(t *testing.T, ctx context.Context) {
				if _, ok := findMail(t, ctx, "m-new"); !ok {
					t.Error("ListMail misses m-new")
				}
			},
			func(t *testing.T, ctx context.Context) {
				if _, ok := findMail(t, ctx, "m-new"); ok {
					t.Error("ListMail has m-new after rollback")
				}
			}},
		{"MarkMailSent",
			func(ctx context.Context) error { return s.MarkMailSent(ctx, "m-sent", base) },
			mailField("m-sent", true, "sent", func(m storage.Mail) bool { return !m.SentAt.IsZero() }),
			mailField("m-sent", false, "sent", func(m storage.Mail) bool { return !m.SentAt.IsZero() })},
		{"MarkMailFailed",
			func(ctx context.Context) error { return s.MarkMailFailed(ctx, "m-fail", "boom", at(2*time.Hour)) },
			mailField("m-fail", true, "failed", func(m storage.Mail) bool { return m.LastError == "boom" }),
			mailField("m-fail", false, "failed", func(m storage.Mail) bool { return m.LastError == "boom" })},
		{"AppendAudit",
			func(ctx context.Context) error {
				return s.AppendAudit(ctx, storage.AuditEvent{ID: "a-new", Time: base, Type: "tx.test"})
			},
			auditCount(1), auditCount(0)},
		{"Hit",
			func(ctx context.Context) error { _, _, err := s.Hit(ctx, "k-new", time.Hour, base); return err },
			peek("k-new", 1), peek("k-new", 0)},
		{"Reset",
			func(ctx context.Context) error { return s.Reset(ctx, "k-reset") },
			peek("k-reset", 0), peek("k-reset", 1)},
	}
}

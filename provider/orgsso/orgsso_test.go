package orgsso

import (
	"context"
	"errors"
	"net"
	"sync"
	"testing"
	"time"

	"golang.org/x/net/dns/dnsmessage"

	"github.com/ostiary/ostiary/provider/accounts"
	"github.com/ostiary/ostiary/storage"
	"github.com/ostiary/ostiary/storage/sqlite"
	"github.com/ostiary/ostiary/storage/sqlite/sqlitetest"
)

type known map[string]bool

func (k known) Known(id string) bool { return k[id] }

// dnsServer answers TXT questions over UDP on 127.0.0.1 from records.
type dnsServer struct {
	mu      sync.Mutex
	records map[string][]string // name with trailing dot → values
	addr    string
}

func startDNS(t *testing.T) *dnsServer {
	t.Helper()
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pc.Close() })
	d := &dnsServer{records: map[string][]string{}, addr: pc.LocalAddr().String()}
	go func() {
		buf := make([]byte, 1500)
		for {
			n, from, err := pc.ReadFrom(buf)
			if err != nil {
				return
			}
			if resp := d.answer(buf[:n]); resp != nil {
				_, _ = pc.WriteTo(resp, from)
			}
		}
	}()
	return d
}

func (d *dnsServer) set(name string, values ...string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.records[name+"."] = values
}

func (d *dnsServer) answer(req []byte) []byte {
	var p dnsmessage.Parser
	h, err := p.Start(req)
	if err != nil {
		return nil
	}
	q, err := p.Question()
	if err != nil {
		return nil
	}
	d.mu.Lock()
	values, ok := d.records[q.Name.String()]
	d.mu.Unlock()
	rcode := dnsmessage.RCodeSuccess
	if !ok || q.Type != dnsmessage.TypeTXT {
		rcode = dnsmessage.RCodeNameError
	}
	b := dnsmessage.NewBuilder(nil, dnsmessage.Header{ID: h.ID, Response: true, Authoritative: true, RCode: rcode})
	b.EnableCompression()
	_ = b.StartQuestions()
	_ = b.Question(q)
	_ = b.StartAnswers()
	if rcode == dnsmessage.RCodeSuccess {
		for _, v := range values {
			_ = b.TXTResource(dnsmessage.ResourceHeader{Name: q.Name, Type: dnsmessage.TypeTXT, Class: dnsmessage.ClassINET, TTL: 60},
				dnsmessage.TXTResource{TXT: []string{v}})
		}
	}
	out, err := b.Finish()
	if err != nil {
		return nil
	}
	return out
}

func newService(t *testing.T, resolver string) (*Service, *sqlite.Store) {
	t.Helper()
	st := sqlitetest.Open(t)
	now := func() time.Time { return time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC) }
	return &Service{Store: st, Audit: st, Orgs: &accounts.Organizations{Store: st, Audit: st, Now: now}, Connectors: known{"corp": true},
		Resolver: NewResolver(resolver), Now: now}, st
}

func TestDomainProvedByDNS(t *testing.T) {
	t.Parallel()
	dns := startDNS(t)
	s, st := newService(t, dns.addr)
	ctx := context.Background()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(st.CreateOrg(ctx, storage.Organization{ID: "o1", Name: "Acme"}))
	must(st.CreateUser(ctx, storage.User{ID: "owner", Email: "owner@acme.test"}))
	must(st.CreateUser(ctx, storage.User{ID: "member", Email: "m@acme.test"}))
	must(st.AddMembership(ctx, storage.Membership{OrgID: "o1", UserID: "owner", Role: accounts.RoleOwner}))
	must(st.AddMembership(ctx, storage.Membership{OrgID: "o1", UserID: "member", Role: accounts.RoleMember}))
	owner, member := accounts.Actor{ID: "owner"}, accounts.Actor{ID: "member"}

	if _, err := s.Claim(ctx, member, "o1", "acme.test", false); !errors.Is(err, accounts.ErrForbidden) {
		t.Fatalf("a member claimed a domain: %v", err)
	}
	if _, err := s.Claim(ctx, owner, "o1", "acme.test", true); !errors.Is(err, accounts.ErrForbidden) {
		t.Fatalf("an owner set a domain verified without DNS: %v", err)
	}
	d, err := s.Claim(ctx, owner, "o1", "Acme.TEST.", false)
	must(err)
	if d.Domain != "acme.test" || !d.VerifiedAt.IsZero() {
		t.Fatalf("claimed %+v", d)
	}
	must(s.Attach(ctx, owner, storage.OrgConnector{OrgID: "o1", ConnectorID: "corp", ForbidPassword: true}))
	// Unverified, the domain sends nobody anywhere.
	if _, ok, err := s.Discover(ctx, "ann@acme.test"); ok || err != nil {
		t.Fatalf("Discover before verification: %v %v", ok, err)
	}
	if err := s.VerifyDNS(ctx, owner, "o1", "acme.test"); !errors.Is(err, ErrNotVerified) {
		t.Fatalf("VerifyDNS without a record: %v", err)
	}
	dns.set(TXTPrefix+"acme.test", "v=spf1 -all", TXTValuePrefix+"someone-elses-token")
	if err := s.VerifyDNS(ctx, owner, "o1", "acme.test"); !errors.Is(err, ErrNotVerified) {
		t.Fatalf("VerifyDNS with a wrong token: %v", err)
	}
	dns.set(TXTPrefix+"acme.test", "v=spf1 -all", TXTValuePrefix+d.Token)
	must(s.VerifyDNS(ctx, owner, "o1", "acme.test"))
	oc, ok, err := s.Discover(ctx, "Ann@ACME.test")
	if err != nil || !ok || oc.OrgID != "o1" || oc.ConnectorID != "corp" || oc.DefaultRole != accounts.RoleMember {
		t.Fatalf("Discover after verification: %+v %v %v", oc, ok, err)
	}
	if f, err := s.PasswordForbidden(ctx, "ann@acme.test"); !f || err != nil {
		t.Fatalf("PasswordForbidden = %v, %v", f, err)
	}
	if f, _ := s.PasswordForbidden(ctx, "ann@other.test"); f {
		t.Fatal("passwords forbidden for another domain")
	}
}

func TestAttachRules(t *testing.T) {
	t.Parallel()
	s, st := newService(t, "")
	ctx := context.Background()
	if err := st.CreateOrg(ctx, storage.Organization{ID: "o1", Name: "Acme"}); err != nil {
		t.Fatal(err)
	}
	op := accounts.Actor{ID: accounts.SystemActor}
	for name, c := range map[string]storage.OrgConnector{
		"unknown connector": {OrgID: "o1", ConnectorID: "nope"},
		"unknown role":      {OrgID: "o1", ConnectorID: "corp", DefaultRole: "wizard"},
		"owner by group":    {OrgID: "o1", ConnectorID: "corp", GroupRoles: map[string]string{"root": accounts.RoleOwner}},
	} {
		if err := s.Attach(ctx, op, c); !errors.Is(err, accounts.ErrInvalid) {
			t.Errorf("%s: Attach = %v, want ErrInvalid", name, err)
		}
	}
	c := storage.OrgConnector{DefaultRole: "member", GroupRoles: map[string]string{"staff": "member", "eng": "admin"}}
	if r, mapped := RoleFor(c, []string{"staff", "eng"}); r != "admin" || !mapped {
		t.Errorf("RoleFor(staff, eng) = %s %v, want admin", r, mapped)
	}
	if r, mapped := RoleFor(c, []string{"other"}); r != "member" || mapped {
		t.Errorf("RoleFor(other) = %s %v, want the default", r, mapped)
	}
}

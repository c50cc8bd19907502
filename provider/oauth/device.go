package oauth

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/ory/fosite"

	"github.com/ostiary/ostiary/provider/acr"
	"github.com/ostiary/ostiary/provider/fault"
	"github.com/ostiary/ostiary/provider/oauth/grants"
	"github.com/ostiary/ostiary/provider/randtoken"
	"github.com/ostiary/ostiary/storage"
)

// The device authorization grant (RFC 8628): the device authorization
// endpoint here, the token endpoint's grant in grants.DeviceCode, the page
// the user enters the code on in provider/web/device (over LookupDevice
// and DecideDevice).

// GrantTypeDeviceCode is RFC 8628 §3.4's grant_type.
const GrantTypeDeviceCode = grants.GrantTypeDeviceCode

// PathDevice is the verification URI (RFC 8628 §3.2), relative to the
// issuer: the page of provider/web/device.
const PathDevice = "/device"

// The device flow's defaults in provider.DefaultConfig.
const (
	// DefaultDeviceCodeLifespan: RFC 8628 §3.2's expires_in.
	DefaultDeviceCodeLifespan = 10 * time.Minute
	// DefaultDevicePollInterval: §3.2's interval; also what a client
	// assumes when none is given.
	DefaultDevicePollInterval = 5 * time.Second
)

// userCodeAlphabet has no vowels (no words) and none of 0/O, 1/I/L
// lookalikes beyond what uppercase consonants leave: RFC 8628 §6.1's
// advice for codes typed from a screen.
const userCodeAlphabet = "BCDFGHJKLMNPQRSTVWXZ"

// userCodeLength characters give 20^8 ≈ 2^34.6 codes; guessing is
// rate-limited on the page (provider/web/device) and a code lives minutes.
const userCodeLength = 8

// newUserCode returns a random user code, unformatted.
func newUserCode() string {
	var b strings.Builder
	max := big.NewInt(int64(len(userCodeAlphabet)))
	for range userCodeLength {
		n, _ := rand.Int(rand.Reader, max) // crypto/rand never fails (Go 1.24+)
		b.WriteByte(userCodeAlphabet[n.Int64()])
	}
	return b.String()
}

// NormalizeUserCode turns what a person typed into the code as issued:
// case, spaces and dashes do not matter. ok is false when it cannot be a
// user code at all.
func NormalizeUserCode(typed string) (code string, ok bool) {
	var b strings.Builder
	for _, r := range strings.ToUpper(typed) {
		switch {
		case r == '-' || r == ' ':
		case strings.ContainsRune(userCodeAlphabet, r):
			b.WriteRune(r)
		default:
			return "", false
		}
	}
	code = b.String()
	return code, len(code) == userCodeLength
}

// FormatUserCode shows a code as XXXX-XXXX.
func FormatUserCode(code string) string {
	if len(code) != userCodeLength {
		return code
	}
	return code[:4] + "-" + code[4:]
}

func userCodeHash(code string) []byte { return randtoken.Hash("user_code:" + code) }

type deviceAuthorizationResponse struct {
	DeviceCode              string `json:"device_code"`
	UserCode                string `json:"user_code"`
	VerificationURI         string `json:"verification_uri"`
	VerificationURIComplete string `json:"verification_uri_complete"`
	ExpiresIn               int64  `json:"expires_in"`
	Interval                int64  `json:"interval"`
}

// DeviceAuthorization is the device authorization endpoint (RFC 8628 §3.1,
// §3.2): POST /oauth2/device_authorization with client_id (a public
// client) or the client's authentication as at the token endpoint, and an
// optional scope. Errors are the token endpoint's (§3.2, RFC 6749 §5.2).
func (s *Server) DeviceAuthorization(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	if !s.acceptCORSPost(w, r) {
		return
	}
	resp, err := s.deviceAuthorization(ctx, r)
	if err != nil {
		s.writeJSONError(ctx, w, r, err)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "application/json;charset=UTF-8")
	h.Set("Cache-Control", "no-store")
	h.Set("Pragma", "no-cache")
	_ = json.NewEncoder(w).Encode(resp)
}

func (s *Server) deviceAuthorization(ctx context.Context, r *http.Request) (deviceAuthorizationResponse, error) {
	var out deviceAuthorizationResponse
	cl, err := s.provider.AuthenticateClient(ctx, r, r.PostForm)
	if err != nil {
		return out, err
	}
	if !cl.GetGrantTypes().Has(GrantTypeDeviceCode) {
		return out, fosite.ErrUnauthorizedClient.WithHint("The client is not registered for the device authorization grant.")
	}
	if len(r.PostForm["scope"]) > 1 {
		return out, fosite.ErrInvalidRequest.WithHint("The scope parameter is repeated.")
	}
	scopes := fosite.RemoveEmpty(strings.Split(r.PostForm.Get("scope"), " "))
	for _, sc := range scopes {
		if !fosite.ExactScopeStrategy(cl.GetScopes(), sc) {
			return out, fosite.ErrInvalidScope.WithHintf("The client is not allowed to request the scope %q.", sc)
		}
	}
	slices.Sort(scopes)
	scopes = slices.Compact(scopes)
	now := s.now()
	deviceCode := randtoken.New()
	var userCode string
	for attempt := 0; ; attempt++ {
		userCode = newUserCode()
		err = s.store.CreateDeviceGrant(ctx, storage.DeviceGrant{
			DeviceCodeHash: grants.DeviceCodeHash(deviceCode),
			UserCodeHash:   userCodeHash(userCode),
			ClientID:       cl.GetID(),
			Scopes:         scopes,
			Interval:       s.cfg.DevicePollInterval,
			Status:         storage.DeviceGrantPending,
			CreatedAt:      now,
			ExpiresAt:      now.Add(s.cfg.DeviceCodeLifespan),
		})
		// A taken user code (one in 2^34 per live code) is drawn again.
		if !errors.Is(err, storage.ErrAlreadyExists) || attempt == 3 {
			break
		}
	}
	if err != nil {
		return out, fosite.ErrServerError.WithWrap(err).WithDebugf("store device grant: %v", err)
	}
	verify := s.cfg.Issuer + PathDevice
	return deviceAuthorizationResponse{
		DeviceCode:              deviceCode,
		UserCode:                FormatUserCode(userCode),
		VerificationURI:         verify,
		VerificationURIComplete: verify + "?user_code=" + url.QueryEscape(FormatUserCode(userCode)),
		ExpiresIn:               int64(s.cfg.DeviceCodeLifespan / time.Second),
		Interval:                int64(s.cfg.DevicePollInterval / time.Second),
	}, nil
}

// ErrDeviceCodeUnknown is a user code that is not (or no longer) waiting
// for a decision: mistyped, expired, or used.
var ErrDeviceCodeUnknown = fault.Sentinel(fault.NotFound, "This code is not valid. Check it on the device's screen; it may have expired or been used already.")

// LookupDevice finds the pending device authorization of a user code: the
// code as the device shows it (XXXX-XXXX), the client that asks and the
// scopes it asks for. ErrDeviceCodeUnknown.
func (s *Server) LookupDevice(ctx context.Context, typed string) (userCode string, cl storage.Client, scopes []string, err error) {
	code, ok := NormalizeUserCode(typed)
	if !ok {
		return "", cl, nil, ErrDeviceCodeUnknown
	}
	g, err := s.store.GetDeviceGrantByUserCode(ctx, userCodeHash(code), s.now())
	if errors.Is(err, storage.ErrNotFound) || (err == nil && g.Status != storage.DeviceGrantPending) {
		return "", cl, nil, ErrDeviceCodeUnknown
	}
	if err != nil {
		return "", cl, nil, fmt.Errorf("oauth: load device grant: %w", err)
	}
	cl, err = s.store.GetClient(ctx, g.ClientID)
	if errors.Is(err, storage.ErrNotFound) {
		return "", cl, nil, ErrDeviceCodeUnknown
	}
	if err != nil {
		return "", cl, nil, fmt.Errorf("oauth: load client: %w", err)
	}
	return FormatUserCode(code), cl, g.Scopes, nil
}

// DeviceOrganizations are the organizations the user may pick for a device
// authorization of cl: none when the client is bound to one or the user
// has at most one membership (there is nothing to choose).
func (s *Server) DeviceOrganizations(ctx context.Context, cl storage.Client, userID string) ([]storage.Membership, error) {
	if cl.OrgID != "" {
		return nil, nil
	}
	ms, err := s.store.ListMembershipsByUser(ctx, userID)
	if err != nil || len(ms) < 2 {
		return nil, err
	}
	return ms, nil
}

// DecideDevice records the signed-in user's answer to the device
// authorization of a user code: approve (for organization orgID, when they
// must pick one) or deny. The code is single use: a second decision finds
// it unknown. The same rules as the authorization endpoint's decide
// apply: an enabled user, the client's own organization if it has one, the
// organization's second-factor requirement, ostiary:admin only for
// instance administrators.
func (s *Server) DecideDevice(ctx context.Context, typed string, bs storage.Session, orgID string, approve bool) error {
	code, ok := NormalizeUserCode(typed)
	if !ok {
		return ErrDeviceCodeUnknown
	}
	now := s.now()
	g, err := s.store.GetDeviceGrantByUserCode(ctx, userCodeHash(code), now)
	if errors.Is(err, storage.ErrNotFound) {
		return ErrDeviceCodeUnknown
	}
	if err != nil {
		return fmt.Errorf("oauth: load device grant: %w", err)
	}
	decided := storage.DeviceGrant{Status: storage.DeviceGrantDenied}
	if approve {
		if decided, err = s.deviceApproval(ctx, g, bs, orgID); err != nil {
			return err
		}
	}
	err = s.store.UpdateDeviceGrant(ctx, g.DeviceCodeHash, func(cur storage.DeviceGrant) (storage.DeviceGrant, error) {
		if cur.Status != storage.DeviceGrantPending || !now.Before(cur.ExpiresAt) {
			return cur, ErrDeviceCodeUnknown
		}
		cur.Status = decided.Status
		cur.UserID, cur.SessionID, cur.OrgID, cur.IdP = bs.UserID, bs.ID, decided.OrgID, bs.IdP
		cur.AMR, cur.AuthTime, cur.GrantedScopes = bs.AMR, bs.AuthTime, decided.GrantedScopes
		return cur, nil
	})
	if errors.Is(err, storage.ErrNotFound) {
		return ErrDeviceCodeUnknown
	}
	if err != nil || !approve {
		return err
	}
	return s.rememberDeviceConsent(ctx, bs.UserID, g.ClientID, decided.GrantedScopes, now)
}

// rememberDeviceConsent adds the approved scopes to the user's consent for
// the client, as the consent page does: the device then shows among the
// account page's authorized apps, where revoking it ends its tokens.
func (s *Server) rememberDeviceConsent(ctx context.Context, userID, clientID string, scopes []string, now time.Time) error {
	c, err := s.store.GetConsent(ctx, userID, clientID)
	switch {
	case errors.Is(err, storage.ErrNotFound):
		c = storage.Consent{UserID: userID, ClientID: clientID, CreatedAt: now}
	case err != nil:
		return fmt.Errorf("oauth: read consent: %w", err)
	}
	for _, sc := range scopes {
		if !slices.Contains(c.Scopes, sc) {
			c.Scopes = append(c.Scopes, sc)
		}
	}
	c.UpdatedAt = now
	if err := s.store.PutConsent(ctx, c); err != nil {
		return fmt.Errorf("oauth: store consent: %w", err)
	}
	return nil
}

// deviceApproval checks that bs's user may approve g for orgID and returns
// what the approval records: status, organization, granted scopes.
func (s *Server) deviceApproval(ctx context.Context, g storage.DeviceGrant, bs storage.Session, orgID string) (storage.DeviceGrant, error) {
	var out storage.DeviceGrant
	u, err := s.store.GetUser(ctx, bs.UserID)
	if errors.Is(err, storage.ErrNotFound) || (err == nil && u.Disabled) {
		return out, fault.Forbiddenf("Your account cannot approve devices.")
	}
	if err != nil {
		return out, fmt.Errorf("oauth: load user: %w", err)
	}
	cl, err := s.store.GetClient(ctx, g.ClientID)
	if errors.Is(err, storage.ErrNotFound) {
		return out, ErrDeviceCodeUnknown
	}
	if err != nil {
		return out, fmt.Errorf("oauth: load client: %w", err)
	}
	var org *storage.Membership
	switch {
	case cl.OrgID != "":
		m, err := s.store.GetMembership(ctx, cl.OrgID, u.ID)
		if errors.Is(err, storage.ErrNotFound) {
			return out, fault.Forbiddenf("You are not a member of the organization this application belongs to.")
		}
		if err != nil {
			return out, fmt.Errorf("oauth: load membership: %w", err)
		}
		org = &m
	default:
		ms, err := s.store.ListMembershipsByUser(ctx, u.ID)
		if err != nil {
			return out, fmt.Errorf("oauth: list memberships: %w", err)
		}
		switch i := slices.IndexFunc(ms, func(m storage.Membership) bool { return m.OrgID == orgID }); {
		case len(ms) == 1:
			org = &ms[0]
		case len(ms) > 1 && i < 0:
			return out, fault.Invalidf("Choose the organization the device acts for.")
		case len(ms) > 1:
			org = &ms[i]
		}
	}
	if grants.LacksRequiredFactor(org, bs.AMR) {
		if grants.RequiredACR(org) == acr.PhishingResistant {
			return out, fault.Forbiddenf("The organization requires sign-in with a passkey: sign out, sign in with your passkey, and enter the code again.")
		}
		return out, fault.Forbiddenf("The organization requires two-factor sign-in: sign out, sign in with your second factor, and enter the code again.")
	}
	out.Status = storage.DeviceGrantApproved
	if org != nil {
		out.OrgID = org.OrgID
	}
	out.GrantedScopes = grants.GrantableScopes(u, g.Scopes)
	return out, nil
}

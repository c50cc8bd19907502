package federation

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"

	"github.com/ostiary/ostiary/provider/randtoken"
	"github.com/ostiary/ostiary/provider/web/page"
	"github.com/ostiary/ostiary/provider/web/signin"
	"github.com/ostiary/ostiary/storage"
)

type signedOutPage struct {
	Title, LoginURL string
}

// PathUpstreamLogoutDone is where an upstream sends the browser back after
// its own logout.
const PathUpstreamLogoutDone = "/logout/upstream/done"

const purposeUpstreamLogout = "upstream_logout"

// Logout (signin.Upstream) returns the upstream's end_session URL when the ended
// session came through a connector that opted in to upstream logout. Where
// to go afterwards (final: a validated post-logout URI, or empty for our
// signed-out page) waits server-side under the state the upstream echoes.
func (p *Pages) Logout(r *http.Request, sess storage.Session, final string) (string, bool, error) {
	if sess.IdP == "" || sess.UpstreamIDToken == "" {
		return "", false, nil
	}
	conn, ok := p.Connectors.Get(sess.IdP)
	if !ok {
		return "", false, nil
	}
	state := randtoken.New()
	target, ok := conn.LogoutURL(r.Context(), sess.UpstreamIDToken, p.Site.Link(PathUpstreamLogoutDone, nil))
	if !ok {
		return "", false, nil
	}
	data, err := json.Marshal(map[string]string{"final": final})
	if err != nil {
		return "", false, err
	}
	now := p.Site.Now()
	err = p.Store.CreateOneTimeToken(r.Context(), storage.OneTimeToken{TokenHash: randtoken.Hash(state),
		Purpose: purposeUpstreamLogout, Email: "upstream-logout:" + sess.ID, UserID: sess.UserID, Data: data,
		CreatedAt: now, ExpiresAt: now.Add(p.StateLifetime)})
	if err != nil {
		return "", false, fmt.Errorf("federation: park upstream logout: %w", err)
	}
	return target + "&state=" + state, true, nil
}

// logoutDone serves GET /logout/upstream/done: the upstream signed the
// user out too; continue where our logout was going.
func (p *Pages) logoutDone(w http.ResponseWriter, r *http.Request) error {
	signedOut := signedOutPage{Title: "Signed out", LoginURL: p.Site.Path(signin.PathLogin)}
	state := r.URL.Query().Get("state")
	if state == "" || len(state) > 512 {
		return p.Site.Render(w, http.StatusOK, "signed_out", signedOut)
	}
	tok, err := p.Store.ConsumeOneTimeToken(r.Context(), randtoken.Hash(state), purposeUpstreamLogout, p.Site.Now())
	if errors.Is(err, storage.ErrNotFound) {
		return p.Site.Render(w, http.StatusOK, "signed_out", signedOut)
	}
	if err != nil {
		return fmt.Errorf("federation: read upstream logout: %w", err)
	}
	var d map[string]string
	if err := json.Unmarshal(tok.Data, &d); err == nil && d["final"] != "" {
		return page.Redirect(w, r, d["final"])
	}
	return p.Site.Render(w, http.StatusOK, "signed_out", signedOut)
}

package device

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/ostiary/ostiary/provider/fault"
	"github.com/ostiary/ostiary/provider/throttle"
	"github.com/ostiary/ostiary/provider/web/page"
	"github.com/ostiary/ostiary/provider/web/signin"
	"github.com/ostiary/ostiary/storage"
)

// PathDevice is the verification URI (oauth.PathDevice names it for the
// device authorization response).
const PathDevice = "/device"

// PathDecide takes the approve or deny form.
const PathDecide = "/device/decide"

// Devices are the device authorizations the page looks up and decides
// (provider/oauth.Server).
type Devices interface {
	// LookupDevice returns the code as the device shows it, the client and
	// the requested scopes of a pending device authorization; an unknown,
	// expired or used code is a fault.NotFound.
	LookupDevice(ctx context.Context, typed string) (userCode string, cl storage.Client, scopes []string, err error)
	// DeviceOrganizations are the organizations to choose from (none when
	// there is no choice).
	DeviceOrganizations(ctx context.Context, cl storage.Client, userID string) ([]storage.Membership, error)
	// DecideDevice records the approval (for orgID) or the denial.
	DecideDevice(ctx context.Context, typed string, bs storage.Session, orgID string, approve bool) error
}

// Pages serves the device page.
type Pages struct {
	Site    *page.Site
	Devices Devices
	// Guesses limits wrong user codes.
	Guesses *throttle.Guesses
}

// New checks the dependencies.
func New(p Pages) (*Pages, error) {
	var missing []string
	if p.Site == nil {
		missing = append(missing, "Site")
	}
	if p.Devices == nil {
		missing = append(missing, "Devices")
	}
	if p.Guesses == nil {
		missing = append(missing, "Guesses")
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("device: missing %s", strings.Join(missing, ", "))
	}
	return &p, nil
}

// Routes are the device pages; every one needs a signed-in user, every
// form its CSRF token.
func (p *Pages) Routes() []page.Route {
	return []page.Route{
		page.Get(PathDevice, p.Site.SignedIn(p.show)),
		page.Post(PathDevice, p.Site.SignedInForm(p.enter)),
		page.Post(PathDecide, p.Site.SignedInForm(p.decide)),
	}
}

type devicePage struct {
	Title     string
	UserEmail string
	CSRF      string
	Error     string
	// Typed is what the person typed, shown again after a wrong code.
	Typed string
	// EnterAction is the code form's target; set while asking for a code.
	EnterAction string

	// The confirmation, once a code is found.
	UserCode     string
	ClientName   string
	LogoURI      string
	Scopes       []scopeLine
	Orgs         []orgChoice
	DecideAction string

	// Done is the outcome: "approved" or "denied".
	Done string
}

type scopeLine struct {
	Text  string
	Known bool
}

type orgChoice struct {
	ID, Name, Role string
}

// show is GET /device: the code form, or with ?user_code= (from
// verification_uri_complete) the confirmation of that code.
func (p *Pages) show(w http.ResponseWriter, r *http.Request, sess storage.Session, user storage.User) error {
	typed := r.URL.Query().Get("user_code")
	if typed == "" {
		return p.renderEntry(w, r, user, "", "", http.StatusOK)
	}
	return p.confirm(w, r, sess, user, typed)
}

// enter is POST /device: the code typed in the form.
func (p *Pages) enter(w http.ResponseWriter, r *http.Request, sess storage.Session, user storage.User) error {
	return p.confirm(w, r, sess, user, r.PostFormValue("user_code"))
}

// found is a pending device authorization a code names.
type found struct {
	code   string
	cl     storage.Client
	scopes []string
}

// lookup finds the device authorization of a typed code within the guess
// limit: a wrong code counts against the user and the address, on every
// form that names a code. retry > 0 means the limit is reached.
func (p *Pages) lookup(r *http.Request, userID, typed string) (f found, retry time.Duration, err error) {
	ctx := r.Context()
	ip := p.Site.Sessions().RemoteIP(r)
	retry, limited, err := p.Guesses.Limited(ctx, userID, ip)
	if err != nil || limited {
		return f, retry, err
	}
	f.code, f.cl, f.scopes, err = p.Devices.LookupDevice(ctx, typed)
	if fault.KindOf(err) == fault.NotFound {
		if werr := p.Guesses.Wrong(ctx, userID, ip); werr != nil {
			return f, 0, werr
		}
	}
	return f, 0, err
}

// confirm looks a code up and shows what it would approve.
func (p *Pages) confirm(w http.ResponseWriter, r *http.Request, sess storage.Session, user storage.User, typed string) error {
	f, retry, err := p.lookup(r, user.ID, typed)
	if retry > 0 {
		return p.Site.Throttled(w, retry, p.Site.Path(PathDevice))
	}
	if msg, ok := fault.From(err); ok && msg.Kind == fault.NotFound {
		return p.renderEntry(w, r, user, typed, msg.Message, http.StatusNotFound)
	}
	if err != nil {
		return err
	}
	orgs, err := p.Devices.DeviceOrganizations(r.Context(), f.cl, user.ID)
	if err != nil {
		return err
	}
	return p.renderConfirm(w, r, user, f, orgs, "", http.StatusOK)
}

// decide is POST /device/decide: approve or deny the code.
func (p *Pages) decide(w http.ResponseWriter, r *http.Request, sess storage.Session, user storage.User) error {
	ctx := r.Context()
	typed := r.PostFormValue("user_code")
	var approve bool
	switch r.PostFormValue("action") {
	case "approve":
		approve = true
	case "deny":
	default:
		return page.Show(http.StatusBadRequest, "Unknown choice", "Choose Approve or Deny.")
	}
	f, retry, err := p.lookup(r, user.ID, typed)
	if retry > 0 {
		return p.Site.Throttled(w, retry, p.Site.Path(PathDevice))
	}
	if msg, ok := fault.From(err); ok {
		return page.Show(statusOf(msg.Kind), "The device was not connected", msg.Message)
	}
	if err != nil {
		return err
	}
	orgID := r.PostFormValue("org_id")
	err = p.Devices.DecideDevice(ctx, typed, sess, orgID, approve)
	if msg, ok := fault.From(err); ok && msg.Kind == fault.Invalid {
		// Nothing was decided: ask again, saying why.
		orgs, oerr := p.Devices.DeviceOrganizations(ctx, f.cl, user.ID)
		if oerr != nil {
			return oerr
		}
		return p.renderConfirm(w, r, user, f, orgs, msg.Message, http.StatusBadRequest)
	}
	if msg, ok := fault.From(err); ok {
		return page.Show(statusOf(msg.Kind), "The device was not connected", msg.Message)
	}
	if err != nil {
		return err
	}
	done := "denied"
	if approve {
		done = "approved"
	}
	p.Site.Audit(ctx, storage.AuditEvent{Type: "device." + done, ActorID: user.ID, SubjectID: user.ID, ClientID: f.cl.ID,
		OrgID: orgID, IP: p.Site.Sessions().RemoteIP(r), Details: map[string]string{"scope": strings.Join(f.scopes, " ")}})
	data := devicePage{Title: "Device " + done, UserEmail: user.Email, Done: done}
	return p.Site.Render(w, http.StatusOK, "device", data)
}

func statusOf(k fault.Kind) int {
	switch k {
	case fault.NotFound:
		return http.StatusNotFound
	case fault.Forbidden:
		return http.StatusForbidden
	case fault.Conflict:
		return http.StatusConflict
	}
	return http.StatusBadRequest
}

func (p *Pages) renderEntry(w http.ResponseWriter, r *http.Request, user storage.User, typed, msg string, status int) error {
	data := devicePage{Title: "Connect a device", UserEmail: user.Email, Typed: typed, Error: msg,
		EnterAction: p.Site.Path(PathDevice), CSRF: p.Site.Sessions().CSRFToken(w, r)}
	return p.Site.Render(w, status, "device", data)
}

func (p *Pages) renderConfirm(w http.ResponseWriter, r *http.Request, user storage.User, f found, orgs []storage.Membership, msg string, status int) error {
	cl := f.cl
	name := cl.Name
	if name == "" {
		name = cl.ID
	}
	data := devicePage{Title: "Connect " + name, UserEmail: user.Email, Error: msg, UserCode: f.code,
		ClientName: name, LogoURI: signin.LogoURL(cl.LogoURI), DecideAction: p.Site.Path(PathDecide),
		CSRF: p.Site.Sessions().CSRFToken(w, r)}
	for _, s := range f.scopes {
		text, known := signin.DescribeScope(s)
		data.Scopes = append(data.Scopes, scopeLine{Text: text, Known: known})
	}
	for _, m := range orgs {
		data.Orgs = append(data.Orgs, orgChoice{ID: m.OrgID, Name: m.OrgName, Role: m.Role})
	}
	return p.Site.Render(w, status, "device", data)
}

package mail

// Data is what one mail template renders: one struct per template, so a
// sender cannot pass another mail's data or miss a field the template reads
// (NewOutbox renders every one of them at start). The unexported method
// keeps the list closed to this package.
type Data interface {
	template() string
}

// VerifyEmail confirms the address of a new account.
type VerifyEmail struct{ Name, Link, Expires string }

// ResetPassword carries the link that sets a new password.
type ResetPassword struct{ Name, Link, Expires string }

// EmailChangeConfirm goes to the new address of an email change; the
// change happens when the link is followed.
type EmailChangeConfirm struct{ Name, OldEmail, NewEmail, Link, Expires string }

// EmailChanged tells the old address that the change happened.
type EmailChanged struct{ OldEmail, NewEmail, AccountURL string }

// Invite invites a user into an organization.
type Invite struct{ Inviter, OrgName, Role, Link, ExpiresAt string }

// RegisterExisting tells the owner of an address that someone tried to
// register with it.
type RegisterExisting struct{ Name, LoginLink, ResetLink string }

// UpstreamLink proves the mailbox before an upstream sign-in is linked.
type UpstreamLink struct{ Name, Provider, UpstreamEmail, Link, Lifetime string }

func (VerifyEmail) template() string        { return "verify_email" }
func (ResetPassword) template() string      { return "reset_password" }
func (EmailChangeConfirm) template() string { return "email_change_confirm" }
func (EmailChanged) template() string       { return "email_change" }
func (Invite) template() string             { return "invite" }
func (RegisterExisting) template() string   { return "register_existing" }
func (UpstreamLink) template() string       { return "upstream_link" }

// allData is one value of every Data type: NewOutbox renders each against
// its template, so a template and its struct cannot drift apart unnoticed.
var allData = []Data{VerifyEmail{}, ResetPassword{}, EmailChangeConfirm{}, EmailChanged{}, Invite{},
	RegisterExisting{}, UpstreamLink{}}

// Template names d's template in templates/mail (without .txt or .html).
func Template(d Data) string { return d.template() }

package web

import (
	"github.com/ostiary/ostiary/provider/web/orgs"
)

// The pages still in this package (the account page's organization
// switcher, invitations) link to the organization pages, which web/orgs
// serves, and word the organization rules' refusals as web/orgs does.

// orgRow is one organization on the account page's switcher.
type orgRow struct {
	ID, Name, Role, URL string
	Active              bool
}

func (p *Pages) orgURL(id string) string { return p.site.Path(orgs.OrganizationPath(id)) }

func orgRuleMessage(err error, taken string) (string, bool) { return orgs.RuleMessage(err, taken) }

// Package orgsso is enterprise single sign-on per organization: an
// organization's owners and admins attach an upstream connector and claim
// email domains (proved by a DNS TXT record, or set verified by an instance
// administrator); the login page asks it where an address signs in (home-
// realm discovery) and whether passwords are refused for it; a user who
// signs in through the organization's connector joins it with the default
// role, or the role their upstream groups map to.
package orgsso

// Package provisioning holds the rules of SCIM 2.0 provisioning (RFC
// 7643/7644) for an organization, which the SCIM surface (provider/scim),
// the organization pages and the CLI call: the organization's bearer
// token, and what creating, changing, deactivating and deleting a
// provisioned user, or moving them between the groups that are the
// organization's roles, does to users and memberships. It changes users
// and memberships only through accounts.Users and accounts.Organizations,
// acting as accounts.ScimActor: an admin of that one organization.
//
// Deactivation (active false) has two forms. A user whom SCIM created in
// this organization and who belongs to no other is disabled
// (accounts.Users.Disable: every session and token ends, sign-in is
// refused), keeping the membership for a reactivation. Anyone else (an
// existing account SCIM found, or a member of other organizations too)
// loses the membership (accounts.Organizations.RemoveMember: the
// organization's tokens end and it can no longer be signed in to), and
// the role is remembered so that active true gives it back. Deleting
// removes the membership and, for a user SCIM created who belongs to no
// other organization, disables the account.
package provisioning

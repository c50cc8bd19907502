// Package accounts creates and changes users, organizations and
// memberships with the rules that hold whichever door the change comes in by:
// the CLI, the admin API or the self-service pages: the password policy
// (Policy, with an embedded list of common passwords) and what a change of
// the password or the second factor must end (EndOtherSessions).
package accounts

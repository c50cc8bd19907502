// Package scim is the SCIM 2.0 surface (RFC 7643 and RFC 7644) of each
// organization, at BasePath/{org}/: Users, Groups (the organization's
// roles), and the discovery documents ServiceProviderConfig,
// ResourceTypes and Schemas. It translates SCIM requests (filters, PATCH
// operations, ETags, pagination) into calls of provider/provisioning,
// where the rules are, and answers every failure in the error format of
// RFC 7644 §3.12. Requests carry the organization's SCIM token as a
// bearer token (RFC 7644 §2).
package scim

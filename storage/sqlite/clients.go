package sqlite

import (
	"context"
	"fmt"

	"github.com/ostiary/ostiary/storage"
)

const clientCols = `id, secret_hash, name, public, first_party, redirect_uris, post_logout_redirect_uris,
	cors_origins, grant_types, response_types, scopes, audiences, token_endpoint_auth_method, jwks, jwks_uri,
	logo_uri, policy_uri, tos_uri, backchannel_logout_uri, backchannel_logout_session_required, org_id,
	access_token_lifespan, refresh_token_lifespan, id_token_lifespan, created_at, updated_at, pkce_optional,
	id_token_signed_response_alg, exchange_audiences, require_pushed_authorization_requests, request_object_signing_alg,
	require_signed_request_object, dpop_bound_access_tokens, apis, default_api`

const clientColCount = 35

func clientArgs(c storage.Client) []any {
	return []any{
		c.ID, blob(c.SecretHash), c.Name, c.Public, c.FirstParty, list(c.RedirectURIs), list(c.PostLogoutRedirectURIs),
		list(c.CORSOrigins), list(c.GrantTypes), list(c.ResponseTypes), list(c.Scopes), list(c.Audiences),
		c.TokenEndpointAuthMethod, blob(c.JWKS), c.JWKSURI,
		c.LogoURI, c.PolicyURI, c.TOSURI, c.BackchannelLogoutURI, c.BackchannelLogoutSessionRequired, c.OrgID,
		int64(c.AccessTokenLifespan), int64(c.RefreshTokenLifespan), int64(c.IDTokenLifespan), ts(c.CreatedAt), ts(c.UpdatedAt), c.PKCEOptional,
		c.IDTokenSignedResponseAlg, list(c.ExchangeAudiences),
		c.RequirePushedAuthorizationRequests,
		c.RequestObjectSigningAlg, c.RequireSignedRequestObject,
		c.DPoPBoundAccessTokens,
		list(c.APIs), c.DefaultAPI,
	}
}

func scanClient(r rowScanner) (storage.Client, error) {
	var c storage.Client
	err := r.Scan(
		&c.ID, blobCol{&c.SecretHash}, &c.Name, &c.Public, &c.FirstParty, listCol{&c.RedirectURIs}, listCol{&c.PostLogoutRedirectURIs},
		listCol{&c.CORSOrigins}, listCol{&c.GrantTypes}, listCol{&c.ResponseTypes}, listCol{&c.Scopes}, listCol{&c.Audiences},
		&c.TokenEndpointAuthMethod, blobCol{&c.JWKS}, &c.JWKSURI,
		&c.LogoURI, &c.PolicyURI, &c.TOSURI, &c.BackchannelLogoutURI, &c.BackchannelLogoutSessionRequired, &c.OrgID,
		(*int64)(&c.AccessTokenLifespan), (*int64)(&c.RefreshTokenLifespan), (*int64)(&c.IDTokenLifespan), timeCol{&c.CreatedAt}, timeCol{&c.UpdatedAt}, &c.PKCEOptional,
		&c.IDTokenSignedResponseAlg, listCol{&c.ExchangeAudiences},
		&c.RequirePushedAuthorizationRequests,
		&c.RequestObjectSigningAlg, &c.RequireSignedRequestObject,
		&c.DPoPBoundAccessTokens,
		listCol{&c.APIs}, &c.DefaultAPI,
	)
	return c, err
}

// CreateClient returns storage.ErrAlreadyExists if the id is taken.
func (s *Store) CreateClient(ctx context.Context, c storage.Client) error {
	_, err := s.exec(ctx, `INSERT INTO clients (`+clientCols+`) VALUES (`+placeholders(clientColCount)+`)`, clientArgs(c)...)
	if err != nil {
		return fmt.Errorf("sqlite: create client %q: %w", c.ID, err)
	}
	return nil
}

// GetClient returns storage.ErrNotFound.
func (s *Store) GetClient(ctx context.Context, id string) (storage.Client, error) {
	c, err := scanClient(s.q(ctx).QueryRowContext(ctx, `SELECT `+clientCols+` FROM clients WHERE id = ?`, id))
	if err != nil {
		return storage.Client{}, fmt.Errorf("sqlite: get client: %w", noRows(err, "client %q", id))
	}
	return c, nil
}

// ListClients returns every client ordered by creation time.
func (s *Store) ListClients(ctx context.Context) ([]storage.Client, error) {
	out, err := queryList(ctx, s, scanClient, `SELECT `+clientCols+` FROM clients ORDER BY created_at, id`)
	if err != nil {
		return nil, fmt.Errorf("sqlite: list clients: %w", err)
	}
	return out, nil
}

// UpdateClient applies fn in one transaction. The id cannot change.
func (s *Store) UpdateClient(ctx context.Context, id string, fn func(storage.Client) (storage.Client, error)) error {
	return s.InTx(ctx, func(ctx context.Context) error {
		old, err := s.GetClient(ctx, id)
		if err != nil {
			return err
		}
		c, err := fn(old)
		if err != nil {
			return err
		}
		c.ID = id
		args := append(clientArgs(c)[1:], id)
		if _, err := s.exec(ctx, `UPDATE clients SET (`+clientCols[len("id, "):]+`) = (`+placeholders(clientColCount-1)+`) WHERE id = ?`, args...); err != nil {
			return fmt.Errorf("sqlite: update client %q: %w", id, err)
		}
		return nil
	})
}

// DeleteClient returns storage.ErrNotFound.
func (s *Store) DeleteClient(ctx context.Context, id string) error {
	if err := s.execOne(ctx, notFound("client %q", id), `DELETE FROM clients WHERE id = ?`, id); err != nil {
		return fmt.Errorf("sqlite: delete client: %w", err)
	}
	return nil
}

// queryList runs a query and scans every row with scan; none is nil.
func queryList[T any](ctx context.Context, s *Store, scan func(rowScanner) (T, error), query string, args ...any) ([]T, error) {
	rows, err := s.q(ctx).QueryContext(ctx, query, args...)
	if err != nil {
		return nil, wrapDB(err)
	}
	defer rows.Close()
	var out []T
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	if err := rows.Err(); err != nil {
		return nil, wrapDB(err)
	}
	return out, nil
}

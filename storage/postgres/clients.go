package postgres

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/ostiary/ostiary/storage"
)

const clientColumns = `id, secret_hash, name, public, first_party, redirect_uris, post_logout_redirect_uris,
	cors_origins, grant_types, response_types, scopes, audiences, token_endpoint_auth_method, jwks,
	jwks_uri, logo_uri, policy_uri, tos_uri, backchannel_logout_uri, backchannel_logout_session_required,
	org_id, access_token_lifespan, refresh_token_lifespan, id_token_lifespan, created_at, updated_at, pkce_optional,
	id_token_signed_response_alg, exchange_audiences, require_pushed_authorization_requests, request_object_signing_alg,
	require_signed_request_object, dpop_bound_access_tokens, apis, default_api`

func clientArgs(c storage.Client) []any {
	return []any{
		c.ID, bytesArg(c.SecretHash), c.Name, c.Public, c.FirstParty, list(c.RedirectURIs), list(c.PostLogoutRedirectURIs),
		list(c.CORSOrigins), list(c.GrantTypes), list(c.ResponseTypes), list(c.Scopes), list(c.Audiences), c.TokenEndpointAuthMethod, bytesArg(c.JWKS),
		c.JWKSURI, c.LogoURI, c.PolicyURI, c.TOSURI, c.BackchannelLogoutURI, c.BackchannelLogoutSessionRequired,
		c.OrgID, int64(c.AccessTokenLifespan), int64(c.RefreshTokenLifespan), int64(c.IDTokenLifespan), ts(c.CreatedAt), ts(c.UpdatedAt), c.PKCEOptional,
		c.IDTokenSignedResponseAlg, list(c.ExchangeAudiences),
		c.RequirePushedAuthorizationRequests,
		c.RequestObjectSigningAlg, c.RequireSignedRequestObject,
		c.DPoPBoundAccessTokens,
		list(c.APIs), c.DefaultAPI,
	}
}

func scanClient(row pgx.Row) (storage.Client, error) {
	var c storage.Client
	err := row.Scan(
		&c.ID, scanBytes(&c.SecretHash), &c.Name, &c.Public, &c.FirstParty, scanList(&c.RedirectURIs), scanList(&c.PostLogoutRedirectURIs),
		scanList(&c.CORSOrigins), scanList(&c.GrantTypes), scanList(&c.ResponseTypes), scanList(&c.Scopes), scanList(&c.Audiences), &c.TokenEndpointAuthMethod, scanBytes(&c.JWKS),
		&c.JWKSURI, &c.LogoURI, &c.PolicyURI, &c.TOSURI, &c.BackchannelLogoutURI, &c.BackchannelLogoutSessionRequired,
		&c.OrgID, scanDuration(&c.AccessTokenLifespan), scanDuration(&c.RefreshTokenLifespan), scanDuration(&c.IDTokenLifespan), scanTime(&c.CreatedAt), scanTime(&c.UpdatedAt), &c.PKCEOptional,
		&c.IDTokenSignedResponseAlg, scanList(&c.ExchangeAudiences),
		&c.RequirePushedAuthorizationRequests,
		&c.RequestObjectSigningAlg, &c.RequireSignedRequestObject,
		&c.DPoPBoundAccessTokens,
		scanList(&c.APIs), &c.DefaultAPI,
	)
	return c, err
}

// CreateClient returns storage.ErrAlreadyExists if the id is taken.
func (s *Store) CreateClient(ctx context.Context, c storage.Client) error {
	// ON CONFLICT DO NOTHING reports a duplicate without aborting a
	// surrounding transaction.
	tag, err := s.q(ctx).Exec(ctx, `INSERT INTO clients (`+clientColumns+`)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $23, $24, $25, $26, $27, $28, $29, $30, $31, $32, $33, $34, $35)
		ON CONFLICT DO NOTHING`, clientArgs(c)...)
	if err != nil {
		return dbErr("postgres: create client", err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("postgres: create client %q: %w", c.ID, storage.ErrAlreadyExists)
	}
	return nil
}

// GetClient returns storage.ErrNotFound.
func (s *Store) GetClient(ctx context.Context, id string) (storage.Client, error) {
	c, err := scanClient(s.q(ctx).QueryRow(ctx, `SELECT `+clientColumns+` FROM clients WHERE id = $1`, id))
	if err != nil {
		return storage.Client{}, rowErr(fmt.Sprintf("postgres: get client %q", id), err)
	}
	return c, nil
}

// ListClients returns every client ordered by creation time.
func (s *Store) ListClients(ctx context.Context) ([]storage.Client, error) {
	rows, err := s.q(ctx).Query(ctx, `SELECT `+clientColumns+` FROM clients ORDER BY created_at NULLS FIRST, id`)
	if err != nil {
		return nil, dbErr("postgres: list clients", err)
	}
	out, err := collect(rows, scanClient)
	if err != nil {
		return nil, dbErr("postgres: list clients", err)
	}
	return out, nil
}

// UpdateClient applies fn to the stored client under a row lock.
// storage.ErrNotFound; errors from fn come back unchanged.
func (s *Store) UpdateClient(ctx context.Context, id string, fn func(storage.Client) (storage.Client, error)) error {
	return s.InTx(ctx, func(ctx context.Context) error {
		old, err := scanClient(s.q(ctx).QueryRow(ctx, `SELECT `+clientColumns+` FROM clients WHERE id = $1 FOR UPDATE`, id))
		if err != nil {
			return rowErr(fmt.Sprintf("postgres: update client %q", id), err)
		}
		c, err := fn(old)
		if err != nil {
			return err
		}
		// The id is the key; fn cannot move the record.
		c.ID = id
		_, err = s.q(ctx).Exec(ctx, `UPDATE clients SET (`+clientColumns+`) =
			($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $23, $24, $25, $26, $27, $28, $29, $30, $31, $32, $33, $34, $35)
			WHERE id = $1`, clientArgs(c)...)
		if err != nil {
			return dbErr(fmt.Sprintf("postgres: update client %q", id), err)
		}
		return nil
	})
}

// DeleteClient returns storage.ErrNotFound.
func (s *Store) DeleteClient(ctx context.Context, id string) error {
	tag, err := s.q(ctx).Exec(ctx, `DELETE FROM clients WHERE id = $1`, id)
	if err != nil {
		return dbErr(fmt.Sprintf("postgres: delete client %q", id), err)
	}
	if tag.RowsAffected() == 0 {
		return notFound(fmt.Sprintf("postgres: delete client %q", id))
	}
	return nil
}

// collect scans every row with scan, returning nil for none.
func collect[T any](rows pgx.Rows, scan func(pgx.Row) (T, error)) ([]T, error) {
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
		return nil, err
	}
	return out, nil
}

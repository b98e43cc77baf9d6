/**
 * Who is calling: the identity API Gateway's JWT authorizer (or a Function URL's
 * IAM auth) has already verified. This module reads it and checks the scope; it
 * does not verify signatures.
 */
import { ErrorCode } from '../shared/errors.ts';
import { HttpError } from '../shared/http-error.ts';

/** The part of a payload-v2 request context that carries the authorizer's result. */
export interface AuthorizerContext {
  readonly jwt?: {
    readonly claims?: Readonly<Record<string, unknown>>;
    readonly scopes?: readonly string[] | null;
  };
  readonly iam?: {
    readonly userArn?: string | null;
    readonly callerId?: string | null;
    readonly accountId?: string | null;
  };
}

/** An authenticated, authorized caller. */
export interface Caller {
  /** `client_id` claim, else `sub` (or the IAM caller for IAM-authorized Function URLs). */
  readonly clientId: string;
  /** `sub` claim, when present. */
  readonly subject: string | undefined;
  /** How the caller was authenticated. */
  readonly method: 'jwt' | 'iam';
}

/** Options of {@link authorize}. */
export interface AuthorizeOptions {
  /** Scope the caller's token must carry, e.g. `secret-sidecar/invoke`. */
  readonly requiredScope: string;
  /** Accept IAM-authorized callers (Function URL with `AWS_IAM`); IAM policy is the scope. */
  readonly allowIam?: boolean;
}

/**
 * Checks the caller.
 *
 * @throws {HttpError} 401 when there are no claims or no client id; 403 when the
 *   required scope is missing.
 */
export function authorize(
  authorizer: AuthorizerContext | undefined,
  options: AuthorizeOptions,
): Caller {
  const jwt = authorizer?.jwt;
  if (jwt?.claims !== undefined && jwt.claims !== null) {
    const claims = jwt.claims;
    const subject = claimString(claims.sub);
    const clientId = claimString(claims.client_id) ?? claimString(claims.azp) ?? subject;
    if (clientId === undefined) {
      throw new HttpError(
        401,
        ErrorCode.Unauthorized,
        'the token has neither a client_id nor a sub claim',
      );
    }
    const scopes = new Set([
      ...scopeList(claims.scope),
      ...scopeList(claims.scp),
      ...(jwt.scopes ?? []),
    ]);
    if (!scopes.has(options.requiredScope)) {
      throw new HttpError(
        403,
        ErrorCode.Forbidden,
        `the token lacks the required scope ${JSON.stringify(options.requiredScope)}`,
      );
    }
    return { clientId, subject, method: 'jwt' };
  }
  const iam = authorizer?.iam;
  if (options.allowIam && iam !== undefined) {
    const clientId = claimString(iam.userArn) ?? claimString(iam.callerId);
    if (clientId !== undefined) return { clientId, subject: undefined, method: 'iam' };
  }
  throw new HttpError(401, ErrorCode.Unauthorized, 'the request carries no verified token claims');
}

function claimString(v: unknown): string | undefined {
  if (typeof v === 'string' && v.trim() !== '') return v.trim();
  if (typeof v === 'number') return String(v);
  return undefined;
}

/**
 * The scopes of a claim. OAuth 2.0 (RFC 6749 §3.3) makes `scope` a list of tokens
 * separated by single spaces; `[`, `]` and `,` are legal inside a token, so nothing
 * else splits and nothing is stripped. An array claim (`scp`) is taken element by element.
 */
function scopeList(v: unknown): string[] {
  if (Array.isArray(v)) return v.filter((s): s is string => typeof s === 'string' && s !== '');
  if (typeof v !== 'string') return [];
  return v.split(' ').filter((s) => s !== '');
}

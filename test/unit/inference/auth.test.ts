import { describe, expect, it } from 'vitest';
import { authorize } from '../../../inference/auth.ts';
import { HttpError } from '../../../shared/http-error.ts';

const scope = 'secret-sidecar/invoke';

function status(fn: () => unknown): number {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(HttpError);
    return (err as HttpError).status;
  }
  return 200;
}

describe('authorize', () => {
  it('accepts a client_id with the required scope among others', () => {
    const caller = authorize(
      {
        jwt: {
          claims: { client_id: 'app-1', sub: 'user-9', scope: 'openid secret-sidecar/invoke' },
          scopes: null,
        },
      },
      { requiredScope: scope },
    );

    expect(caller).toEqual({ clientId: 'app-1', subject: 'user-9', method: 'jwt' });
  });

  it('falls back to sub when there is no client_id', () => {
    const caller = authorize({ jwt: { claims: { sub: 'svc', scope } } }, { requiredScope: scope });

    expect(caller.clientId).toBe('svc');
  });

  it('accepts the scope from the authorizer scopes list and from an scp array claim', () => {
    expect(
      authorize({ jwt: { claims: { sub: 'a' }, scopes: [scope] } }, { requiredScope: scope })
        .clientId,
    ).toBe('a');
    expect(
      authorize({ jwt: { claims: { sub: 'b', scp: ['openid', scope] } } }, { requiredScope: scope })
        .clientId,
    ).toBe('b');
  });

  it.each([
    ['a space-separated list holding it', `openid ${scope} email`, 'x', true],
    ['a token with brackets, as one token', 'api[read]', 'api[read]', true],
    ['a token with a comma, as one token', 'a,b', 'a,b', true],
    ['a comma-joined list (one token, not two)', `openid,${scope}`, scope, false],
    ['the scope inside brackets (one token "[x]")', `[${scope}]`, scope, false],
    ['a longer scope that starts with it', `${scope}-admin`, scope, false],
    ['a scope it is a suffix of', `x${scope}`, scope, false],
  ])('compares scopes as whole space-separated tokens: %s', (_, claim, required, ok) => {
    const requiredScope = required === 'x' ? scope : required;
    const run = () => authorize({ jwt: { claims: { sub: 's', scope: claim } } }, { requiredScope });
    if (ok) expect(run().clientId).toBe('s');
    else expect(status(run)).toBe(403);
  });

  it('rejects a request without claims with 401', () => {
    expect(status(() => authorize(undefined, { requiredScope: scope }))).toBe(401);
  });

  it('rejects claims without client_id or sub with 401', () => {
    expect(status(() => authorize({ jwt: { claims: { scope } } }, { requiredScope: scope }))).toBe(
      401,
    );
  });

  it('rejects a missing scope with 403', () => {
    expect(
      status(() => authorize({ jwt: { claims: { sub: 'a' } } }, { requiredScope: scope })),
    ).toBe(403);
  });

  it('rejects an insufficient scope with 403', () => {
    expect(
      status(() =>
        authorize(
          { jwt: { claims: { sub: 'a', scope: 'secret-sidecar/read secret-sidecar/invoker' } } },
          { requiredScope: scope },
        ),
      ),
    ).toBe(403);
  });

  it('accepts IAM-authorized Function URL callers only when allowed', () => {
    const iam = { iam: { userArn: 'arn:aws:iam::123456789012:role/app', callerId: 'AROA' } };

    expect(authorize(iam, { requiredScope: scope, allowIam: true })).toMatchObject({
      clientId: iam.iam.userArn,
      method: 'iam',
    });
    expect(status(() => authorize(iam, { requiredScope: scope }))).toBe(401);
  });
});

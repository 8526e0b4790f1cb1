import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiTokens } from '../../db/schema.ts';
import { hashToken, installServiceToken, SERVICE_OWNER_ID } from '../../db/tokens.ts';
import { startTestStack, type TestStack } from '../helpers/test-stack.ts';

describe('bearer-token auth on /v1', () => {
  let stack: TestStack;
  const unknownExecution = '/v1/executions/00000000-0000-4000-8000-000000000000';

  beforeAll(async () => {
    stack = await startTestStack();
  });
  afterAll(() => stack?.close());

  const expectUnauthorized = async (response: Response) => {
    expect(response.status).toBe(401);
    expect(await response.json()).toEqual({ error: { code: 'unauthorized', message: expect.any(String) } });
  };

  it.each([
    ['no Authorization header', {}],
    ['an unknown token', { authorization: 'Bearer ar_not-a-real-token' }],
    ['a Basic credential', { authorization: `Basic ${Buffer.from('a:b').toString('base64')}` }],
    ['an empty Bearer', { authorization: 'Bearer ' }],
  ])('refuses %s with 401', async (_name, headers) => {
    await expectUnauthorized(await stack.api(unknownExecution, { headers }));
  });

  it('checks the token before anything else: POST and unknown routes are 401 too', async () => {
    await expectUnauthorized(await stack.api('/v1/executions', { method: 'POST', headers: {}, body: 'not json' }));
    await expectUnauthorized(await stack.api('/v1/no-such-route', { headers: {} }));
  });

  it('accepts a valid token (the route then answers on its own terms)', async () => {
    expect((await stack.api(unknownExecution)).status).toBe(404);
    const lowerCaseScheme = await stack.api(unknownExecution, { headers: { authorization: `bearer ${stack.token}` } });
    expect(lowerCaseScheme.status).toBe(404);
  });

  it('stores tokens only as hashes', async () => {
    const rows = await stack.database.db.select().from(apiTokens).where(eq(apiTokens.userId, stack.ownerId));
    expect(rows).toHaveLength(1);
    expect(rows[0]!.tokenHash).toBe(hashToken(stack.token));
    expect(JSON.stringify(rows)).not.toContain(stack.token);
  });

  it('refuses a revoked token', async () => {
    const token = (await stack.tokenFor('owner')).token;
    const headers = { authorization: `Bearer ${token}` };
    expect((await stack.api(unknownExecution, { headers })).status).toBe(404);
    await stack.database.db
      .update(apiTokens)
      .set({ revokedAt: new Date() })
      .where(eq(apiTokens.tokenHash, hashToken(token)));
    await expectUnauthorized(await stack.api(unknownExecution, { headers }));
  });

  it('rotates the service token: installing a new one revokes the previous one', async () => {
    await installServiceToken(stack.database.db, 'service-token-one');
    await installServiceToken(stack.database.db, 'service-token-two');
    const as = (token: string) => stack.api(unknownExecution, { headers: { authorization: `Bearer ${token}` } });
    await expectUnauthorized(await as('service-token-one'));
    expect((await as('service-token-two')).status).toBe(404);
    const [row] = await stack.database.db
      .select()
      .from(apiTokens)
      .where(eq(apiTokens.tokenHash, hashToken('service-token-two')));
    expect(row).toMatchObject({ userId: SERVICE_OWNER_ID, tenantId: 'default' });
  });

  it('leaves /healthz open', async () => {
    const response = await stack.api('/healthz', { headers: {} });
    expect(response.status).toBe(200);
  });
});

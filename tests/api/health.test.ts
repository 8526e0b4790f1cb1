import { setTimeout as sleep } from 'node:timers/promises';
import { Client, Connection } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createApp } from '../../api/app.ts';
import type { EventFeed } from '../../api/streams/event-feed.ts';
import { type DatabaseHandle, openDatabase } from '../../db/client.ts';
import { freePort } from '../../scripts/free-port.ts';

// /healthz is 200 only when both the database and Temporal answer, and names what is down otherwise.
describe('GET /healthz', () => {
  let database: DatabaseHandle;
  let deadDatabase: DatabaseHandle;
  let temporal: Connection;
  let deadTemporal: Connection;

  beforeAll(async () => {
    database = await openDatabase({ databaseUrl: inject('databaseUrl') });
    deadDatabase = await openDatabase({ databaseUrl: `postgres://postgres@127.0.0.1:${await freePort()}/nothing` });
    temporal = await Connection.connect({ address: inject('temporalAddress') });
    deadTemporal = Connection.lazy({ address: `127.0.0.1:${await freePort()}` });
  });
  afterAll(async () => {
    // The Temporal client retries a failed call until its deadline (2 s here); closing the dead
    // connection before that would make a pending retry throw on the closed channel.
    await sleep(2500);
    await Promise.all([database.close(), deadDatabase.close(), temporal.close(), deadTemporal.close()]);
  });

  const health = async (db: DatabaseHandle, connection: Connection) => {
    // The health check streams nothing, so it needs no event feed.
    const feed = undefined as unknown as EventFeed;
    const app = createApp({ db: db.db, connection, client: new Client({ connection }), taskQueue: 'unused', executionIdleTimeoutMs: 60_000, feed });
    const response = await app.request('/healthz');
    return { status: response.status, body: await response.json() };
  };

  it('is 200 when both answer', async () => {
    expect(await health(database, temporal)).toEqual({
      status: 200,
      body: { status: 'ok', checks: { database: { status: 'ok' }, temporal: { status: 'ok' } } },
    });
  });

  it('is 503 naming the database when Postgres is unreachable', async () => {
    const { status, body } = await health(deadDatabase, temporal);
    expect(status).toBe(503);
    expect(body.checks.database).toEqual({ status: 'down', error: expect.any(String) });
    expect(body.checks.temporal).toEqual({ status: 'ok' });
  });

  it('is 503 naming Temporal when the server is unreachable', async () => {
    const { status, body } = await health(database, deadTemporal);
    expect(status).toBe(503);
    expect(body.checks.temporal).toEqual({ status: 'down', error: expect.any(String) });
    expect(body.checks.database).toEqual({ status: 'ok' });
  });
});

// The API serves the console same-origin: its assets, index.html for its page paths, a JSON 404 for
// any other unknown path, no file outside the bundle, and a clear 503 when the bundle is not built.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Hono } from 'hono';
import { describe, expect, it } from 'vitest';
import { consoleRoutes } from '../../api/console.ts';
import { notFound } from '../../api/errors.ts';

function appServing(dir: string) {
  const app = new Hono();
  app.notFound(notFound);
  app.get('/v1/known', (c) => c.json({ ok: true }));
  app.route('/', consoleRoutes(dir));
  return app;
}

describe('the console served by the API', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'console-dist-'));
  fs.writeFileSync(path.join(dir, 'index.html'), '<!doctype html><div id="app"></div>');
  fs.writeFileSync(path.join(dir, 'app.js'), 'console.log(1)');
  fs.writeFileSync(path.join(dir, 'app.css'), 'body{}');
  fs.writeFileSync(path.join(dir, 'secret.txt'), 'not an asset');
  const app = appServing(dir);

  it('answers every page path with index.html, under a policy that lets it load nothing from elsewhere', async () => {
    for (const page of [
      '/',
      '/executions/abc',
      '/executions/abc?tab=results',
      '/runs/12',
      '/background',
      '/agents',
      '/agents/default',
      '/projects',
      '/projects/web',
    ]) {
      const response = await app.request(page);
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toContain('text/html');
      expect(response.headers.get('content-security-policy')).toContain("default-src 'self'");
      expect(await response.text()).toContain('<div id="app">');
    }
  });

  it('serves its two assets and nothing else from the folder', async () => {
    expect((await app.request('/assets/app.js')).headers.get('content-type')).toContain('text/javascript');
    expect((await app.request('/assets/app.css')).headers.get('content-type')).toContain('text/css');
    for (const asset of ['/assets/secret.txt', '/assets/index.html', '/assets/..%2Fsecret.txt', '/assets/%2e%2e%2f%2e%2e%2fetc%2fpasswd']) {
      expect((await app.request(asset)).status).toBe(404);
    }
  });

  it('answers only its own pages: an unknown path (an API one too) is a JSON 404, not the console', async () => {
    expect(await (await app.request('/v1/known')).json()).toEqual({ ok: true });
    for (const apiPath of ['/v1/unknown', '/v1', '//v1//executions', '/healthz/x', '/background-agents/nope', '/anything/else', '/executions/a/b']) {
      const response = await app.request(apiPath);
      expect(response.status).toBe(404);
      expect(((await response.json()) as { error: { code: string } }).error.code).toBe('not_found');
    }
  });

  it('says how to build it when the bundle is missing', async () => {
    const response = await appServing(path.join(dir, 'missing')).request('/');
    expect(response.status).toBe(503);
    expect(((await response.json()) as { error: { code: string; message: string } }).error).toMatchObject({ code: 'console_not_built' });
  });
});

import fs from 'node:fs';
import path from 'node:path';
import type { Context } from 'hono';
import { Hono } from 'hono';
import { errorBody } from './errors.ts';

/** Where scripts/build-console.ts writes the console's bundle. */
export const DEFAULT_CONSOLE_DIR = path.resolve(import.meta.dirname, '..', 'console', 'dist');

const ASSETS: Record<string, string> = {
  'app.js': 'text/javascript; charset=utf-8',
  'app.css': 'text/css; charset=utf-8',
};

/** The console's pages: only these paths answer index.html; any other unknown path stays a JSON 404. */
const CONSOLE_PAGE = /^\/((executions|runs|agents|projects)\/[^/]+|background|agents|projects|admin)?$/;

/** The console fetches nothing but this origin: no CDN, font or script from elsewhere may load. */
const CONTENT_SECURITY_POLICY =
  "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

/**
 * The console, same origin as the API: its assets under /assets, and index.html for each of its
 * page paths (the console routes in the browser). The API stays under /v1. Files are read when
 * asked for, so a rebuilt bundle is served without a restart.
 */
export function consoleRoutes(dir = DEFAULT_CONSOLE_DIR) {
  const app = new Hono();
  const send = (c: Context, file: string, type: string) => {
    let body: Buffer;
    try {
      body = fs.readFileSync(path.join(dir, file));
    } catch {
      return c.json(errorBody('console_not_built', 'the console is not built: run `npm run build:console` (npm run dev builds it)'), 503);
    }
    c.header('Content-Type', type);
    c.header('Content-Security-Policy', CONTENT_SECURITY_POLICY);
    c.header('X-Content-Type-Options', 'nosniff');
    c.header('Cache-Control', 'no-cache');
    return c.body(new Uint8Array(body));
  };
  app.get('/assets/:file', (c) => {
    const type = ASSETS[c.req.param('file')];
    return type ? send(c, c.req.param('file'), type) : c.json(errorBody('not_found', `no asset ${c.req.param('file')}`), 404);
  });
  app.get('*', (c, next) => (CONSOLE_PAGE.test(c.req.path) ? send(c, 'index.html', 'text/html; charset=utf-8') : next()));
  return app;
}

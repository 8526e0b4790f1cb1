// Builds the console (console/src, TSX with Preact) into console/dist: app.js, app.css and index.html.
// `npm run dev`, the Docker image and the tests build it; the bundle is never committed.
import fs from 'node:fs';
import path from 'node:path';
import { build } from 'esbuild';

const root = path.resolve(import.meta.dirname, '..');
export const CONSOLE_DIST = path.join(root, 'console', 'dist');

/** Bundles the console into CONSOLE_DIST (minified unless `dev`); resolves once written. */
export async function buildConsole(options: { dev?: boolean } = {}): Promise<void> {
  fs.mkdirSync(CONSOLE_DIST, { recursive: true });
  await build({
    entryPoints: { app: path.join(root, 'console', 'src', 'main.tsx') },
    outdir: CONSOLE_DIST,
    bundle: true,
    format: 'esm',
    target: 'es2022',
    jsx: 'automatic',
    jsxImportSource: 'preact',
    minify: !options.dev,
    sourcemap: options.dev ? 'inline' : false,
    logLevel: 'warning',
    // Everything is in the bundle: the console fetches nothing but its own API.
    loader: { '.css': 'css' },
  });
  fs.copyFileSync(path.join(root, 'console', 'index.html'), path.join(CONSOLE_DIST, 'index.html'));
}

if (process.argv[1] && path.resolve(process.argv[1]) === import.meta.filename) {
  await buildConsole({ dev: process.argv.includes('--dev') });
  console.log(`console built into ${path.relative(process.cwd(), CONSOLE_DIST)}`);
}

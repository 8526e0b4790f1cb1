import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

// vitest strips types without checking them; this keeps `tsc --noEmit` (strict) part of `npm test`.
const root = path.resolve(import.meta.dirname, '..', '..');

describe('the TypeScript project', () => {
  it.each([
    ['the service', root],
    ['the console', path.join(root, 'console')],
  ])('type-checks %s under strict settings', (_name, project) => {
    const result = spawnSync(path.join(root, 'node_modules', '.bin', 'tsc'), ['--noEmit', '-p', project], {
      encoding: 'utf8',
      timeout: 120_000,
    });
    expect(result.stdout + result.stderr).toBe('');
    expect(result.status).toBe(0);
  });
});

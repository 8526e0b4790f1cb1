import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

// `npm test` includes the formatter and linter (Biome, biome.json), like the type check.
const root = path.resolve(import.meta.dirname, '..', '..');
const biome = (...args: string[]) =>
  spawnSync(path.join(root, 'node_modules', '.bin', 'biome'), args, { cwd: root, encoding: 'utf8', timeout: 120_000 });

describe('formatting and lint rules', () => {
  it('the whole project is formatted and passes the lint rules (npm run lint)', () => {
    const result = biome('check', '--no-errors-on-unmatched', '.');
    expect(result.status, result.stdout + result.stderr).toBe(0);
  });

  it('keeps Node built-ins out of workflows/ (Temporal bundles that folder for its deterministic sandbox)', () => {
    const probe = path.join(root, 'workflows', `lint-probe-${process.pid}.ts`);
    fs.writeFileSync(probe, `import { readFileSync } from 'node:fs';\n\nexport const probe = readFileSync;\n`);
    try {
      const result = biome('lint', path.relative(root, probe));
      expect(result.status).not.toBe(0);
      expect(result.stdout + result.stderr).toContain('noNodejsModules');
    } finally {
      fs.rmSync(probe, { force: true });
    }
  });
});

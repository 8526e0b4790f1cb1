import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

// `npm test` includes the formatter and linter (Biome, biome.json), like the type check.
const root = path.resolve(import.meta.dirname, '..', '..');
const biome = (args: string[], cwd = root) =>
  spawnSync(path.join(root, 'node_modules', '.bin', 'biome'), args, { cwd, encoding: 'utf8', timeout: 120_000 });

describe('formatting and lint rules', () => {
  it('the whole project is formatted and passes the lint rules (npm run lint)', () => {
    const result = biome(['check', '.']);
    expect(result.status, result.stdout + result.stderr).toBe(0);
  });

  it('keeps Node built-ins out of workflows/ (Temporal bundles that folder for its deterministic sandbox)', () => {
    // The project's rules in a copy of its layout: a probe in the real workflows/ would race the type check.
    const copy = fs.mkdtempSync(path.join(os.tmpdir(), 'lint-probe-'));
    try {
      const config = JSON.parse(fs.readFileSync(path.join(root, 'biome.json'), 'utf8'));
      delete config.$schema;
      fs.writeFileSync(path.join(copy, 'biome.json'), JSON.stringify(config));
      const source = `import { readFileSync } from 'node:fs';\n\nexport const probe = readFileSync;\n`;
      for (const folder of ['workflows', 'activities']) {
        fs.mkdirSync(path.join(copy, folder));
        fs.writeFileSync(path.join(copy, folder, 'probe.ts'), source);
      }
      const inWorkflows = biome(['lint', 'workflows'], copy);
      expect(inWorkflows.status).not.toBe(0);
      expect(inWorkflows.stdout + inWorkflows.stderr).toContain('noNodejsModules');
      const elsewhere = biome(['lint', 'activities'], copy);
      expect(elsewhere.status, elsewhere.stdout + elsewhere.stderr).toBe(0);
    } finally {
      fs.rmSync(copy, { recursive: true, force: true });
    }
  });
});

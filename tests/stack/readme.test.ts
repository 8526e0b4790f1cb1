import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { CONFIG_VARS } from '../../common/config.ts';

const root = path.resolve(import.meta.dirname, '..', '..');
const readme = fs.readFileSync(path.join(root, 'README.md'), 'utf8');

describe('README', () => {
  it('documents every configuration variable, as the code describes it', () => {
    for (const [name, meaning] of Object.entries(CONFIG_VARS)) {
      const row = readme.split('\n').find((line) => line.startsWith(`| \`${name}\` |`));
      expect(row, `README has no row for ${name}`).toBeDefined();
      expect(row).toContain(meaning);
    }
  });

  it('has a two-command quick start, and CI runs its test command', () => {
    const quickStart = /## Quick start\n\n```sh\n([\s\S]*?)```/.exec(readme)![1]!;
    const commands = quickStart
      .trim()
      .split('\n')
      .map((line) => line.split('#')[0]!.trim());
    expect(commands).toEqual(['npm run dev', 'npm test']);
    expect(fs.readFileSync(path.join(root, '.ci', 'run'), 'utf8')).toMatch(/^npm test$/m);
  });
});

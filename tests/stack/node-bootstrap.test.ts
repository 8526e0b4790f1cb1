import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { toolsDir } from '../../scripts/tools-dir.ts';

// scripts/with-node.sh puts a Node 22.12+ first on PATH: the one found when it is new enough,
// else Node 24 from the per-user tools cache (installed there from the npm registry when missing).
const root = path.resolve(import.meta.dirname, '..', '..');
const script = path.join(root, 'scripts', 'with-node.sh');
const pinned = /^NODE_VERSION=(\S+)$/m.exec(fs.readFileSync(script, 'utf8'))![1];

function run(pathDirs: string[], env: Record<string, string> = {}) {
  const result = spawnSync('bash', [script, 'node', '-p', 'process.execPath + " " + process.version'], {
    env: { ...process.env, ...env, PATH: [...pathDirs, '/usr/local/bin', '/usr/bin', '/bin'].join(':') },
    encoding: 'utf8',
    timeout: 300_000,
  });
  expect(result.status, result.stderr).toBe(0);
  return result.stdout.trim();
}

describe('scripts/with-node.sh', () => {
  it('uses the Node on PATH, installing nothing, when it is new enough', () => {
    const emptyTools = fs.mkdtempSync(path.join(os.tmpdir(), 'agent-runs-tools-'));
    try {
      expect(run([path.dirname(process.execPath)], { AGENT_RUNS_TOOLS_DIR: emptyTools })).toBe(`${process.execPath} ${process.version}`);
      expect(fs.readdirSync(emptyTools)).toEqual([]);
    } finally {
      fs.rmSync(emptyTools, { recursive: true, force: true });
    }
  });

  it(`puts Node ${pinned} from the tools cache first when the Node on PATH is too old`, () => {
    // A stand-in `node` that fails the version check, as Node 20 does.
    const oldNodeDir = fs.mkdtempSync(path.join(os.tmpdir(), 'agent-runs-old-node-'));
    fs.writeFileSync(path.join(oldNodeDir, 'node'), '#!/bin/sh\nexit 1\n', { mode: 0o755 });
    try {
      const cached = path.join(toolsDir(), `node-v${pinned}`, 'bin', 'node');
      expect(run([oldNodeDir])).toBe(`${cached} v${pinned}`);
    } finally {
      fs.rmSync(oldNodeDir, { recursive: true, force: true });
    }
  });
});

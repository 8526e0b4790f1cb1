// The process helper that starts the worker's commands: commands are children of the helper, not of
// the worker; output arrives whole and in order; failures read as execFile's did; a helper that dies
// fails only the commands it had under way, and the next command starts a new one.
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { execFileThroughHelper, spawnThroughHelper } from '../../activities/workspace/spawner.ts';

const env = { PATH: process.env.PATH };
const bash = (script: string, maxBuffer = 64 * 1024 * 1024) => execFileThroughHelper('bash', ['-c', script], { env, maxBuffer });

/** The parent pid of `pid`, from /proc. */
const parentOf = (pid: number) => {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
};

describe('the process helper', () => {
  it('starts commands as its own children, not as children of this process', async () => {
    const helperPid = Number(await bash('echo $PPID'));
    expect(helperPid).not.toBe(process.pid);
    expect(parentOf(helperPid)).toBe(process.pid);
    // The same helper serves the next command.
    expect(Number(await bash('echo $PPID'))).toBe(helperPid);
  });

  it('passes large output whole, in order, and stdout apart from stderr', async () => {
    const stdout = await bash('seq 1 300000; echo ignored >&2');
    const lines = stdout.trimEnd().split('\n');
    expect(lines).toHaveLength(300_000);
    expect(lines[0]).toBe('1');
    expect(lines.at(-1)).toBe('300000');
    expect(stdout).not.toContain('ignored');
  });

  it('fails as execFile did: the command and its stderr on a non-zero exit, ENOENT for a missing folder, and output past maxBuffer', async () => {
    await expect(bash('echo bad things >&2; exit 4')).rejects.toMatchObject({
      message: expect.stringMatching(/^Command failed: bash -c .*\nbad things\n$/s),
      code: 4,
      stderr: 'bad things\n',
    });
    await expect(
      execFileThroughHelper('git', ['status'], { cwd: path.join(os.tmpdir(), 'no-such-folder-here'), env, maxBuffer: 1024 }),
    ).rejects.toMatchObject({
      code: 'ENOENT',
    });
    await expect(bash('head -c 100000 /dev/zero', 1000)).rejects.toMatchObject({ code: 'ERR_CHILD_PROCESS_STDIO_MAXBUFFER' });
  });

  it('stops a command when its signal aborts', async () => {
    const controller = new AbortController();
    const started = Date.now();
    const run = execFileThroughHelper('sleep', ['30'], { env, maxBuffer: 1024, signal: controller.signal });
    setTimeout(() => controller.abort(), 200);
    await expect(run).rejects.toMatchObject({ name: 'AbortError' });
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it('stops a command whose signal aborts while it is being started', async () => {
    const controller = new AbortController();
    const started = Date.now();
    const run = execFileThroughHelper('sleep', ['30'], { env, maxBuffer: 1024, signal: controller.signal });
    controller.abort(); // the spawn request is on its way to the helper
    await expect(run).rejects.toMatchObject({ name: 'AbortError' });
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it('fails the commands under way when the helper dies, and the next command starts a new helper', async () => {
    const helperPid = Number(await bash('echo $PPID'));
    const chunks: string[] = [];
    const running = await spawnThroughHelper('bash', ['-c', 'echo started; sleep 30'], {
      env,
      onData: (_stream, chunk) => chunks.push(chunk.toString()),
    });
    const waiting = execFileThroughHelper('sleep', ['30'], { env, maxBuffer: 1024 });
    await expect.poll(() => chunks.join('')).toBe('started\n');
    process.kill(helperPid, 'SIGKILL');
    await expect(waiting).rejects.toThrow(/process helper exited/);
    await expect(running.exited).resolves.toMatchObject({ code: null });
    process.kill(running.pid, 'SIGKILL');
    const next = Number(await bash('echo $PPID'));
    expect(next).not.toBe(helperPid);
    expect(parentOf(next)).toBe(process.pid);
  });

  it('lets a script that used it exit once it is idle, and exits itself when the worker goes', async () => {
    const script = path.join(os.tmpdir(), `spawner-exit-${process.pid}.ts`);
    const spawner = path.resolve(import.meta.dirname, '../../activities/workspace/spawner.ts');
    fs.writeFileSync(
      script,
      `import { execFileThroughHelper } from ${JSON.stringify(spawner)};\n` +
        `console.log((await execFileThroughHelper('bash', ['-c', 'echo $PPID'], { env: process.env, maxBuffer: 1024 })).trim());\n`,
    );
    try {
      const { stdout } = await promisify(execFile)(process.execPath, [script], { timeout: 20_000 });
      const helperPid = Number(stdout.trim());
      expect(helperPid).toBeGreaterThan(0);
      // The script exited by itself (no timeout): its helper follows it.
      await expect
        .poll(() => fs.existsSync(`/proc/${helperPid}`) && !/^\S+ \S+ Z/.test(fs.readFileSync(`/proc/${helperPid}/stat`, 'utf8')), { timeout: 5_000 })
        .toBe(false);
    } finally {
      fs.rmSync(script, { force: true });
    }
  });
});

import { type ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

const root = path.resolve(import.meta.dirname, '..');

export interface BenchProcess {
  child: ChildProcess;
  /** Resident memory in MiB, now. */
  rssMiB(): number;
  stop(): Promise<void>;
}

/** Starts `node --import tsx <script>` with `env`; resolves once it prints `ready` (a substring of a line). */
export async function startNodeProcess(name: string, script: string, env: NodeJS.ProcessEnv, ready: string): Promise<BenchProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', script], {
    cwd: root,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${name} did not start in 60 s:\n${output}`)), 60_000);
    const onData = (data: Buffer) => {
      output = (output + data.toString()).slice(-20_000);
      if (output.includes(ready)) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', (code) => reject(new Error(`${name} exited (${code}) before it was ready:\n${output}`)));
  });
  // Keep draining its output, so a chatty process never blocks on a full pipe.
  child.stdout!.resume();
  child.stderr!.on('data', (data: Buffer) => {
    if (/error/i.test(data.toString())) process.stderr.write(`[${name}] ${data}`);
  });
  return { child, rssMiB: () => rssMiB(child.pid!), stop: () => stopProcess(child) };
}

/** Resident memory of a process in MiB. */
export function rssMiB(pid: number): number {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
  return kb / 1024;
}

async function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
  await exited;
  clearTimeout(timer);
}

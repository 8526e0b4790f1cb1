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
  // BENCH_CPU_PROFILE=<dir>: each process writes a V8 CPU profile there when it exits (open it in Chrome's DevTools).
  const profile = process.env.BENCH_CPU_PROFILE ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_CPU_PROFILE}`] : [];
  const child = spawn(process.execPath, [...profile, '--import', 'tsx', script], {
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

/** Clock ticks per second of /proc/<pid>/stat's times (USER_HZ: 100 on Linux). */
const TICKS_PER_SECOND = 100;

/**
 * CPU seconds a process has used: its own (`own`), that of its children (`children`: those it has
 * waited for, such as git commands, and those still running, with theirs), or both.
 */
export function cpuSeconds(pid: number, which: 'all' | 'own' | 'children' = 'all'): number {
  const { own, waited } = statTimes(pid);
  if (which === 'own') return own;
  // Children still running count too: the worker's process helper lives as long as the worker.
  const children = waited + liveChildren(pid).reduce((sum, child) => sum + cpuSeconds(child), 0);
  return which === 'children' ? children : own + children;
}

/** From /proc/<pid>/stat: the CPU seconds of the process itself, and of its children it has waited for. */
function statTimes(pid: number): { own: number; waited: number } {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may hold spaces, in parentheses): utime is the 14th field.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const [utime, stime, cutime, cstime] = [11, 12, 13, 14].map((i) => Number(fields[i]));
    return { own: (utime! + stime!) / TICKS_PER_SECOND, waited: (cutime! + cstime!) / TICKS_PER_SECOND };
  } catch {
    return { own: 0, waited: 0 }; // gone meanwhile
  }
}

/** The processes whose parent is `pid`, now. */
function liveChildren(pid: number): number[] {
  const children: number[] = [];
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${entry}/stat`, 'utf8');
      if (Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === pid) children.push(Number(entry));
    } catch {
      // gone meanwhile
    }
  }
  return children;
}

/** CPU seconds used by every Postgres process on this machine (the server's exited backends count in its own children's time). */
export function postgresCpuSeconds(): number {
  let total = 0;
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (fs.readFileSync(`/proc/${entry}/comm`, 'utf8').trim() !== 'postgres') continue;
      const { own, waited } = statTimes(Number(entry));
      total += own + waited;
    } catch {
      // gone meanwhile
    }
  }
  return total;
}

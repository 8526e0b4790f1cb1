// Where a project's workspace template may read this machine's folders: only under the tenant's own
// folder of WORKSPACE_TEMPLATE_ROOT, never the data folder, links followed where the worker reads.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { templateProblem, templateProblemOnDisk, tenantPlaces } from '../../activities/workspace/template-places.ts';

const base = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'template-places-')));
// The operator's root holds the data folder too: the data-folder rule is what refuses reaching it.
const places = { root: base, dataDir: path.join(base, 'acme', 'data') };
const acme = tenantPlaces(places, 'acme')!;
fs.mkdirSync(path.join(base, 'acme', 'data', 'workspaces', 'exec-1'), { recursive: true });
fs.mkdirSync(path.join(base, 'acme', 'repo'), { recursive: true });
fs.mkdirSync(path.join(base, 'globex', 'repo'), { recursive: true });
afterAll(() => fs.rmSync(base, { recursive: true, force: true }));

describe('template places', () => {
  it("allows the tenant's own folders, and refuses everything else by name", () => {
    const p = (folder: string) => templateProblem({ type: 'path', path: folder }, acme);
    expect(p(path.join(base, 'acme', 'repo'))).toBeUndefined();
    expect(p(path.join(base, 'globex', 'repo'))).toContain(`must be under ${path.join(base, 'acme')}`);
    expect(p(path.join(base, 'acme', 'repo', '..', '..', 'globex', 'repo'))).toContain('must be under');
    expect(p(path.join(base, 'acme', 'data', 'workspaces', 'exec-1'))).toContain("may not reach the service's data folder");
    expect(p(path.join(base, 'acme'))).toContain("may not reach the service's data folder");
    expect(templateProblem({ type: 'path', path: path.join(base, 'acme', 'repo') }, undefined)).toContain('WORKSPACE_TEMPLATE_ROOT');
    expect(templateProblem({ type: 'path', path: path.join(base, 'acme', 'repo') }, { dataDir: places.dataDir })).toContain('not allowed');
    expect(templateProblem({ type: 'empty' }, undefined)).toBeUndefined();
  });

  it('refuses, where the worker reads it, ssh to a name that resolves to this machine (its own host name)', async () => {
    const own = (url: string) => templateProblemOnDisk({ type: 'git', url }, acme);
    expect(await own(`git@${os.hostname()}:team/r.git`)).toContain('reaches this machine over ssh');
    expect(await own(`ssh://git@${os.hostname()}/team/r.git`)).toContain('reaches this machine over ssh');
    // A name that resolves nowhere (the machines here are offline) is git's to fail on.
    expect(await own('git@unresolvable.invalid:team/r.git')).toBeUndefined();
  });

  it('treats local git URLs as folders, and refuses ssh to this machine, option-like hosts and other transports', () => {
    const g = (url: string) => templateProblem({ type: 'git', url }, acme);
    expect(g('https://example.com/r.git')).toBeUndefined();
    expect(g('git@github.com:team/r.git')).toBeUndefined();
    expect(g('ssh://git@example.com:2222/team/r.git')).toBeUndefined();
    expect(g(`file://${path.join(base, 'acme', 'repo')}`)).toBeUndefined();
    expect(g(`file://${path.join(base, 'globex', 'repo')}`)).toContain('must be under');
    expect(g(path.join(base, 'acme', 'data'))).toContain('data folder');
    for (const url of [
      'git@localhost:/etc',
      'me@127.0.0.1:/etc',
      'ssh://localhost/etc',
      'ssh://[::1]/etc',
      'git+ssh://user@0.0.0.0/etc',
      'ssh://127.1/etc',
      'ssh://0/etc',
      'ssh://localhost./etc',
      'git@LocalHost:/etc',
    ]) {
      expect(g(url), url).toContain('reaches this machine over ssh');
    }
    expect(g('ssh://-oProxyCommand=x/r')).toContain('names no usable host');
    for (const url of ['ext::sh -c x', 'fd::3', 'relative/repo', 'C:/repo']) expect(g(url), url).toContain('is not supported');
  });

  it('follows links where the worker reads, and refuses a folder that is not there', async () => {
    const link = path.join(base, 'acme', 'link-to-data');
    fs.symlinkSync(path.join(base, 'acme', 'data', 'workspaces', 'exec-1'), link);
    expect(templateProblem({ type: 'path', path: link }, acme)).toBeUndefined();
    expect(await templateProblemOnDisk({ type: 'path', path: link }, acme)).toContain("may not reach the service's data folder");
    const away = path.join(base, 'acme', 'link-away');
    fs.symlinkSync(path.join(base, 'globex', 'repo'), away);
    expect(await templateProblemOnDisk({ type: 'path', path: away }, acme)).toContain('must be under');
    expect(await templateProblemOnDisk({ type: 'git', url: path.join(base, 'acme', 'missing') }, acme)).toContain('does not exist');
    expect(await templateProblemOnDisk({ type: 'path', path: path.join(base, 'acme', 'repo') }, acme)).toBeUndefined();
  });
});

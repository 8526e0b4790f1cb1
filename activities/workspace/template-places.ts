import dns from 'node:dns/promises';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { WorkspaceTemplate } from './driver.ts';

/**
 * Where a project's workspace template may come from. A `path` template, and a git template that
 * clones a local repository (a `file:` URL or a path), must lie under the tenant's folder of `root`
 * (`<root>/<tenant>`), which the operator sets (WORKSPACE_TEMPLATE_ROOT; unset, none may); nothing
 * under `dataDir` (other executions' workspaces, baselines, the embedded database) ever may.
 */
export interface TemplatePlaces {
  root?: string;
  dataDir: string;
}

/** The places of one tenant: its own folder under the root, so no tenant's template reads another's folders. */
export const tenantPlaces = (places: TemplatePlaces | undefined, tenantId: string): TemplatePlaces | undefined =>
  places && { ...places, root: places.root && path.join(places.root, tenantId) };

/** Git URLs that reach another machine: `https://`, `http://`, `ssh://`, `git://`, or scp-like `user@host:path`. */
const REMOTE_GIT_URL = /^(?:(?:https?|ssh|git|git\+ssh|ssh\+git):\/\/[^/]|[A-Za-z0-9._~-]+@[A-Za-z0-9.-]+:)/i;

/** The folder a template reads from this machine, if it reads one; undefined for a remote git URL. */
function localSource(template: WorkspaceTemplate): { folder: string } | { unsupported: string } | undefined {
  if (template.type === 'empty') return undefined;
  if (template.type === 'path') return { folder: template.path };
  if (REMOTE_GIT_URL.test(template.url)) return undefined;
  if (/^file:\/\//i.test(template.url)) {
    try {
      return { folder: decodeURIComponent(new URL(template.url).pathname) };
    } catch {
      return { unsupported: template.url };
    }
  }
  if (path.isAbsolute(template.url)) return { folder: template.url };
  return { unsupported: template.url };
}

/** An ssh host that is this machine reads its files as a path would; a host starting with `-` is an ssh option. */
const SSH_HOST = /^(?:(?:git\+ssh|ssh\+git|ssh):\/\/(?:[^@/]*@)?(\[[^\]]*\]|[^:/]*)|[A-Za-z0-9._~-]+@([A-Za-z0-9.-]+):)/i;
const LOOPBACK = /^(?:localhost|localhost\.localdomain|127(?:\.\d{1,3}){3}|0\.0\.0\.0|\[?::1?\]?|\[::ffff:127(?:\.\d{1,3}){3}\])$/i;

/** This machine by name or number: `localhost`, `127.x`, `127.1`, `0`, `::1`, with a trailing dot or not (names that resolve here are not caught). */
function isLoopback(host: string): boolean {
  const name = host
    .toLowerCase()
    .replace(/\.$/, '')
    .replace(/^\[|\]$/g, '');
  return (
    LOOPBACK.test(name) ||
    /^(?:127|0)(?:\.\d+){0,3}$/.test(name) ||
    /^0x7f/i.test(name) ||
    /^(?:0*:)*:?0*1$/.test(name) ||
    name.endsWith('.localhost')
  );
}

/** The host of an ssh git URL (`''` when it names none), or undefined for another kind of URL. */
function sshHostOf(url: string): string | undefined {
  const match = SSH_HOST.exec(url);
  return match ? (match[1] ?? match[2] ?? '') : undefined;
}

function sshProblem(url: string): string | undefined {
  const host = sshHostOf(url);
  if (host === undefined) return undefined;
  if (host === '' || host.startsWith('-')) return `git URL ${JSON.stringify(url)} names no usable host`;
  if (isLoopback(host)) return `git URL ${JSON.stringify(url)} reaches this machine over ssh, which would read its folders: not allowed`;
  return undefined;
}

/**
 * Where the worker runs: an ssh host whose name resolves to this machine (its own name, a name in
 * /etc/hosts) would read its folders as a loopback address would. A name that does not resolve is
 * left to git, which cannot reach it either.
 */
async function sshHostProblem(url: string): Promise<string | undefined> {
  const host = sshHostOf(url)?.replace(/^\[|\]$/g, '');
  if (!host) return undefined;
  const addresses = await dns.lookup(host, { all: true }).catch(() => []);
  const own = new Set(
    Object.values(os.networkInterfaces())
      .flat()
      .map((i) => i?.address),
  );
  const local = addresses.find((a) => isLoopback(a.address) || own.has(a.address));
  if (!local) return undefined;
  return `git URL ${JSON.stringify(url)} reaches this machine over ssh (${host} is ${local.address}), which would read its folders: not allowed`;
}

const within = (folder: string, parent: string) => {
  const relative = path.relative(parent, folder);
  return relative === '' || (!relative.startsWith('..') && !path.isAbsolute(relative));
};

/**
 * Why the template may not be used, or undefined when it may: judged on its names alone (the API,
 * which may run on another machine than the worker, refuses it when it is set).
 */
export function templateProblem(template: WorkspaceTemplate, places: TemplatePlaces | undefined): string | undefined {
  const source = localSource(template);
  if (!source) return template.type === 'git' ? sshProblem(template.url) : undefined;
  if ('unsupported' in source) {
    return `git URL ${JSON.stringify(source.unsupported)} is not supported: use https://, ssh://, git://, user@host:path, or (when allowed) file://`;
  }
  if (!places?.root) return folderProblem(source.folder, undefined, '');
  return folderProblem(path.resolve(source.folder), path.resolve(places.root), path.resolve(places.dataDir));
}

function folderProblem(folder: string, root: string | undefined, dataDir: string): string | undefined {
  const what = `workspace templates from this machine's folders`;
  if (!root) return `${what} are not allowed here (the operator allows them under WORKSPACE_TEMPLATE_ROOT)`;
  if (!within(folder, root)) return `${what} must be under ${root}`;
  if (within(folder, dataDir) || within(dataDir, folder)) return `${what} may not reach the service's data folder`;
  return undefined;
}

/**
 * As templateProblem, judged again where the worker reads the folder, with links followed: a folder
 * under the root that links into the data folder is refused too.
 */
export async function templateProblemOnDisk(template: WorkspaceTemplate, places: TemplatePlaces): Promise<string | undefined> {
  const named = templateProblem(template, places);
  if (named) return named;
  const source = localSource(template);
  if (!source && template.type === 'git') return sshHostProblem(template.url);
  if (!source || 'unsupported' in source) return undefined;
  // A folder that does not exist is refused: git would try names next to it (`<path>.git`, `<path>/.git`).
  const real = (p: string) => fs.realpath(p).catch(() => undefined);
  const [folder, root, dataDir] = await Promise.all([real(source.folder), real(places.root!), real(places.dataDir)]);
  if (!folder) return `the template's folder ${source.folder} does not exist`;
  return folderProblem(folder, root ?? path.resolve(places.root!), dataDir ?? path.resolve(places.dataDir));
}

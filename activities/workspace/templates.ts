import { randomUUID } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import type { WorkspaceTemplate } from './driver.ts';
import { hasCode, isDirectory } from './fs-helpers.ts';
import { git } from './git.ts';

/**
 * Creates the folder `root` from the template. If another prepare creates `root` at the same time,
 * its folder is kept and this one discarded.
 */
export async function createFromTemplate(root: string, template: WorkspaceTemplate): Promise<void> {
  const parent = path.dirname(root);
  await fs.mkdir(parent, { recursive: true });
  // Built aside and renamed into place, so a crash mid-clone never leaves a half workspace behind.
  const staging = path.join(parent, `.${path.basename(root)}.preparing-${randomUUID()}`);
  try {
    await fillFromTemplate(staging, template);
    await fs.rename(staging, root).catch((err: unknown) => {
      // A concurrent prepare got there first: keep its workspace.
      if (!hasCode(err, 'ENOTEMPTY') && !hasCode(err, 'EEXIST')) throw err;
    });
  } finally {
    await fs.rm(staging, { recursive: true, force: true });
  }
}

/** Creates the folder `dir` (which must not exist yet) with the template's content. */
async function fillFromTemplate(dir: string, template: WorkspaceTemplate): Promise<void> {
  switch (template.type) {
    case 'empty':
      await fs.mkdir(dir);
      return;
    case 'path':
      if (!(await isDirectory(template.path))) throw new Error(`template path ${template.path} is not a folder`);
      // Symlinks are copied as they are; the file tools refuse the ones that lead outside.
      await fs.cp(template.path, dir, { recursive: true, verbatimSymlinks: true });
      return;
    case 'git':
      // No credential helper: a token one tenant's URL carried must not be kept and filled in for another's.
      await git(['-c', 'credential.helper=', 'clone', '-q', '--', template.url, dir]);
      // The clone remembers where it came from: without the credentials, which the agent must not read.
      if (withoutCredentials(template.url) !== template.url) await git(['remote', 'set-url', 'origin', withoutCredentials(template.url)], dir);
      if (template.ref !== undefined) {
        if (template.ref.startsWith('-')) throw new Error(`invalid git ref ${JSON.stringify(template.ref)}`);
        await git(['checkout', '-q', template.ref, '--'], dir);
      }
      return;
  }
}

/** An http(s) URL without its user name and password; any other URL as it is. */
function withoutCredentials(value: string): string {
  try {
    const url = new URL(value);
    if ((url.protocol !== 'https:' && url.protocol !== 'http:') || (!url.username && !url.password)) return value;
    url.username = '';
    url.password = '';
    return url.toString();
  } catch {
    return value;
  }
}

import type { ProjectSecrets } from '../db/projects.ts';

/** What a stored template's masked credentials read as. */
export const MASK = '***';

type Template = { type: 'empty' } | { type: 'path'; path: string } | { type: 'git'; url: string; ref?: string };

/**
 * Takes a git URL's credentials (`https://user:token@host/…`) out of the template: the template keeps
 * the URL with them masked, the secrets the whole URL, which only the worker reads. A URL sent back
 * masked as it was read keeps the credentials stored before.
 */
export function splitCredentials(template: Template, stored?: ProjectSecrets | null): { template: Template; secrets: ProjectSecrets | null } {
  const masked = template.type === 'git' ? maskUrl(template.url) : undefined;
  if (template.type !== 'git' || !masked) return { template, secrets: null };
  if (template.url === masked && stored?.gitUrl && maskUrl(stored.gitUrl) === masked) return { template, secrets: stored };
  return { template: { ...template, url: masked }, secrets: { gitUrl: template.url } };
}

/** The http(s) URL with its credentials masked, or undefined when it has none. */
function maskUrl(value: string): string | undefined {
  const url = parseHttpUrl(value);
  if (!url || (!url.username && !url.password)) return undefined;
  url.username = MASK;
  url.password = '';
  return url.toString();
}

function parseHttpUrl(value: string): URL | undefined {
  try {
    const url = new URL(value);
    return url.protocol === 'https:' || url.protocol === 'http:' ? url : undefined;
  } catch {
    return undefined;
  }
}

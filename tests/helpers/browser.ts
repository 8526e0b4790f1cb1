// Real Chromium for the console's tests: Debian's `chromium` package (`.ci/run` installs it when
// missing), driven by playwright-core, which downloads nothing. Each test saves a screenshot of its
// page under test-results/ (git-ignored).
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { type Browser, chromium, type Page } from 'playwright-core';

export const SCREENSHOTS = path.resolve(import.meta.dirname, '..', '..', 'test-results', 'screenshots');

export function chromiumPath(): string {
  const found =
    process.env.CHROMIUM_PATH ?? execFileSync('bash', ['-c', 'command -v chromium || command -v chromium-browser'], { encoding: 'utf8' }).trim();
  if (!found) throw new Error('Chromium is not installed: apt-get install -y chromium (or set CHROMIUM_PATH)');
  return found;
}

export async function launchBrowser(): Promise<Browser> {
  return chromium.launch({ executablePath: chromiumPath(), args: ['--no-sandbox', '--disable-dev-shm-usage'] });
}

/** A page of the console at `url`, signed in with `token` (in the tab's session storage, as the sign-in form keeps it). */
export async function signedInPage(browser: Browser, url: string, token: string, viewport = { width: 1280, height: 900 }): Promise<Page> {
  const context = await browser.newContext({ viewport });
  await context.addInitScript((value) => sessionStorage.setItem('agent-runs-token', value), token);
  const page = await context.newPage();
  await page.goto(url);
  return page;
}

export async function screenshot(page: Page, name: string): Promise<void> {
  fs.mkdirSync(SCREENSHOTS, { recursive: true });
  await page.screenshot({ path: path.join(SCREENSHOTS, `${name}.png`), fullPage: true });
}

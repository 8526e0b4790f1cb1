// The console end to end in real Chromium against the real stack (Temporal dev server, Postgres, the
// demo model): sign in, start a task in plan mode, approve its plan and its tool call, watch the
// text arrive, see the diff in Results, send a follow-up; a dropped live connection resumes with
// nothing missing; stop a demo-slow run and archive it; filter and search the list.
import fs from 'node:fs';
import { eq } from 'drizzle-orm';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runFiles, runs } from '../../db/schema.ts';
import { launchBrowser, screenshot, signedInPage } from '../helpers/browser.ts';
import { startTestStack, type TestStack, UNATTENDED_AGENT } from '../helpers/test-stack.ts';

let stack: TestStack;
let browser: Browser;

beforeAll(async () => {
  stack = await startTestStack();
  browser = await launchBrowser();
});
afterAll(async () => {
  await browser?.close();
  await stack?.close();
});

const statusOf = (page: Page) => page.locator('.facts [data-status]').first();

describe('the console', () => {
  it('signs in with a token, refuses a wrong one, and signs out', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(stack.url);
    await page.getByLabel('API token').fill('ar_not_a_token');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect.poll(() => page.getByRole('alert').textContent()).toContain('not valid');
    await page.getByLabel('API token').fill(stack.token);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Agent runs' }).waitFor();
    await expect.poll(() => page.getByTestId('status-label').textContent()).toMatch(/^Agents/);
    // A newcomer's empty list says what to do.
    await page.getByText(/No executions yet\. Press Start task/).waitFor();
    await screenshot(page, 'runs-list');
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByLabel('API token').waitFor();
    expect(await page.evaluate(() => sessionStorage.getItem('agent-runs-token'))).toBeNull();
    await context.close();
  });

  it('runs a demo task from the Start task dialog: plan, approval, tool call, streamed text, diff, follow-up', async () => {
    const page = await signedInPage(browser, stack.url, stack.token);
    await page.getByRole('button', { name: 'Start task' }).click();
    const dialog = page.getByRole('dialog', { name: 'Start task' });
    await dialog.getByLabel('Prompt').fill('Write a haiku about durable execution');
    await dialog.getByLabel('Project').fill('console-demo');
    await dialog.getByRole('button', { name: 'Start', exact: true }).click();

    await page.getByRole('heading', { name: /Plan v1 awaits your approval/ }).waitFor({ timeout: 60_000 });
    expect(await page.locator('.decision .markdown').textContent()).toContain('Write a haiku about durable execution');
    await page.getByRole('button', { name: 'Approve plan' }).click();

    await page.getByRole('heading', { name: /The agent asks to run/ }).waitFor({ timeout: 60_000 });
    expect(await page.locator('.tool-input').textContent()).toContain('wc -l NOTES.md');
    await page.getByRole('button', { name: 'Approve tool call' }).click();

    await expect.poll(() => statusOf(page).getAttribute('data-status'), { timeout: 60_000 }).toBe('completed');
    // The model's text and its tool calls, as they were streamed.
    await expect.poll(() => page.locator('.messages').textContent()).toContain('NOTES.md');
    expect(await page.locator('.message.assistant').count()).toBeGreaterThan(0);
    expect(await page.locator('.tool-call').count()).toBeGreaterThan(1);
    await screenshot(page, 'execution-messages');

    await page.getByRole('tab', { name: 'Results' }).click();
    const diff = page.getByTestId('diff').first();
    await diff.waitFor();
    expect(await diff.locator('.diff-added').count()).toBeGreaterThan(0);
    expect(await page.locator('.file-change summary').first().textContent()).toContain('NOTES.md');
    await screenshot(page, 'execution-results');

    await page.getByRole('tab', { name: 'Runs' }).click();
    await page.getByLabel('Follow-up').fill('Now add a second line');
    await page.getByRole('button', { name: 'Send follow-up' }).click();
    await expect.poll(() => page.locator('table.runs tbody tr').count(), { timeout: 30_000 }).toBe(2);
    await screenshot(page, 'execution-runs');

    // The agent timeline: active and waiting periods, drawn.
    await page.getByRole('tab', { name: 'Activity' }).click();
    await page.locator('svg.activity rect').first().waitFor();
    expect(await page.locator('.legend [data-state="waiting"]').count()).toBeGreaterThan(0);
    expect(await page.locator('.legend [data-state="active"]').count()).toBeGreaterThan(0);
    await screenshot(page, 'execution-activity');

    // The run page: Summary, Nice (steps with their payloads), Raw (events, and the ndjson download).
    await page.getByRole('tab', { name: 'Runs' }).click();
    await page.getByRole('link', { name: 'Run-', exact: false }).first().click();
    await page.getByRole('heading', { name: /^Run-\d+$/ }).waitFor();
    expect(await page.locator('.summary-facts').textContent()).toContain('Tool calls');
    await page.getByRole('tab', { name: 'Nice' }).click();
    await page.locator('.timeline .step-kind', { hasText: 'tool_call' }).first().click();
    expect(await page.locator('.timeline details[open]').first().textContent()).toContain('Request');
    await page.getByRole('tab', { name: 'Raw' }).click();
    await page.locator('.raw-events tbody tr').first().waitFor();
    expect(await page.locator('.raw-events').textContent()).toContain('run.created');
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Download ndjson' }).click()]);
    expect(download.suggestedFilename()).toMatch(/^run-\d+-events\.ndjson$/);
    const lines = fs
      .readFileSync((await download.path())!, 'utf8')
      .trim()
      .split('\n');
    expect(JSON.parse(lines[0]!).type).toBe('run.created');
    await screenshot(page, 'run-raw');
    await page.context().close();
  });

  it('resumes after a dropped live connection with nothing missing and nothing twice', async () => {
    const page = await signedInPage(browser, stack.url, stack.token);
    // Every subscribe message the page sends, to check where it resumes after the drop.
    const subscribes: Array<{ executionId?: string; after?: string }> = [];
    page.on('websocket', (ws) =>
      ws.on('framesent', ({ payload }) => {
        const message = JSON.parse(String(payload));
        if (message.type === 'subscribe') subscribes.push(message);
      }),
    );
    const id = await startFromDialog(page, 'Keep a note of the outage drill', { planFirst: false, model: 'demo-slow', project: 'console-drop' });
    await page.locator('.tool-call').first().waitFor({ timeout: 30_000 });
    // Streamed: the model's thinking shows while the run still works, not once it has ended.
    expect(await page.locator('.thinking').count()).toBeGreaterThan(0);
    expect(await statusOf(page).getAttribute('data-status')).not.toBe('completed');
    await page.evaluate(() => (globalThis as { __dropLiveConnection?: () => void }).__dropLiveConnection?.());
    await page.getByRole('status').filter({ hasText: 'Reconnecting' }).waitFor();
    await page.getByRole('button', { name: 'Approve tool call' }).click({ timeout: 60_000 });
    await expect.poll(() => statusOf(page).getAttribute('data-status'), { timeout: 60_000 }).toBe('completed');
    expect(await page.getByRole('status').filter({ hasText: 'Reconnecting' }).count()).toBe(0);
    // It subscribed again after the last cursor it had, not from the start.
    const mine = subscribes.filter((m) => m.executionId === id);
    expect(mine.length).toBeGreaterThanOrEqual(2);
    expect(mine[0]!.after).toBe('0');
    expect(Number(mine.at(-1)!.after)).toBeGreaterThan(0);

    // What the page shows is what the audit log holds, once each.
    const events = ((await (await stack.api(`/v1/executions/${id}/events?limit=500`)).json()) as { items: any[] }).items;
    const started = events.filter((e) => e.type === 'tool.call_started').map((e) => e.payload.callId);
    const shown = await page.locator('.tool-call').count();
    expect(shown).toBe(new Set(started).size);
    const text = events
      .filter((e) => e.type === 'model.text_delta')
      .map((e) => e.payload.text)
      .join('');
    expect((await page.locator('.message.assistant').allTextContents()).join('')).toBe(text);
    await screenshot(page, 'execution-after-reconnect');
    await page.context().close();
  });

  it('stops a demo-slow run, then archives it; the list filters and searches it', async () => {
    const page = await signedInPage(browser, stack.url, stack.token);
    const id = await startFromDialog(page, 'A slow task about lighthouses', { planFirst: false, model: 'demo-slow', project: 'console-slow' });
    await expect.poll(() => statusOf(page).getAttribute('data-status'), { timeout: 30_000 }).toBe('running');
    await page.getByRole('button', { name: 'Stop' }).click();
    await expect.poll(() => statusOf(page).getAttribute('data-status'), { timeout: 30_000 }).toBe('cancelled');
    await page.getByRole('button', { name: 'Archive' }).click();
    await page.locator('.facts .badge', { hasText: 'archived' }).waitFor();
    await screenshot(page, 'execution-stopped-archived');

    await page.getByRole('link', { name: 'Agent runs' }).click();
    const row = page.locator(`tr[data-execution-id="${id}"]`);
    // Archived executions leave the default list, and show with the archived filter.
    await page.getByRole('heading', { name: 'Agent runs' }).waitFor();
    expect(await row.count()).toBe(0);
    await page.getByLabel('Archived').selectOption('true');
    await row.waitFor();
    expect(new URL(page.url()).searchParams.get('archived')).toBe('true');
    await page.getByLabel('Search prompts').fill('lighthouses');
    await page.getByLabel('Search prompts').press('Enter');
    await expect.poll(() => page.locator('tbody tr').count()).toBe(1);
    expect(new URL(page.url()).searchParams.get('q')).toBe('lighthouses');
    await page.getByLabel('Status').selectOption('completed');
    await expect.poll(() => page.locator('tbody tr').count()).toBe(0);
    await page.getByLabel('Status').selectOption('cancelled');
    await row.waitFor();
    // The filters are in the URL: a reload shows the same list.
    await page.reload();
    await row.waitFor();
    expect(await page.getByLabel('Status').inputValue()).toBe('cancelled');
    await screenshot(page, 'runs-list-filtered');
    await page.context().close();
  });
});

describe('the console, live and by access', () => {
  it("keeps the sidebar's status label live on every page, the list's and an execution's", async () => {
    const page = await signedInPage(browser, stack.url, stack.token);
    const label = page.getByTestId('status-label');
    // "Agents idle" or "Agents: N running, M queued": earlier tests may have left some working.
    const running = async () => {
      const text = (await label.textContent()) ?? '';
      return text === 'Agents idle' ? 0 : Number(/^Agents: (\d+) running/.exec(text)?.[1] ?? Number.NaN);
    };
    await expect.poll(running).not.toBeNaN();
    const before = await running();
    const id = await stack.createExecution({
      projectId: 'console-label',
      prompt: 'A slow one for the label',
      planMode: 'never',
      model: { provider: 'demo', model: 'demo-slow' },
    });
    await expect.poll(running, { timeout: 30_000 }).toBe(before + 1);
    // Leaving the list (whose own live subscription then ends) must not end the sidebar's.
    await page.locator(`tr[data-execution-id="${id}"] a`).click();
    await statusOf(page).waitFor();
    await stack.api(`/v1/executions/${id}/cancel?wait=true`, { method: 'POST' });
    await expect.poll(running, { timeout: 30_000 }).toBe(before);
    await page.context().close();
  });

  it('goes back to sign-in when its token is revoked while the page is open', async () => {
    const { userId } = await stack.tokenFor('console-revoked');
    const issued = (await (
      await stack.api('/v1/tenant/tokens', { method: 'POST', body: JSON.stringify({ name: 'soon revoked', user: userId.split(':').pop() }) })
    ).json()) as { id: string; token: string };
    const page = await signedInPage(browser, stack.url, issued.token);
    await page.getByRole('heading', { name: 'Agent runs' }).waitFor();
    expect((await stack.api(`/v1/tenant/tokens/${issued.id}`, { method: 'DELETE' })).status).toBe(200);
    // The live connection drops (as a network would) and is refused when it reconnects: the console signs out.
    await page.evaluate(() => (globalThis as { __dropLiveConnection?: () => void }).__dropLiveConnection?.());
    await page.getByLabel('API token').waitFor({ timeout: 30_000 });
    expect(await page.evaluate(() => sessionStorage.getItem('agent-runs-token'))).toBeNull();
    await page.context().close();
  });

  it('shows someone with read access the execution without its controls', async () => {
    const id = await stack.createExecution({ projectId: 'console-shared', prompt: 'Shared for reading', planMode: 'always' });
    const reader = await stack.tokenFor('console-reader');
    const shared = await stack.api(`/v1/executions/${id}/shares/${encodeURIComponent(reader.userId)}`, {
      method: 'PUT',
      body: JSON.stringify({ access: 'read' }),
    });
    expect(shared.status).toBeLessThan(300);
    const page = await signedInPage(browser, `${stack.url}/executions/${id}`, reader.token);
    await expect.poll(() => statusOf(page).getAttribute('data-status'), { timeout: 30_000 }).toBe('awaiting_approval');
    expect(await page.getByRole('button', { name: 'Stop' }).isVisible()).toBe(false);
    expect(await page.getByRole('button', { name: 'Approve plan' }).count()).toBe(0);
    await screenshot(page, 'execution-read-only');
    await page.context().close();
    await stack.api(`/v1/executions/${id}/cancel?wait=true`, { method: 'POST' });
  });
});

describe("the console's background agents panel", () => {
  it('starts background agents, shows them active then in history live, stops one, and expands a log', async () => {
    const page = await signedInPage(browser, `${stack.url}/background`, stack.token);
    await page.getByRole('heading', { name: 'Background agents' }).waitFor();
    await expect.poll(() => page.getByRole('status').filter({ hasText: 'live' }).count()).toBe(1);
    const form = page.getByRole('form', { name: 'start a background agent' });

    // The unattended agent finishes by itself: active, then history, without a reload.
    await form.locator('select[name="agentId"]').selectOption(UNATTENDED_AGENT.id);
    await form.getByLabel('Task').fill('Tidy the notes in the background');
    await form.getByRole('button', { name: 'Start background agent' }).click();
    const history = page.locator('section.background-group').nth(1);
    const done = history.locator('.background-item', { hasText: 'Tidy the notes in the background' });
    await done.locator('[data-status="completed"]').waitFor({ timeout: 60_000 });
    await done.getByText('Log').click();
    await done.locator('.timeline .step-kind', { hasText: 'tool_call' }).first().waitFor();

    // The default agent waits for permission to run its command: it stays active until stopped.
    await form.locator('select[name="agentId"]').selectOption('default');
    await form.getByLabel('Task').fill('Wait for a person in the background');
    await form.getByRole('button', { name: 'Start background agent' }).click();
    const active = page.locator('section.background-group').first();
    const waiting = active.locator('.background-item', { hasText: 'Wait for a person in the background' });
    await waiting.locator('[data-status="waiting_permission"]').waitFor({ timeout: 60_000 });
    await screenshot(page, 'background-agents');
    await waiting.getByRole('button', { name: 'Stop' }).click();
    await history
      .locator('.background-item', { hasText: 'Wait for a person in the background' })
      .locator('[data-status="cancelled"]')
      .waitFor({ timeout: 30_000 });
    expect(await active.locator('.background-item', { hasText: 'Wait for a person in the background' }).count()).toBe(0);
    await page.context().close();
  });
});

describe("the console's agents and projects", () => {
  it('lists agents, edits one, and shows the refusal to someone who may not', async () => {
    const page = await signedInPage(browser, `${stack.url}/agents`, stack.token);
    await page.locator('tr[data-agent-id="default"]').waitFor();
    await page.locator(`tr[data-agent-id="${UNATTENDED_AGENT.id}"] a`).click();
    const form = page.getByRole('form', { name: 'edit the agent' });
    await form.getByLabel('System prompt').fill('Be brief.');
    await form.getByRole('button', { name: 'Save agent' }).click();
    await page.getByRole('status').filter({ hasText: 'Saved.' }).waitFor();
    const saved = (await (await stack.api(`/v1/agents/${UNATTENDED_AGENT.id}`)).json()) as { systemPrompt: string; allowedTools: string[] };
    expect(saved.systemPrompt).toBe('Be brief.');
    expect(saved.allowedTools).toEqual(UNATTENDED_AGENT.allowedTools ?? saved.allowedTools);
    await screenshot(page, 'agent-edit');
    await page.context().close();

    const member = await stack.tokenFor('console-member');
    const other = await signedInPage(browser, `${stack.url}/agents/${UNATTENDED_AGENT.id}`, member.token);
    await other.getByRole('form', { name: 'edit the agent' }).getByRole('button', { name: 'Save agent' }).click();
    await expect.poll(() => other.getByRole('alert').textContent()).toContain('agent:write');
    await other.context().close();
  });

  it("lists the caller's projects and sets one's workspace template", async () => {
    const page = await signedInPage(browser, `${stack.url}/projects`, stack.token);
    await page.locator('tr[data-project-id="console-demo"] a').click();
    const form = page.getByRole('form', { name: 'edit the workspace template' });
    await form.getByLabel('Type').selectOption('git');
    await form.getByLabel('URL').fill('https://example.com/acme/web.git');
    await form.getByLabel(/^Ref/).fill('main');
    await form.getByRole('button', { name: 'Save template' }).click();
    await page.getByRole('status').filter({ hasText: 'Saved.' }).waitFor();
    const project = (await (await stack.api('/v1/projects/console-demo')).json()) as { workspaceTemplate: unknown };
    expect(project.workspaceTemplate).toEqual({ type: 'git', url: 'https://example.com/acme/web.git', ref: 'main' });
    await page.getByRole('link', { name: 'Projects' }).click();
    await expect
      .poll(() => page.locator('tr[data-project-id="console-demo"]').textContent())
      .toContain('git https://example.com/acme/web.git @ main');
    await screenshot(page, 'projects');
    await page.context().close();
  });

  it('works at a phone width: the list and an execution fit, nothing wider than the screen', async () => {
    const page = await signedInPage(browser, stack.url, stack.token, { width: 390, height: 844 });
    await page.locator('tbody tr').first().waitFor();
    const overflow = () => page.evaluate<number>('document.documentElement.scrollWidth - document.documentElement.clientWidth');
    expect(await overflow()).toBeLessThanOrEqual(0);
    await page.locator('tbody tr a').first().click();
    await statusOf(page).waitFor();
    expect(await overflow()).toBeLessThanOrEqual(0);
    await screenshot(page, 'phone-execution');
    await page.context().close();
  });
});

describe("the console's People tab", () => {
  it('shares an execution, and comments arrive live on both sides; only an author edits or deletes', async () => {
    const id = await stack.createExecution({ projectId: 'console-people', prompt: 'Discuss this one', planMode: 'always' });
    const reader = await stack.tokenFor('console-commenter');
    const owner = await signedInPage(browser, `${stack.url}/executions/${id}?tab=people`, stack.token);
    const share = owner.getByRole('form', { name: 'share the execution' });
    await share.getByLabel('User').fill(reader.userId);
    await share.getByRole('button', { name: 'Share' }).click();
    await owner.locator(`[data-share="${reader.userId}"]`).waitFor();

    const other = await signedInPage(browser, `${stack.url}/executions/${id}?tab=people`, reader.token);
    await other.getByRole('heading', { name: 'Comments' }).waitFor();
    expect(await other.getByRole('heading', { name: 'Who may see it' }).count()).toBe(0);

    await owner.getByLabel('Add a comment').fill('Looks good to me');
    await owner.getByRole('button', { name: 'Comment', exact: true }).click();
    await other.locator('.comment', { hasText: 'Looks good to me' }).waitFor(); // live, no reload
    await other.getByLabel('Add a comment').fill('Agreed, ship it');
    await other.getByRole('button', { name: 'Comment', exact: true }).click();
    const theirs = owner.locator('.comment', { hasText: 'Agreed, ship it' });
    await theirs.waitFor();
    expect(await theirs.getByRole('button', { name: 'Edit' }).count()).toBe(0);

    // By id: while it is edited, its text is in a text box, not in the item's text.
    const mineId = await owner.locator('.comment', { hasText: 'Looks good to me' }).getAttribute('data-comment-id');
    const mine = owner.locator(`.comment[data-comment-id="${mineId}"]`);
    await mine.getByRole('button', { name: 'Edit' }).click();
    await mine.getByLabel('Edit comment').fill('Looks good to me, with one nit');
    await mine.getByRole('button', { name: 'Save' }).click();
    await other.locator('.comment', { hasText: 'with one nit' }).getByText('edited').waitFor();
    await screenshot(owner, 'execution-people');
    await owner.locator('.comment', { hasText: 'with one nit' }).getByRole('button', { name: 'Delete' }).click();
    await expect.poll(() => other.locator('.comment', { hasText: 'with one nit' }).count()).toBe(0);
    await owner.context().close();
    await other.context().close();
    await stack.api(`/v1/executions/${id}/cancel?wait=true`, { method: 'POST' });
  });
});

describe("the console's badges and long results", () => {
  it("marks a target while an agent works on it, live, and pages a run's files past the first 100", async () => {
    const page = await signedInPage(browser, stack.url, stack.token);
    const id = await stack.createExecution({
      projectId: 'console-target',
      prompt: 'Work on the ticket',
      planMode: 'never',
      target: { type: 'ticket', id: 'ENG-7' },
      model: { provider: 'demo', model: 'demo-slow' },
    });
    const badge = page.locator(`tr[data-execution-id="${id}"] [data-testid="target-running"]`);
    await badge.waitFor({ timeout: 30_000 });
    await screenshot(page, 'runs-list-target-running');
    await stack.api(`/v1/executions/${id}/cancel?wait=true`, { method: 'POST' });
    await expect.poll(() => badge.count(), { timeout: 30_000 }).toBe(0);
    expect(await page.locator(`tr[data-execution-id="${id}"] [data-target="ticket:ENG-7"]`).count()).toBe(1);

    // A run that changed 150 files: the Results tab shows 100, then the rest on request.
    const [run] = (await (await stack.api(`/v1/executions/${id}`)).json()).runs as Array<{ id: string }>;
    const files = Array.from({ length: 150 }, (_, i) => ({
      runId: run!.id,
      path: `src/file-${String(i).padStart(3, '0')}.ts`,
      added: 1,
      removed: 0,
      diff: `+line ${i}`,
    }));
    await stack.database.db.insert(runFiles).values(files);
    await stack.database.db.update(runs).set({ filesChanged: 150 }).where(eq(runs.id, run!.id));
    await page.goto(`${stack.url}/executions/${id}?tab=results`);
    await expect.poll(() => page.locator('.file-change').count()).toBe(100);
    await page.getByRole('button', { name: /More files \(100 of 150 shown\)/ }).click();
    await expect.poll(() => page.locator('.file-change').count()).toBe(150);
    expect(await page.getByRole('button', { name: /More files/ }).count()).toBe(0);
    await page.context().close();
  });
});

describe("the console's tenant administration", () => {
  it('lets an admin set the policy, add a user and change a role, issue a token shown once, and revoke it; others see no link', async () => {
    const page = await signedInPage(browser, stack.url, stack.token);
    await page.getByRole('link', { name: 'Administration' }).click();
    const policy = page.getByRole('form', { name: 'tenant policy' });
    await policy.getByLabel('…and per person').fill('900');
    await policy.getByRole('button', { name: 'Save policy' }).click();
    await expect.poll(async () => ((await (await stack.api('/v1/tenant')).json()) as { maxRunningPerUser: number }).maxRunningPerUser).toBe(900);

    const add = page.getByRole('form', { name: 'add a user' });
    await add.getByLabel('Name').fill('console-newbie');
    await add.locator('select[name="role"]').selectOption('viewer');
    await add.getByRole('button', { name: 'Add user' }).click();
    const role = page.getByLabel('role of console-newbie');
    await expect.poll(() => role.inputValue()).toBe('viewer');
    await role.selectOption('member');
    await expect
      .poll(
        async () => ((await (await stack.api('/v1/tenant/users')).json()) as { items: any[] }).items.find((u) => u.name === 'console-newbie')?.role,
      )
      .toBe('member');

    const issue = page.getByRole('form', { name: 'issue a token' });
    await issue.getByLabel('Name', { exact: true }).fill('newbie laptop');
    await issue.getByLabel(/For user/).fill('console-newbie');
    await issue.getByRole('button', { name: 'Issue token' }).click();
    const issued = (await page.getByTestId('issued-token').textContent())!;
    expect((await fetch(`${stack.url}/v1/status`, { headers: { Authorization: `Bearer ${issued}` } })).status).toBe(200);
    await screenshot(page, 'admin');
    await page.locator('tr[data-token="newbie laptop"]').getByRole('button', { name: 'Revoke' }).click();
    await expect.poll(() => page.locator('tr[data-token="newbie laptop"]').textContent()).toContain('revoked');
    expect((await fetch(`${stack.url}/v1/status`, { headers: { Authorization: `Bearer ${issued}` } })).status).toBe(401);
    await page.context().close();

    const member = await stack.tokenFor('console-plain-member');
    const other = await signedInPage(browser, stack.url, member.token);
    await other.getByRole('link', { name: 'Projects' }).waitFor();
    expect(await other.getByRole('link', { name: 'Administration' }).count()).toBe(0);
    await other.context().close();
  });
});

describe("the console's accessibility", () => {
  /** Form controls on the page that have no label (a <label>, aria-label or aria-labelledby). */
  const unlabelled = (page: Page) =>
    page.evaluate<string[]>(`[...document.querySelectorAll('input, select, textarea')]
      .filter((c) => c.type !== 'hidden' && c.labels.length === 0 && !c.getAttribute('aria-label') && !c.getAttribute('aria-labelledby'))
      .map((c) => c.outerHTML)`);

  it('labels every control of the list, the Start task dialog, an execution and the admin page, and follows a dark system theme', async () => {
    const id = await stack.createExecution({ projectId: 'console-a11y', prompt: 'Look at me in the dark', planMode: 'always' });
    const context = await browser.newContext({ colorScheme: 'dark', viewport: { width: 1280, height: 900 } });
    await context.addInitScript((value) => sessionStorage.setItem('agent-runs-token', value), stack.token);
    const page = await context.newPage();
    await page.goto(stack.url);
    await page.locator('tbody tr').first().waitFor();
    expect(await unlabelled(page)).toEqual([]);
    // Dark: the page's background follows the system's theme.
    expect(await page.evaluate<string>('getComputedStyle(document.body).backgroundColor')).toBe('rgb(13, 17, 23)');
    await page.getByRole('button', { name: 'Start task' }).click();
    expect(await unlabelled(page)).toEqual([]);
    await page.keyboard.press('Escape');
    await page.locator(`tr[data-execution-id="${id}"] a`).click();
    await statusOf(page).waitFor();
    for (const tab of ['Messages', 'Runs', 'People']) {
      await page.getByRole('tab', { name: tab }).click();
      expect(await unlabelled(page)).toEqual([]);
    }
    // The tabs move with the arrow keys.
    await page.getByRole('tab', { name: 'People' }).focus();
    await page.keyboard.press('ArrowLeft');
    await expect.poll(() => page.getByRole('tab', { name: 'Summary' }).getAttribute('aria-selected')).toBe('true');
    await screenshot(page, 'execution-dark');
    await page.goto(`${stack.url}/admin`);
    await page.getByRole('form', { name: 'issue a token' }).waitFor();
    expect(await unlabelled(page)).toEqual([]);
    await context.close();
    await stack.api(`/v1/executions/${id}/cancel?wait=true`, { method: 'POST' });
  });
});

/** Starts a task from the Start task dialog; resolves with the new execution's id (from the page it opens). */
async function startFromDialog(page: Page, prompt: string, options: { planFirst: boolean; model?: string; project?: string }): Promise<string> {
  await page.getByRole('button', { name: 'Start task' }).click();
  const dialog = page.getByRole('dialog', { name: 'Start task' });
  await dialog.getByLabel('Prompt').fill(prompt);
  await dialog.getByLabel('Project').fill(options.project ?? 'console-demo');
  if (!options.planFirst) await dialog.getByLabel(/Plan first/).uncheck();
  if (options.model) {
    await dialog.getByText('Advanced options').click();
    await dialog.getByLabel('Provider').fill('demo');
    await dialog.getByLabel('Model').fill(options.model);
  }
  await dialog.getByRole('button', { name: 'Start', exact: true }).click();
  await page.waitForURL(/\/executions\/[0-9a-f-]+/);
  return /\/executions\/([0-9a-f-]+)/.exec(page.url())![1]!;
}

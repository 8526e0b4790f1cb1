import { useEffect, useRef, useState } from 'preact/hooks';
import { api } from '../api.ts';
import { ErrorLine } from '../components/error-line.tsx';
import { StatusBadge } from '../components/status-badge.tsx';
import { TargetBadge } from '../components/target-badge.tsx';
import { executionDuration, formatTime } from '../format.ts';
import { subscribe } from '../live.ts';
import { navigate, onLinkClick, useLocation } from '../router.ts';
import { StartTask } from './start-task.tsx';

const STATUSES = ['pending', 'queued', 'running', 'awaiting_approval', 'waiting_permission', 'completed', 'failed', 'cancelled'];
const PLAN_MODES: Record<string, string> = { always: 'plan first', never: 'direct', auto: 'plan when needed' };
const FILTERS = ['scope', 'agentId', 'status', 'range', 'ticket', 'projectId', 'archived', 'q'] as const;

/** Seed 004's Agent Runs list: filters and search kept in the URL, pages by cursor, live. */
export function RunsList() {
  const { query } = useLocation();
  const [page, setPage] = useState<{ items: any[]; nextCursor: string | null }>();
  const [error, setError] = useState<string>();
  const [starting, setStarting] = useState(false);
  const [version, setVersion] = useState(0);
  const params = new URLSearchParams();
  for (const name of [...FILTERS, 'cursor'] as const) {
    const value = query.get(name);
    if (value) params.set(name, value);
  }
  const search = params.toString();

  useEffect(() => {
    let current = true;
    api(`/v1/executions${search ? `?${search}` : ''}`).then(
      (answer) => {
        if (!current) return;
        setPage(answer);
        setError(undefined);
      },
      (err) => current && setError(err.message),
    );
    return () => {
      current = false;
    };
  }, [search, version]);

  // Live: any status change of the caller's executions reloads the page shown (at most every 300 ms).
  const timer = useRef<ReturnType<typeof setTimeout>>();
  useEffect(
    () =>
      subscribe({ scope: 'me' }, (message) => {
        if (message.type !== 'status') return;
        clearTimeout(timer.current);
        timer.current = setTimeout(() => setVersion((v) => v + 1), 300);
      }),
    [],
  );

  const setFilter = (name: string, value: string) => {
    const next = new URLSearchParams(location.search);
    if (value) next.set(name, value);
    else next.delete(name);
    next.delete('cursor');
    navigate(`/?${next}`, { replace: true });
  };
  const field = (name: (typeof FILTERS)[number], label: string) => (
    <label>
      {label}
      <input type="search" name={name} value={query.get(name) ?? ''} onChange={(e) => setFilter(name, (e.target as HTMLInputElement).value.trim())} />
    </label>
  );

  return (
    <section aria-labelledby="runs-title">
      <header class="page-header">
        <h1 id="runs-title">Agent runs</h1>
        <button type="button" onClick={() => setStarting(true)}>
          Start task
        </button>
      </header>
      {starting && <StartTask onClose={() => setStarting(false)} />}
      <form class="filters" aria-label="filters" onSubmit={(e) => e.preventDefault()}>
        {field('q', 'Search prompts')}
        <label>
          Whose
          <select name="scope" value={query.get('scope') ?? ''} onChange={(e) => setFilter('scope', (e.target as HTMLSelectElement).value)}>
            <option value="">mine</option>
            <option value="shared">shared with me</option>
            <option value="tenant">the tenant's</option>
            <option value="all">all I may see</option>
          </select>
        </label>
        {field('agentId', 'Agent')}
        <label>
          Status
          <select name="status" value={query.get('status') ?? ''} onChange={(e) => setFilter('status', (e.target as HTMLSelectElement).value)}>
            <option value="">any</option>
            {STATUSES.map((s) => (
              <option key={s} value={s}>
                {s.replaceAll('_', ' ')}
              </option>
            ))}
          </select>
        </label>
        <label>
          Time
          <select name="range" value={query.get('range') ?? ''} onChange={(e) => setFilter('range', (e.target as HTMLSelectElement).value)}>
            <option value="">all</option>
            <option value="today">today</option>
            <option value="week">this week</option>
            <option value="month">this month</option>
          </select>
        </label>
        {field('ticket', 'Ticket')}
        {field('projectId', 'Project')}
        <label>
          Archived
          <select name="archived" value={query.get('archived') ?? ''} onChange={(e) => setFilter('archived', (e.target as HTMLSelectElement).value)}>
            <option value="">hidden</option>
            <option value="true">only archived</option>
            <option value="all">shown</option>
          </select>
        </label>
      </form>
      <ErrorLine error={error} />
      <div class="table-wrap">
        <table class="runs">
          <thead>
            <tr>
              <th scope="col">Prompt</th>
              <th scope="col">Agent</th>
              <th scope="col">Status</th>
              <th scope="col">Started</th>
              <th scope="col">Duration</th>
              <th scope="col">Project</th>
              <th scope="col">Ticket</th>
              <th scope="col">Target</th>
              <th scope="col">Mode</th>
            </tr>
          </thead>
          <tbody>
            {page?.items.map((execution) => (
              <tr key={execution.id} data-execution-id={execution.id}>
                <td>
                  <a href={`/executions/${execution.id}`} onClick={onLinkClick}>
                    {execution.prompt.slice(0, 120)}
                  </a>
                </td>
                <td>{execution.agentId ?? 'default'}</td>
                <td>
                  <StatusBadge status={execution.status} />
                  {execution.archived && <span class="badge">archived</span>}
                </td>
                <td>{formatTime(execution.createdAt)}</td>
                <td>{executionDuration(execution)}</td>
                <td>{execution.projectId}</td>
                <td>{execution.ticket ?? ''}</td>
                <td>{execution.target && <TargetBadge target={execution.target} version={version} />}</td>
                <td>{PLAN_MODES[execution.planMode] ?? execution.planMode}</td>
              </tr>
            ))}
          </tbody>
        </table>
        {page && page.items.length === 0 && (
          <p class="empty">
            {search
              ? 'No executions match.'
              : 'No executions yet. Press Start task: with the default agent and the demo model, it proposes a plan, asks to run a command, writes NOTES.md and answers, in a few seconds.'}
          </p>
        )}
      </div>
      <nav class="pager" aria-label="pages">
        {query.get('cursor') && (
          <button type="button" onClick={() => setFilter('cursor', '')}>
            First page
          </button>
        )}
        {page?.nextCursor && (
          <button
            type="button"
            onClick={() => {
              const next = new URLSearchParams(location.search);
              next.set('cursor', page.nextCursor!);
              navigate(`/?${next}`);
            }}
          >
            Next page
          </button>
        )}
      </nav>
    </section>
  );
}

import { useEffect, useState } from 'preact/hooks';
import { api, token } from '../api.ts';
import { ChangeCounts, DiffView } from '../components/diff-view.tsx';
import { ErrorLine } from '../components/error-line.tsx';
import { Markdown } from '../components/markdown.tsx';
import { StatusBadge } from '../components/status-badge.tsx';
import { Tabs } from '../components/tabs.tsx';
import { formatCost, formatDuration, formatTime } from '../format.ts';
import { navigate, onLinkClick, useLocation } from '../router.ts';

const TABS = ['summary', 'nice', 'raw'] as const;
type Tab = (typeof TABS)[number];

/** Seed 003's run page: Summary, Nice (the run's steps) and Raw (its audit events, and their ndjson download). */
export function RunPage({ id }: { id: string }) {
  const { query } = useLocation();
  const tab = (TABS as readonly string[]).includes(query.get('tab') ?? '') ? (query.get('tab') as Tab) : 'summary';
  const [run, setRun] = useState<any>();
  const [error, setError] = useState<string>();
  useEffect(() => {
    api(`/v1/runs/${encodeURIComponent(id)}`).then(setRun, (err) => setError(err.message));
  }, [id]);
  if (error) return <ErrorLine error={error} />;
  if (!run) return <p>Loading…</p>;
  return (
    <article aria-labelledby="run-title">
      <header class="page-header">
        <div>
          <h1 id="run-title">Run-{run.number}</h1>
          <dl class="facts">
            <div>
              <dt>Status</dt>
              <dd>
                <StatusBadge status={run.status} />
              </dd>
            </div>
            <div>
              <dt>Execution</dt>
              <dd>
                <a href={`/executions/${run.executionId}`} onClick={onLinkClick}>
                  {run.executionId}
                </a>
              </dd>
            </div>
            <div>
              <dt>Started</dt>
              <dd>{formatTime(run.startedAt)}</dd>
            </div>
          </dl>
        </div>
      </header>
      <Tabs names={TABS} current={tab} onSelect={(name) => navigate(`/runs/${id}?tab=${name}`, { replace: true })} label="run views" />
      <div role="tabpanel" id={`panel-${tab}`} aria-labelledby={`tab-${tab}`} class="tab-panel">
        {tab === 'summary' && <RunSummary run={run} />}
        {tab === 'nice' && <Nice runId={run.id} />}
        {tab === 'raw' && <Raw run={run} />}
      </div>
    </article>
  );
}

function RunSummary({ run }: { run: any }) {
  return (
    <div>
      {run.summary && <Markdown text={run.summary} />}
      <dl class="summary-facts">
        <dt>Duration</dt>
        <dd>{formatDuration((run.endedAt ? Date.parse(run.endedAt) : Date.now()) - Date.parse(run.startedAt))}</dd>
        <dt>Model steps</dt>
        <dd>{run.modelSteps}</dd>
        <dt>Tool calls</dt>
        <dd>{run.toolCalls}</dd>
        <dt>Tokens</dt>
        <dd>
          {run.usage.inputTokens} in, {run.usage.outputTokens} out
        </dd>
        <dt>Cost</dt>
        <dd>{formatCost(run.usage.costUsd)}</dd>
        <dt>Files changed</dt>
        <dd>{run.filesChanged ?? 0}</dd>
      </dl>
      {run.files?.map((file: any) => (
        <details key={file.path} class="file-change">
          <summary>
            <code>{file.path}</code> <ChangeCounts added={file.added} removed={file.removed} />
          </summary>
          <DiffView diff={file.diff} />
        </details>
      ))}
    </div>
  );
}

/** The run's steps, collapsible, with their request and response payloads and attempt markers. */
function Nice({ runId }: { runId: string }) {
  const [steps, setSteps] = useState<any[]>();
  useEffect(() => {
    api(`/v1/runs/${runId}/timeline`).then(
      (answer) => setSteps(answer.steps),
      () => setSteps([]),
    );
  }, [runId]);
  if (!steps) return <p>Loading…</p>;
  return (
    <ol class="timeline">
      {steps.map((step, i) => (
        <li key={i}>
          <details>
            <summary>
              <span class="step-kind">{step.kind}</span> {step.title}
              {step.activityAttempt > 1 && <span class="badge">attempt {step.activityAttempt}</span>}
              {step.durationMs !== null && step.durationMs !== undefined && <span class="tool-status">{formatDuration(step.durationMs)}</span>}
            </summary>
            <StepDetails step={step} />
          </details>
        </li>
      ))}
    </ol>
  );
}

/** A step's request and response payloads (a tool call), its text, or whatever else it carries. */
function StepDetails({ step }: { step: any }) {
  const { kind, title, startedAt, endedAt, durationMs, attempt, activityAttempt, request, response, text, ...rest } = step;
  return (
    <>
      {request != null && (
        <>
          <h4>Request</h4>
          <pre>{JSON.stringify(request, null, 2)}</pre>
        </>
      )}
      {response != null && (
        <>
          <h4>Response</h4>
          <pre>{JSON.stringify(response, null, 2)}</pre>
        </>
      )}
      {text !== undefined && <pre>{String(text)}</pre>}
      {Object.keys(rest).length > 0 && <pre>{JSON.stringify(rest, null, 2)}</pre>}
      <p class="hint">
        {formatTime(startedAt)}
        {endedAt && endedAt !== startedAt ? ` → ${formatTime(endedAt)}` : ''}
        {attempt ? ` · run attempt ${attempt}` : ''}
      </p>
    </>
  );
}

/** Every audit event of the run with its JSON, a page at a time, and the whole run as ndjson. */
function Raw({ run }: { run: any }) {
  const [items, setItems] = useState<any[]>([]);
  const [next, setNext] = useState<string | null | undefined>(undefined);
  const [error, setError] = useState<string>();
  const load = (cursor?: string) =>
    api(`/v1/runs/${run.id}/events?limit=100${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`).then(
      (page) => {
        setItems((list) => (cursor ? [...list, ...page.items] : page.items));
        setNext(page.nextCursor);
      },
      (err) => setError(err.message),
    );
  useEffect(() => {
    void load();
  }, [run.id]);
  const download = async () => {
    // A link cannot carry the token: the file is fetched, then saved from memory.
    const response = await fetch(`/v1/runs/${run.id}/events?format=ndjson`, { headers: { Authorization: `Bearer ${token.get()}` } });
    if (!response.ok) {
      setError(`the download failed: ${response.status} ${(await response.json().catch(() => undefined))?.error?.message ?? response.statusText}`);
      return;
    }
    const url = URL.createObjectURL(await response.blob());
    const link = document.createElement('a');
    link.href = url;
    link.download = `run-${run.number}-events.ndjson`;
    link.click();
    // Later, not at once: some browsers read the URL after click() returns.
    setTimeout(() => URL.revokeObjectURL(url), 60_000);
  };
  return (
    <div>
      <button type="button" class="secondary" onClick={download}>
        Download ndjson
      </button>
      <ErrorLine error={error} />
      <table class="raw-events">
        <thead>
          <tr>
            <th scope="col">Cursor</th>
            <th scope="col">Type</th>
            <th scope="col">At</th>
            <th scope="col">JSON</th>
          </tr>
        </thead>
        <tbody>
          {items.map((event) => (
            <tr key={event.cursor}>
              <td>{event.cursor}</td>
              <td>
                <code>{event.type}</code>
              </td>
              <td>{formatTime(event.occurred_at)}</td>
              <td>
                <details>
                  <summary>payload</summary>
                  <pre>{JSON.stringify(event, null, 2)}</pre>
                </details>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {next && (
        <button type="button" onClick={() => load(next)}>
          More events
        </button>
      )}
    </div>
  );
}

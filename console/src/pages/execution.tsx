import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { api } from '../api.ts';
import { ChangeCounts, DiffView } from '../components/diff-view.tsx';
import { ErrorLine } from '../components/error-line.tsx';
import { Markdown } from '../components/markdown.tsx';
import { StatusBadge } from '../components/status-badge.tsx';
import { Tabs } from '../components/tabs.tsx';
import { ENDED, formatCost, formatDuration, formatTime } from '../format.ts';
import { subscribe } from '../live.ts';
import { navigate, onLinkClick, useLocation } from '../router.ts';
import { buildTranscript, type RunTranscript, type ToolCallView } from '../transcript.ts';
import { People } from './people.tsx';

const TABS = ['messages', 'output', 'results', 'runs', 'activity', 'summary', 'people'] as const;
type Tab = (typeof TABS)[number];
const ACTIVE = new Set(['pending', 'queued', 'running', 'awaiting_approval', 'waiting_permission']);

/** Seed 001's execution page: header, the controls its status allows, and its tabs, all live. */
export function ExecutionPage({ id }: { id: string }) {
  const { query } = useLocation();
  const tab = (TABS as readonly string[]).includes(query.get('tab') ?? '') ? (query.get('tab') as Tab) : 'messages';
  const [execution, setExecution] = useState<any>();
  const [events, setEvents] = useState<any[]>([]);
  const [error, setError] = useState<string>();
  const [loadError, setLoadError] = useState<string>();
  const [version, setVersion] = useState(0);
  /** Moves on at each comment or access event of the stream: the People tab reloads then. */
  const [peopleVersion, setPeopleVersion] = useState(0);
  const reload = () => setVersion((v) => v + 1);

  useEffect(() => {
    // Only the newest answer counts: reloads triggered by events and by actions may finish out of order.
    let current = true;
    api(`/v1/executions/${encodeURIComponent(id)}`).then(
      (answer) => {
        if (!current) return;
        setExecution(answer);
        setLoadError(undefined);
      },
      (err) => current && setLoadError(err.message),
    );
    return () => {
      current = false;
    };
  }, [id, version]);

  // Every event of the execution, from its first, then live; a status change reloads the header.
  // Events arriving together are shown together (once a frame), so a long stream stays cheap.
  const timer = useRef<ReturnType<typeof setTimeout>>();
  const peopleTimer = useRef<ReturnType<typeof setTimeout>>();
  useEffect(() => {
    setEvents([]);
    // Each event once, whatever the connection does (a resubscription racing the end of the one before).
    const seen = new Set<string>();
    let arrived: any[] = [];
    let frame: number | undefined;
    const unsubscribe = subscribe({ executionId: id }, (message) => {
      if (message.type === 'error') setError(message.error?.message ?? 'the live stream failed');
      if (message.type !== 'event' || seen.has(message.event.cursor)) return;
      seen.add(message.event.cursor);
      arrived.push(message.event);
      // Comments and changes of access reload the People tab, once for a burst (the replay of a long history).
      if (/^(comment|execution)\.(added|edited|deleted|shared|unshared|visibility_changed|handed_off)$/.test(message.event.type)) {
        clearTimeout(peopleTimer.current);
        peopleTimer.current = setTimeout(() => setPeopleVersion((v) => v + 1), 150);
      }
      frame ??= requestAnimationFrame(() => {
        const batch = arrived;
        arrived = [];
        frame = undefined;
        setEvents((list) => list.concat(batch));
      });
      if (!/^model\.(text|reasoning)_delta$/.test(message.event.type)) {
        clearTimeout(timer.current);
        timer.current = setTimeout(reload, 150);
      }
    });
    return () => {
      unsubscribe();
      if (frame !== undefined) cancelAnimationFrame(frame);
    };
  }, [id]);

  const transcript = useMemo(() => buildTranscript(events, execution?.prompt ?? ''), [events, execution?.prompt]);
  if (loadError && !execution) return <ErrorLine error={loadError} />;
  if (!execution) return <p>Loading…</p>;

  /** Asks the API to act on the execution; resolves whether it accepted (its refusal is shown). */
  const act = async (path: string, body: unknown = {}): Promise<boolean> => {
    setError(undefined);
    try {
      await api(`/v1/executions/${encodeURIComponent(id)}${path}`, { body });
      reload();
      return true;
    } catch (err) {
      setError((err as Error).message);
      return false;
    }
  };
  // Someone with read access sees the execution but may not change it.
  const mayAct = execution.access !== 'read';
  const setTab = (next: Tab) => navigate(`/executions/${id}?tab=${next}`, { replace: true });

  return (
    <article class="execution" aria-labelledby="execution-title">
      <header class="page-header">
        <div>
          <h1 id="execution-title">{execution.prompt.split('\n')[0].slice(0, 200)}</h1>
          <dl class="facts">
            <div>
              <dt>Status</dt>
              <dd>
                <StatusBadge status={execution.status} />
                {execution.archived && <span class="badge">archived</span>}
              </dd>
            </div>
            <div>
              <dt>Project</dt>
              <dd>{execution.projectId}</dd>
            </div>
            <div>
              <dt>Agent</dt>
              <dd>{execution.agentId ?? 'default'}</dd>
            </div>
            <div>
              <dt>Owner</dt>
              <dd>{execution.ownerId}</dd>
            </div>
            {execution.ticket && (
              <div>
                <dt>Ticket</dt>
                <dd>{execution.ticket}</dd>
              </div>
            )}
            <div>
              <dt>Created</dt>
              <dd>{formatTime(execution.createdAt)}</dd>
            </div>
          </dl>
        </div>
        {mayAct && (
          <div class="controls">
            {ACTIVE.has(execution.status) && (
              <button type="button" class="danger" onClick={() => act('/cancel')}>
                Stop
              </button>
            )}
            {execution.status === 'failed' && (
              <button type="button" onClick={() => act('/retry')}>
                Retry
              </button>
            )}
            {execution.status === 'cancelled' && (
              <button type="button" onClick={() => act('/resume')}>
                Resume
              </button>
            )}
            {ENDED.has(execution.status) && (
              <button type="button" class="secondary" onClick={() => act(execution.archived ? '/unarchive' : '/archive')}>
                {execution.archived ? 'Unarchive' : 'Archive'}
              </button>
            )}
          </div>
        )}
      </header>
      <ErrorLine error={error} />
      {mayAct && execution.plan && <PlanDecision key={execution.plan.version} plan={execution.plan} act={act} />}
      {mayAct && execution.pendingToolCall && <ToolDecision call={execution.pendingToolCall} act={act} />}
      <Tabs names={TABS} current={tab} onSelect={setTab} label="execution views" />
      <div role="tabpanel" id={`panel-${tab}`} aria-labelledby={`tab-${tab}`} class="tab-panel">
        {tab === 'messages' && <Messages transcript={transcript} />}
        {tab === 'output' && <Output execution={execution} />}
        {tab === 'results' && <Results execution={execution} />}
        {tab === 'activity' && <Activity id={id} status={execution.status} />}
        {tab === 'runs' && <Runs execution={execution} act={act} mayAct={mayAct} />}
        {tab === 'summary' && <Summary execution={execution} />}
        {tab === 'people' && <People execution={execution} version={peopleVersion} />}
      </div>
    </article>
  );
}

type Act = (path: string, body?: unknown) => Promise<boolean>;

function PlanDecision({ plan, act }: { plan: { version: number; text: string }; act: Act }) {
  const [feedback, setFeedback] = useState('');
  return (
    <section class="decision" aria-labelledby="plan-title">
      <h2 id="plan-title">Plan v{plan.version} awaits your approval</h2>
      <Markdown text={plan.text} />
      <label>
        Feedback (to revise, or why you reject it)
        <textarea rows={2} value={feedback} onInput={(e) => setFeedback((e.target as HTMLTextAreaElement).value)} />
      </label>
      <div class="actions">
        <button type="button" onClick={() => act('/plan/approve', { planVersion: plan.version })}>
          Approve plan
        </button>
        <button
          type="button"
          class="secondary"
          disabled={feedback.trim() === ''}
          onClick={() => act('/plan/revise', { planVersion: plan.version, feedback })}
        >
          Revise
        </button>
        <button
          type="button"
          class="danger"
          onClick={() => act('/plan/reject', { planVersion: plan.version, ...(feedback.trim() && { reason: feedback.trim() }) })}
        >
          Reject
        </button>
      </div>
    </section>
  );
}

function ToolDecision({ call, act }: { call: { callId: string; tool: string; input: unknown }; act: Act }) {
  return (
    <section class="decision" aria-labelledby="tool-title">
      <h2 id="tool-title">
        The agent asks to run <code>{call.tool}</code>
      </h2>
      <pre class="tool-input">{JSON.stringify(call.input, null, 2)}</pre>
      <div class="actions">
        <button type="button" onClick={() => act(`/tools/${call.callId}/approve`)}>
          Approve tool call
        </button>
        <button type="button" class="danger" onClick={() => act(`/tools/${call.callId}/deny`)}>
          Deny
        </button>
      </div>
    </section>
  );
}

function Messages({ transcript }: { transcript: RunTranscript[] }) {
  if (transcript.length === 0) return <p class="empty">Nothing yet.</p>;
  return (
    <div class="messages">
      {transcript.map((run) => (
        <section key={run.runId} class="turn" aria-label={`Run-${run.runNumber ?? '?'}`}>
          <div class="divider">
            Run-{run.runNumber ?? '?'} · turn {run.turnNumber ?? 1}
          </div>
          {run.message && <div class="message user">{run.message}</div>}
          {run.plan && (
            <details class="plan">
              <summary>Plan v{run.plan.version}</summary>
              <Markdown text={run.plan.text} />
            </details>
          )}
          {run.steps.map((step) => (
            <div key={step.step} class="step">
              {step.reasoning && (
                <details class="thinking">
                  <summary>Thinking</summary>
                  <p>{step.reasoning}</p>
                </details>
              )}
              {step.text && <div class="message assistant">{step.text}</div>}
              {step.toolCalls.map((call) => (
                <ToolCall key={call.callId} call={call} />
              ))}
            </div>
          ))}
          {run.error && (
            <p class="error" role="note">
              Run {run.status}: {run.error}
            </p>
          )}
          {run.summary && run.summary.trim() !== run.steps.at(-1)?.text.trim() && (
            <div class="message assistant summary">
              <Markdown text={run.summary} />
            </div>
          )}
        </section>
      ))}
    </div>
  );
}

function ToolCall({ call }: { call: ToolCallView }) {
  const input = (call.input ?? {}) as Record<string, unknown>;
  const title =
    call.tool === 'run_command' ? `$ ${String(input.command ?? '')}` : typeof input.path === 'string' ? `${call.tool} ${input.path}` : call.tool;
  const looksLikeDiff = typeof call.output === 'string' && /^(---|\+\+\+|@@)/m.test(call.output);
  return (
    <details class={`tool-call tool-${call.status}${call.isError ? ' tool-error' : ''}`} open={call.tool === 'run_command' || looksLikeDiff}>
      <summary>
        <span class="tool-title">{title}</span>
        {call.change && <ChangeCounts added={call.change.added} removed={call.change.removed} />}
        <span class="tool-status">{call.status}</span>
      </summary>
      {call.output !== undefined && (looksLikeDiff ? <DiffView diff={call.output} /> : <pre class="tool-output">{call.output}</pre>)}
      {call.truncated && <p class="hint">The output was cut; the run's events hold its first part.</p>}
    </details>
  );
}

/** The structured output of each run that gave one (agents with an output schema). */
function Output({ execution }: { execution: any }) {
  const outputs = execution.runs.filter((run: any) => run.output !== null && run.output !== undefined);
  if (outputs.length === 0) return <p class="empty">No structured output (the agent has no output schema, or no run has ended yet).</p>;
  return (
    <div>
      {outputs.map((run: any) => (
        <section key={run.id} aria-label={`output of Run-${run.number}`}>
          <h3>Run-{run.number}</h3>
          <pre>{JSON.stringify(run.output, null, 2)}</pre>
        </section>
      ))}
    </div>
  );
}

/** Seed 001's agent timeline: the execution's active and waiting periods drawn to scale. */
function Activity({ id, status }: { id: string; status: string }) {
  const [activity, setActivity] = useState<any>();
  useEffect(() => {
    api(`/v1/executions/${encodeURIComponent(id)}/activity`).then(setActivity, (err) => setActivity({ error: err.message }));
  }, [id, status]);
  if (!activity) return <p>Loading…</p>;
  if (activity.error) return <ErrorLine error={activity.error} />;
  const periods: any[] = activity.periods;
  if (periods.length === 0) return <p class="empty">No activity yet.</p>;
  const start = Date.parse(periods[0].startedAt);
  const end = Math.max(...periods.map((p) => (p.endedAt ? Date.parse(p.endedAt) : Date.now())));
  const span = Math.max(end - start, 1);
  return (
    <div>
      <p>
        Active {formatDuration(activity.activeMs)}, waiting {formatDuration(activity.waitingMs)}
      </p>
      <svg class="activity" viewBox="0 0 1000 40" preserveAspectRatio="none" role="img" aria-label="active and waiting periods">
        {periods.map((period, i) => {
          const from = Date.parse(period.startedAt);
          const to = period.endedAt ? Date.parse(period.endedAt) : Date.now();
          return (
            <rect
              key={i}
              class={`period-${period.state}`}
              x={((from - start) / span) * 1000}
              y={4}
              width={Math.max(((to - from) / span) * 1000, 2)}
              height={32}
            >
              <title>
                {period.state} ({period.status}), {formatDuration(period.durationMs ?? to - from)}
              </title>
            </rect>
          );
        })}
      </svg>
      <ul class="legend">
        {periods.map((period, i) => (
          <li key={i} data-state={period.state}>
            <span class={`swatch period-${period.state}`} /> {period.state} · {period.status.replaceAll('_', ' ')} ·{' '}
            {formatDuration(period.durationMs ?? Date.now() - Date.parse(period.startedAt))}
          </li>
        ))}
      </ul>
    </div>
  );
}

/** Every file change of the execution, run by run, with its diff (a page of files at a time). */
function Results({ execution }: { execution: any }) {
  const [runs, setRuns] = useState<any[]>();
  useEffect(() => {
    Promise.all(execution.runs.map((run: any) => api(`/v1/runs/${run.id}`))).then(setRuns, () => setRuns([]));
  }, [execution.runs.map((run: any) => `${run.id}:${run.status}`).join()]);
  const more = async (run: any) => {
    const page = await api(`/v1/runs/${run.id}?filesCursor=${encodeURIComponent(run.nextFilesCursor)}`);
    setRuns((list) => list?.map((r) => (r.id === run.id ? { ...r, files: [...r.files, ...page.files], nextFilesCursor: page.nextFilesCursor } : r)));
  };
  if (!runs) return <p>Loading…</p>;
  const changed = runs.filter((run) => run.files?.length);
  if (changed.length === 0) return <p class="empty">No file changes yet (they are recorded when a run ends).</p>;
  return (
    <div class="results">
      {changed.map((run) => (
        <section key={run.id} aria-label={`changes of Run-${run.number}`}>
          <h3>Run-{run.number}</h3>
          {run.files.map((file: any) => (
            <details key={file.path} class="file-change" open>
              <summary>
                <code>{file.path}</code> <ChangeCounts added={file.added} removed={file.removed} />
              </summary>
              <DiffView diff={file.diff} />
            </details>
          ))}
          {run.nextFilesCursor && (
            <button type="button" class="secondary" onClick={() => more(run)}>
              More files ({run.files.length} of {run.filesChanged} shown)
            </button>
          )}
        </section>
      ))}
    </div>
  );
}

/** The execution's runs, and the follow-up composer (a new turn, once it is idle). */
function Runs({ execution, act, mayAct }: { execution: any; act: Act; mayAct: boolean }) {
  const [text, setText] = useState('');
  const [sending, setSending] = useState(false);
  return (
    <div>
      <div class="table-wrap">
        <table class="runs">
          <thead>
            <tr>
              <th scope="col">Run</th>
              <th scope="col">Trigger</th>
              <th scope="col">Status</th>
              <th scope="col">Tokens (in / out)</th>
              <th scope="col">Cost</th>
              <th scope="col">Duration</th>
            </tr>
          </thead>
          <tbody>
            {execution.runs.map((run: any) => (
              <tr key={run.id}>
                <td>
                  <a href={`/runs/${run.id}`} onClick={onLinkClick}>
                    Run-{run.number}
                  </a>
                </td>
                <td>{run.trigger}</td>
                <td>
                  <StatusBadge status={run.status} />
                </td>
                <td>
                  {run.usage.inputTokens} / {run.usage.outputTokens}
                </td>
                <td>{formatCost(run.usage.costUsd)}</td>
                <td>{formatDuration((run.endedAt ? Date.parse(run.endedAt) : Date.now()) - Date.parse(run.startedAt))}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {mayAct && (
        <form
          class="composer"
          onSubmit={async (event) => {
            event.preventDefault();
            setSending(true);
            // The text stays when the API refuses it, so nothing typed is lost.
            if (await act('/messages', { text })) setText('');
            setSending(false);
          }}
        >
          <label for="follow-up">Follow-up</label>
          <textarea id="follow-up" rows={3} value={text} onInput={(e) => setText((e.target as HTMLTextAreaElement).value)} />
          <button type="submit" disabled={sending || text.trim() === '' || !ENDED.has(execution.status)}>
            Send follow-up
          </button>
        </form>
      )}
    </div>
  );
}

function Summary({ execution }: { execution: any }) {
  const t = execution.totals;
  return (
    <dl class="summary-facts">
      <dt>Duration</dt>
      <dd>{formatDuration(t.durationMs)}</dd>
      <dt>Turns</dt>
      <dd>{t.turns}</dd>
      <dt>Runs</dt>
      <dd>{t.runs}</dd>
      <dt>Model steps</dt>
      <dd>{t.modelSteps}</dd>
      <dt>Tool calls</dt>
      <dd>{t.toolCalls}</dd>
      <dt>Tokens</dt>
      <dd>
        {t.usage.inputTokens} in, {t.usage.outputTokens} out
      </dd>
      <dt>Cost</dt>
      <dd>{formatCost(t.usage.costUsd)}</dd>
    </dl>
  );
}

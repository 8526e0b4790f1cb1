import { useEffect, useState } from 'preact/hooks';
import { api, token } from '../api.ts';
import { ErrorLine } from '../components/error-line.tsx';
import { StatusBadge } from '../components/status-badge.tsx';
import { formatDuration, formatTime } from '../format.ts';
import { onLinkClick } from '../router.ts';
import { useAgents } from '../use-api.ts';

interface AgentItem {
  instanceId: string;
  agentId: string;
  status: string;
  active: boolean;
  task: string;
  startedAt: string;
  endedAt: string | null;
  durationMs: number | null;
  error: string | null;
}

/**
 * Seed 002's Background Agents panel: active and history, live over /background-agent-ws (a snapshot,
 * then an update at each status change; after a dropped connection a new snapshot), start and stop,
 * and each instance's log entries on demand.
 */
export function BackgroundAgents() {
  const [items, setItems] = useState<Map<string, AgentItem>>(new Map());
  const [live, setLive] = useState(false);
  const [error, setError] = useState<string>();
  const { agents } = useAgents();

  useEffect(() => {
    let ws: WebSocket | undefined;
    let timer: ReturnType<typeof setTimeout> | undefined;
    let closed = false;
    let retries = 0;
    const connect = () => {
      let opened = false;
      const url = new URL('/background-agent-ws', location.href);
      url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
      url.searchParams.set('access_token', token.get() ?? '');
      ws = new WebSocket(url);
      ws.onopen = () => {
        opened = true;
        retries = 0;
        setLive(true);
      };
      ws.onmessage = (message) => {
        const data = JSON.parse(message.data as string);
        if (data.type === 'snapshot') setItems(new Map([...data.history, ...data.active].map((item: AgentItem) => [item.instanceId, item])));
        if (data.type === 'update') setItems((map) => new Map(map).set(data.agent.instanceId, data.agent));
      };
      ws.onclose = () => {
        setLive(false);
        if (closed) return;
        // Refused before it opened: maybe the token no longer works (a 401 here signs the console out).
        if (!opened) void api('/v1/status').catch(() => undefined);
        timer = setTimeout(connect, Math.min(1000 * 2 ** retries++, 15_000));
      };
    };
    connect();
    return () => {
      closed = true;
      clearTimeout(timer);
      ws?.close();
    };
  }, []);

  const all = [...items.values()].sort((a, b) => (b.startedAt ?? '').localeCompare(a.startedAt ?? ''));
  const start = async (event: Event) => {
    event.preventDefault();
    const form = new FormData(event.currentTarget as HTMLFormElement);
    const task = String(form.get('task') ?? '').trim();
    const projectId = String(form.get('projectId') ?? '').trim();
    setError(undefined);
    try {
      const item = await api('/background-agents/start', {
        body: { agentId: String(form.get('agentId')), ...(task && { task }), ...(projectId && { projectId }) },
      });
      // The socket's update may have come first, and is newer: the answer only fills a gap.
      setItems((map) => (map.has(item.instanceId) ? map : new Map(map).set(item.instanceId, item)));
      (event.currentTarget as HTMLFormElement | null)?.reset();
    } catch (err) {
      setError((err as Error).message);
    }
  };
  const stop = async (id: string) => {
    setError(undefined);
    await api(`/background-agents/${encodeURIComponent(id)}/stop`, { body: {} }).catch((err) => setError(err.message));
  };

  return (
    <section aria-labelledby="background-title">
      <header class="page-header">
        <h1 id="background-title">Background agents</h1>
        <span class="hint" role="status">
          {live ? 'live' : 'reconnecting…'}
        </span>
      </header>
      <form class="filters" aria-label="start a background agent" onSubmit={start}>
        <label>
          Agent
          <select name="agentId">
            {agents
              .filter((agent) => agent.enabled !== false)
              .map((agent) => (
                <option key={agent.id} value={agent.id}>
                  {agent.name ?? agent.id}
                </option>
              ))}
          </select>
        </label>
        <label>
          Task <input name="task" placeholder="its standing instructions when empty" />
        </label>
        <label>
          Project <input name="projectId" placeholder="background-<agent>" />
        </label>
        <div class="form-actions">
          <button type="submit">Start background agent</button>
        </div>
      </form>
      <ErrorLine error={error} />
      {(['active', 'history'] as const).map((group) => {
        const shown = all.filter((item) => item.active === (group === 'active'));
        return (
          <section key={group} aria-labelledby={`${group}-title`} class="background-group">
            <h2 id={`${group}-title`}>
              {group === 'active' ? 'Active' : 'History'} ({shown.length})
            </h2>
            {shown.length === 0 && <p class="empty">{group === 'active' ? 'No background agent is working.' : 'None yet.'}</p>}
            <ul class="background-list">
              {shown.map((item) => (
                <BackgroundItem key={item.instanceId} item={item} onStop={() => stop(item.instanceId)} />
              ))}
            </ul>
          </section>
        );
      })}
    </section>
  );
}

function BackgroundItem({ item, onStop }: { item: AgentItem; onStop: () => void }) {
  const [logs, setLogs] = useState<any[]>();
  const open = (event: Event) => {
    if ((event.currentTarget as HTMLDetailsElement).open)
      api(`/background-agents/${encodeURIComponent(item.instanceId)}/logs`).then(
        (answer) => setLogs(answer.runs),
        () => setLogs([]),
      );
  };
  return (
    <li class="background-item" data-instance-id={item.instanceId}>
      <div class="background-head">
        <StatusBadge status={item.status} />
        <strong>{item.agentId}</strong>
        <a href={`/executions/${item.instanceId}`} onClick={onLinkClick}>
          {(item.task ?? '').slice(0, 120)}
        </a>
        <span class="hint">
          {formatTime(item.startedAt)} · {formatDuration(item.active ? Date.now() - Date.parse(item.startedAt) : (item.durationMs ?? 0))}
        </span>
        {item.active && (
          <button type="button" class="danger" onClick={onStop} aria-label={`Stop ${item.agentId}: ${(item.task ?? '').slice(0, 60)}`}>
            Stop
          </button>
        )}
      </div>
      {item.error && <p class="error">{item.error}</p>}
      <details onToggle={open}>
        <summary>Log</summary>
        {logs === undefined ? (
          <p>Loading…</p>
        ) : (
          logs.map((run) => (
            <div key={run.runId}>
              <h3>
                Run-{run.number} <StatusBadge status={run.status} />
              </h3>
              <ol class="timeline">
                {run.entries.map((entry: any, i: number) => (
                  <li key={i}>
                    <details>
                      <summary>
                        <span class="step-kind">{entry.kind}</span> {entry.title}
                      </summary>
                      <pre>{JSON.stringify(entry, null, 2)}</pre>
                    </details>
                  </li>
                ))}
              </ol>
            </div>
          ))
        )}
      </details>
    </li>
  );
}

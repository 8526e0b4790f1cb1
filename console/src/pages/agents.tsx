import { useEffect, useState } from 'preact/hooks';
import { api } from '../api.ts';
import { ErrorLine } from '../components/error-line.tsx';
import { formatTime } from '../format.ts';
import { onLinkClick } from '../router.ts';
import { useAgents } from '../use-api.ts';

/** The fields of an agent a person edits here; the rest (allowed tools, output schema) are kept as they are. */
const EDITED = ['name', 'provider', 'model', 'systemPrompt', 'enabled', 'toolsNeedingApproval', 'maxSteps', 'maxCostUsd', 'maxDurationMs'] as const;
const BODY_FIELDS = [...EDITED, 'allowedTools', 'outputSchema'] as const;

export function AgentsList() {
  const { agents, error } = useAgents();
  return (
    <section aria-labelledby="agents-title">
      <h1 id="agents-title">Agents</h1>
      <ErrorLine error={error} />
      <div class="table-wrap">
        <table>
          <thead>
            <tr>
              <th scope="col">Agent</th>
              <th scope="col">Model</th>
              <th scope="col">Held for permission</th>
              <th scope="col">Enabled</th>
              <th scope="col">Updated</th>
            </tr>
          </thead>
          <tbody>
            {agents?.map((agent) => (
              <tr key={agent.id} data-agent-id={agent.id}>
                <td>
                  <a href={`/agents/${agent.id}`} onClick={onLinkClick}>
                    {agent.name}
                  </a>{' '}
                  <code>{agent.id}</code>
                </td>
                <td>
                  {agent.provider}/{agent.model}
                </td>
                <td>{agent.toolsNeedingApproval.join(', ') || 'nothing'}</td>
                <td>{agent.enabled ? 'yes' : 'no'}</td>
                <td>{formatTime(agent.updatedAt)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </section>
  );
}

/** An agent, and its edit form (saving needs the agent:write permission; the API's refusal is shown). */
export function AgentPage({ id }: { id: string }) {
  const [agent, setAgent] = useState<any>();
  const [error, setError] = useState<string>();
  const [saved, setSaved] = useState(false);
  useEffect(() => {
    api(`/v1/agents/${encodeURIComponent(id)}`).then(setAgent, (err) => setError(err.message));
  }, [id]);
  if (!agent) return error ? <ErrorLine error={error} /> : <p>Loading…</p>;
  const save = async (event: Event) => {
    event.preventDefault();
    const form = new FormData(event.currentTarget as HTMLFormElement);
    const text = (name: string) => String(form.get(name) ?? '');
    const number = (name: string) => (text(name).trim() === '' ? null : Number(text(name)));
    const edited = {
      name: text('name').trim(),
      provider: text('provider').trim(),
      model: text('model').trim(),
      systemPrompt: text('systemPrompt'),
      enabled: form.get('enabled') === 'on',
      toolsNeedingApproval: text('toolsNeedingApproval')
        .split(',')
        .map((tool) => tool.trim())
        .filter(Boolean),
      maxSteps: number('maxSteps'),
      maxCostUsd: number('maxCostUsd'),
      maxDurationMs: number('maxDurationMs'),
    };
    const body = Object.fromEntries(BODY_FIELDS.map((field) => [field, field in edited ? edited[field as keyof typeof edited] : agent[field]]));
    setError(undefined);
    setSaved(false);
    try {
      setAgent(await api(`/v1/agents/${encodeURIComponent(id)}`, { method: 'PUT', body }));
      setSaved(true);
    } catch (err) {
      setError((err as Error).message);
    }
  };
  return (
    <section aria-labelledby="agent-title">
      <h1 id="agent-title">
        {agent.name} <code>{agent.id}</code>
      </h1>
      <form onSubmit={save} class="edit-form" aria-label="edit the agent">
        <label>
          Name <input name="name" defaultValue={agent.name} required />
        </label>
        <label>
          Provider <input name="provider" defaultValue={agent.provider} required />
        </label>
        <label>
          Model <input name="model" defaultValue={agent.model} required />
        </label>
        <label>
          System prompt <textarea name="systemPrompt" rows={5} defaultValue={agent.systemPrompt} />
        </label>
        <label>
          Tools held for permission (comma-separated) <input name="toolsNeedingApproval" defaultValue={agent.toolsNeedingApproval.join(', ')} />
        </label>
        <p class="hint">Allowed tools: {agent.allowedTools.join(', ')}</p>
        <label>
          Max steps <input name="maxSteps" type="number" min={1} required defaultValue={agent.maxSteps} />
        </label>
        <label>
          Max cost (USD, empty for none) <input name="maxCostUsd" type="number" step="any" defaultValue={agent.maxCostUsd ?? ''} />
        </label>
        <label>
          Max duration (ms) <input name="maxDurationMs" type="number" min={1000} required defaultValue={agent.maxDurationMs} />
        </label>
        <label class="inline">
          <input type="checkbox" name="enabled" defaultChecked={agent.enabled} /> Enabled
        </label>
        <ErrorLine error={error} />
        {saved && <p role="status">Saved.</p>}
        <button type="submit">Save agent</button>
      </form>
    </section>
  );
}

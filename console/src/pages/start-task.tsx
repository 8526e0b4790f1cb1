import { useEffect, useRef, useState } from 'preact/hooks';
import { api } from '../api.ts';
import { ErrorLine } from '../components/error-line.tsx';
import { navigate } from '../router.ts';
import { useAgents } from '../use-api.ts';

/** Seed 001's Start Task dialog: prompt, project, agent, plan mode, and advanced options. */
export function StartTask({ onClose }: { onClose: () => void }) {
  const dialog = useRef<HTMLDialogElement>(null);
  const { agents } = useAgents();
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);
  useEffect(() => {
    dialog.current?.showModal();
  }, []);

  const submit = async (event: Event) => {
    event.preventDefault();
    const form = new FormData(event.currentTarget as HTMLFormElement);
    const text = (name: string) => String(form.get(name) ?? '').trim();
    const number = (name: string) => (text(name) === '' ? undefined : Number(text(name)));
    const budgets = { maxSteps: number('maxSteps'), maxCostUsd: number('maxCostUsd'), maxDurationMs: number('maxDurationMs') };
    const body = {
      prompt: text('prompt'),
      projectId: text('projectId'),
      planMode: form.get('planMode') ? 'always' : 'never',
      ...(text('agentId') && { agentId: text('agentId') }),
      ...(text('provider') && text('model') && { model: { provider: text('provider'), model: text('model') } }),
      ...(Object.values(budgets).some((v) => v !== undefined) && { budgets: JSON.parse(JSON.stringify(budgets)) }),
    };
    setBusy(true);
    setError(undefined);
    try {
      const created = await api('/v1/executions', { body });
      onClose();
      navigate(`/executions/${created.id}`);
    } catch (err) {
      setError((err as Error).message);
    } finally {
      setBusy(false);
    }
  };

  return (
    <dialog ref={dialog} aria-labelledby="start-title" onClose={onClose}>
      <form onSubmit={submit}>
        <h2 id="start-title">Start task</h2>
        <label>
          Prompt
          <textarea name="prompt" rows={4} required placeholder="e.g. Write a haiku about durable execution" />
        </label>
        <label>
          Project
          <input name="projectId" required defaultValue="demo" />
        </label>
        <label>
          Agent
          <select name="agentId">
            <option value="">default</option>
            {agents
              .filter((agent) => agent.id !== 'default' && agent.enabled !== false)
              .map((agent) => (
                <option key={agent.id} value={agent.id}>
                  {agent.name ?? agent.id}
                </option>
              ))}
          </select>
        </label>
        <label class="inline">
          <input type="checkbox" name="planMode" defaultChecked /> Plan first (approve a plan before the agent works)
        </label>
        <details>
          <summary>Advanced options</summary>
          <label>
            Provider <input name="provider" placeholder="demo, anthropic, openai…" />
          </label>
          <label>
            Model <input name="model" placeholder="the agent's model" />
          </label>
          <label>
            Max steps <input name="maxSteps" type="number" min={1} />
          </label>
          <label>
            Max cost (USD) <input name="maxCostUsd" type="number" min={0} step="any" />
          </label>
          <label>
            Max duration (ms) <input name="maxDurationMs" type="number" min={1000} />
          </label>
        </details>
        <ErrorLine error={error} />
        <div class="actions">
          <button type="button" class="secondary" onClick={() => dialog.current?.close()}>
            Cancel
          </button>
          <button type="submit" disabled={busy}>
            Start
          </button>
        </div>
      </form>
    </dialog>
  );
}

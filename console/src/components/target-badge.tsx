import { useEffect, useState } from 'preact/hooks';
import { api } from '../api.ts';

/**
 * Seed 000's item badge: a target (a ticket, a pull request…) named `type:id`, marked "agent running"
 * while any of the caller's executions on it has not ended. `version` moves on with the page's live
 * updates, so the badge follows them.
 */
export function TargetBadge({ target, version }: { target: { type: string; id: string }; version: number }) {
  const [active, setActive] = useState<boolean>();
  useEffect(() => {
    let current = true;
    api(`/v1/targets/${encodeURIComponent(target.type)}/${encodeURIComponent(target.id)}/runs?active=true&limit=1`).then(
      (answer) => current && setActive(answer.active),
      () => current && setActive(undefined),
    );
    return () => {
      current = false;
    };
  }, [target.type, target.id, version]);
  return (
    <span class="target" data-target={`${target.type}:${target.id}`}>
      {target.type}:{target.id}
      {active && (
        <span class="badge status-running" data-testid="target-running">
          agent running
        </span>
      )}
    </span>
  );
}

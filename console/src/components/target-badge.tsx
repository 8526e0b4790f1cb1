import { useEffect, useState } from 'preact/hooks';
import { api } from '../api.ts';

/** One request per target and version, however many rows show the target. */
const asked = new Map<string, Promise<boolean>>();
function activeOn(target: { type: string; id: string }, version: number): Promise<boolean> {
  const key = `${version}\u0000${target.type}\u0000${target.id}`;
  let answer = asked.get(key);
  if (!answer) {
    answer = api(`/v1/targets/${encodeURIComponent(target.type)}/${encodeURIComponent(target.id)}/runs?active=true&limit=1`).then(
      (page) => page.active === true,
    );
    asked.set(key, answer);
    // Only the newest answers are worth keeping.
    if (asked.size > 500) asked.delete(asked.keys().next().value!);
  }
  return answer;
}

/**
 * Seed 000's item badge: a target (a ticket, a pull request…) named `type:id`, marked "agent running"
 * while any of the caller's executions on it has not ended. `version` moves on with the page's live
 * updates, so the badge follows them.
 */
export function TargetBadge({ target, version }: { target: { type: string; id: string }; version: number }) {
  const [active, setActive] = useState<boolean>();
  useEffect(() => {
    let current = true;
    activeOn(target, version).then(
      (answer) => current && setActive(answer),
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

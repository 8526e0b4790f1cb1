import { useEffect, useState } from 'preact/hooks';
import { api, whoAmI } from '../api.ts';
import { ErrorLine } from '../components/error-line.tsx';
import { formatTime } from '../format.ts';

/**
 * The People tab: the execution's comments (everyone who reads it may comment; authors edit and
 * delete their own) and, for its owner, who may see it: shares, visibility and hand-off. `version`
 * changes when the execution's stream carries a comment or access event, so both stay live.
 */
export function People({ execution, version }: { execution: any; version: number }) {
  return (
    <div class="people">
      <Comments executionId={execution.id} version={version} />
      {execution.access === 'owner' && <Access executionId={execution.id} version={version} />}
    </div>
  );
}

function Comments({ executionId, version }: { executionId: string; version: number }) {
  const [comments, setComments] = useState<any[]>([]);
  const [me, setMe] = useState<string>();
  const [body, setBody] = useState('');
  const [editing, setEditing] = useState<{ id: string; body: string }>();
  const [error, setError] = useState<string>();
  const base = `/v1/executions/${encodeURIComponent(executionId)}/comments`;
  // Every comment, a page after another (oldest first, so the newest are on the last page).
  const load = async () => {
    try {
      const all: any[] = [];
      let cursor: string | null = null;
      for (let pages = 0; pages < 50; pages++) {
        const page: { items: any[]; nextCursor: string | null } = await api(
          `${base}?limit=100${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`,
        );
        all.push(...page.items);
        cursor = page.nextCursor;
        if (!cursor) break;
      }
      setComments(all);
    } catch (err) {
      setError((err as Error).message);
    }
  };
  useEffect(() => {
    void whoAmI().then(
      (who) => setMe(who.id),
      () => undefined,
    );
  }, []);
  useEffect(() => {
    void load();
  }, [executionId, version]);
  const run = async (request: Promise<unknown>) => {
    setError(undefined);
    try {
      await request;
      await load();
      return true;
    } catch (err) {
      setError((err as Error).message);
      return false;
    }
  };
  return (
    <section aria-labelledby="comments-title">
      <h2 id="comments-title">Comments</h2>
      {comments.length === 0 && <p class="empty">No comments yet.</p>}
      <ul class="comments">
        {comments.map((comment) => (
          <li key={comment.id} class="comment" data-comment-id={comment.id}>
            <p class="hint">
              <strong>{comment.authorId}</strong> · {formatTime(comment.createdAt)}
              {comment.editedAt && ' · edited'}
            </p>
            {editing?.id === comment.id ? (
              <form
                onSubmit={async (event) => {
                  event.preventDefault();
                  if (await run(api(`${base}/${comment.id}`, { method: 'PATCH', body: { body: editing?.body ?? '' } }))) setEditing(undefined);
                }}
              >
                <label>
                  Edit comment
                  <textarea
                    rows={2}
                    value={editing?.body ?? ''}
                    onInput={(e) => setEditing({ id: comment.id, body: (e.target as HTMLTextAreaElement).value })}
                  />
                </label>
                <div class="actions">
                  <button type="submit">Save</button>
                  <button type="button" class="secondary" onClick={() => setEditing(undefined)}>
                    Cancel
                  </button>
                </div>
              </form>
            ) : (
              <p class="comment-body">{comment.body}</p>
            )}
            {comment.authorId === me && editing?.id !== comment.id && (
              <div class="actions">
                <button
                  type="button"
                  class="secondary"
                  aria-label={`Edit your comment of ${formatTime(comment.createdAt)}`}
                  onClick={() => setEditing({ id: comment.id, body: comment.body })}
                >
                  Edit
                </button>
                <button
                  type="button"
                  class="danger"
                  aria-label={`Delete your comment of ${formatTime(comment.createdAt)}`}
                  onClick={() => run(api(`${base}/${comment.id}`, { method: 'DELETE' }))}
                >
                  Delete
                </button>
              </div>
            )}
          </li>
        ))}
      </ul>
      <form
        onSubmit={async (event) => {
          event.preventDefault();
          if (await run(api(base, { body: { body } }))) setBody('');
        }}
      >
        <label>
          Add a comment
          <textarea rows={2} value={body} onInput={(e) => setBody((e.target as HTMLTextAreaElement).value)} />
        </label>
        <button type="submit" disabled={body.trim() === ''}>
          Comment
        </button>
      </form>
      <ErrorLine error={error} />
    </section>
  );
}

function Access({ executionId, version }: { executionId: string; version: number }) {
  const [access, setAccess] = useState<any>();
  const [error, setError] = useState<string>();
  const base = `/v1/executions/${encodeURIComponent(executionId)}`;
  const load = () => api(`${base}/access`).then(setAccess, (err) => setError(err.message));
  useEffect(() => {
    void load();
  }, [executionId, version]);
  const run = async (request: Promise<unknown>) => {
    setError(undefined);
    try {
      await request;
      await load();
    } catch (err) {
      setError((err as Error).message);
    }
  };
  if (!access) return <ErrorLine error={error} />;
  return (
    <section aria-labelledby="access-title">
      <h2 id="access-title">Who may see it</h2>
      <p>
        Owner <strong>{access.ownerId}</strong>; visible to {access.visibility === 'tenant' ? 'everyone in the tenant' : 'those it is shared with'}.{' '}
        <button
          type="button"
          class="secondary"
          onClick={() =>
            run(api(`${base}/visibility`, { method: 'PUT', body: { visibility: access.visibility === 'tenant' ? 'private' : 'tenant' } }))
          }
        >
          {access.visibility === 'tenant' ? 'Make private' : 'Show to the tenant'}
        </button>
      </p>
      <ul>
        {access.shares.map((share: any) => (
          <li key={share.userId} data-share={share.userId}>
            {share.userId}: {share.access}{' '}
            <button
              type="button"
              class="danger"
              aria-label={`Take back ${share.userId}'s access`}
              onClick={() => run(api(`${base}/shares/${encodeURIComponent(share.userId)}`, { method: 'DELETE' }))}
            >
              Take back
            </button>
          </li>
        ))}
      </ul>
      <form
        class="filters"
        aria-label="share the execution"
        onSubmit={(event) => {
          event.preventDefault();
          const form = new FormData(event.currentTarget as HTMLFormElement);
          void run(
            api(`${base}/shares/${encodeURIComponent(String(form.get('userId')).trim())}`, { method: 'PUT', body: { access: form.get('access') } }),
          );
        }}
      >
        <label>
          User <input name="userId" required placeholder="tenant:name" />
        </label>
        <label>
          Access
          <select name="access">
            <option value="read">read</option>
            <option value="collaborate">collaborate</option>
          </select>
        </label>
        <div class="form-actions">
          <button type="submit">Share</button>
        </div>
      </form>
      <form
        class="filters"
        aria-label="hand the execution off"
        onSubmit={(event) => {
          event.preventDefault();
          const form = new FormData(event.currentTarget as HTMLFormElement);
          void run(api(`${base}/hand-off`, { body: { userId: String(form.get('userId')).trim() } }));
        }}
      >
        <label>
          New owner <input name="userId" required placeholder="tenant:name" />
        </label>
        <div class="form-actions">
          <button type="submit" class="secondary">
            Hand off
          </button>
        </div>
      </form>
      <ErrorLine error={error} />
    </section>
  );
}

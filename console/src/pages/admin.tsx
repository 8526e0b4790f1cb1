import { useState } from 'preact/hooks';
import { api } from '../api.ts';
import { ErrorLine } from '../components/error-line.tsx';
import { formatTime } from '../format.ts';
import { useApi } from '../use-api.ts';

const ROLES = ['admin', 'member', 'viewer'];
const cap = (value: FormDataEntryValue | null) => (String(value ?? '').trim() === '' ? null : Number(value));

/** The tenant's administration (tenant:admin): its policy and caps, its users and roles, and its tokens. */
export function Admin() {
  return (
    <section aria-labelledby="admin-title">
      <h1 id="admin-title">Tenant administration</h1>
      <Policy />
      <Users />
      <Tokens />
    </section>
  );
}

function Policy() {
  const { data: tenant, error, run } = useApi('/v1/tenant');
  if (!tenant) return <ErrorLine error={error} />;
  return (
    <form
      class="edit-form"
      aria-label="tenant policy"
      onSubmit={(event) => {
        event.preventDefault();
        const form = new FormData(event.currentTarget as HTMLFormElement);
        const list = String(form.get('disabledAgents') ?? '')
          .split(',')
          .map((id) => id.trim())
          .filter(Boolean);
        void run(
          api('/v1/tenant/policy', {
            method: 'PUT',
            // An emptied cap goes back to the default (null).
            body: { disabledAgents: list, maxRunning: cap(form.get('maxRunning')), maxRunningPerUser: cap(form.get('maxRunningPerUser')) },
          }),
        );
      }}
    >
      <h2>Policy of {tenant.name ?? tenant.id}</h2>
      <label>
        Agents disabled everywhere (comma-separated) <input name="disabledAgents" defaultValue={tenant.disabledAgents.join(', ')} />
      </label>
      <label>
        At most this many executions working at once (empty: the default){' '}
        <input name="maxRunning" type="number" min={1} defaultValue={tenant.maxRunning} />
      </label>
      <label>
        …and per person <input name="maxRunningPerUser" type="number" min={1} defaultValue={tenant.maxRunningPerUser} />
      </label>
      <ErrorLine error={error} />
      <button type="submit">Save policy</button>
    </form>
  );
}

function Users() {
  const { data, error, run } = useApi('/v1/tenant/users');
  const setRole = (name: string, role: string) => run(api(`/v1/tenant/users/${encodeURIComponent(name)}`, { method: 'PUT', body: { role } }));
  return (
    <section aria-labelledby="users-title">
      <h2 id="users-title">Users</h2>
      <div class="table-wrap">
        <table>
          <thead>
            <tr>
              <th scope="col">User</th>
              <th scope="col">Role</th>
              <th scope="col">Since</th>
            </tr>
          </thead>
          <tbody>
            {data?.items.map((user: any) => (
              <tr key={user.id} data-user={user.name}>
                <td>{user.id}</td>
                <td>
                  <select
                    aria-label={`role of ${user.name}`}
                    value={user.role}
                    onChange={(e) => setRole(user.name, (e.target as HTMLSelectElement).value)}
                  >
                    {ROLES.map((role) => (
                      <option key={role} value={role}>
                        {role}
                      </option>
                    ))}
                  </select>
                </td>
                <td>{formatTime(user.createdAt)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <form
        class="filters"
        aria-label="add a user"
        onSubmit={(event) => {
          event.preventDefault();
          const form = new FormData(event.currentTarget as HTMLFormElement);
          void setRole(String(form.get('name')).trim(), String(form.get('role')));
        }}
      >
        <label>
          Name <input name="name" required />
        </label>
        <label>
          Role
          <select name="role">
            {ROLES.map((role) => (
              <option key={role} value={role}>
                {role}
              </option>
            ))}
          </select>
        </label>
        <div class="form-actions">
          <button type="submit">Add user</button>
        </div>
      </form>
      <ErrorLine error={error} />
    </section>
  );
}

function Tokens() {
  const { data, error, run } = useApi('/v1/tenant/tokens');
  const [issued, setIssued] = useState<{ name: string; token: string }>();
  return (
    <section aria-labelledby="tokens-title">
      <h2 id="tokens-title">Tokens</h2>
      {issued && (
        <p class="banner">
          Token <strong>{issued.name}</strong>, shown this once: <code data-testid="issued-token">{issued.token}</code>{' '}
          <button type="button" class="secondary" onClick={() => setIssued(undefined)}>
            Hide
          </button>
        </p>
      )}
      <div class="table-wrap">
        <table>
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">For</th>
              <th scope="col">Permissions</th>
              <th scope="col">Issued</th>
              <th scope="col">State</th>
            </tr>
          </thead>
          <tbody>
            {data?.items.map((token: any) => (
              <tr key={token.id} data-token={token.name}>
                <td>{token.name}</td>
                <td>{token.userId ?? 'integration'}</td>
                <td>{(token.permissions ?? []).join(', ') || "the user's role"}</td>
                <td>
                  {formatTime(token.createdAt)}
                  {token.createdBy && ` by ${token.createdBy}`}
                </td>
                <td>
                  {token.revokedAt ? (
                    `revoked ${formatTime(token.revokedAt)}`
                  ) : (
                    <button
                      type="button"
                      class="danger"
                      aria-label={`Revoke ${token.name}`}
                      onClick={() => {
                        setIssued(undefined);
                        void run(api(`/v1/tenant/tokens/${token.id}`, { method: 'DELETE' }));
                      }}
                    >
                      Revoke
                    </button>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <form
        class="filters"
        aria-label="issue a token"
        onSubmit={async (event) => {
          event.preventDefault();
          const form = new FormData(event.currentTarget as HTMLFormElement);
          const user = String(form.get('user') ?? '').trim();
          const permissions = String(form.get('permissions') ?? '')
            .split(',')
            .map((p) => p.trim())
            .filter(Boolean);
          const answer = (await run(
            api('/v1/tenant/tokens', {
              body: { name: String(form.get('name')).trim(), ...(user && { user }), ...(permissions.length && { permissions }) },
            }),
          )) as { name: string; token: string } | undefined;
          if (answer) setIssued(answer);
        }}
      >
        <label>
          Name <input name="name" required />
        </label>
        <label>
          For user (empty: an integration) <input name="user" />
        </label>
        <label>
          Permissions (comma-separated) <input name="permissions" placeholder="execution:read, execution:create" />
        </label>
        <div class="form-actions">
          <button type="submit">Issue token</button>
        </div>
      </form>
      <ErrorLine error={error} />
    </section>
  );
}

import { useEffect, useState } from 'preact/hooks';
import { api } from '../api.ts';
import { ErrorLine } from '../components/error-line.tsx';
import { onLinkClick } from '../router.ts';
import { useApi } from '../use-api.ts';

const describe = (template: any) =>
  template?.type === 'git'
    ? `git ${template.url}${template.ref ? ` @ ${template.ref}` : ''}`
    : template?.type === 'path'
      ? `folder ${template.path}`
      : 'empty';

export function ProjectsList() {
  const { data, error } = useApi<{ items: any[] }>('/v1/projects');
  const projects = data?.items;
  return (
    <section aria-labelledby="projects-title">
      <h1 id="projects-title">Projects</h1>
      <ErrorLine error={error} />
      {projects?.length === 0 && <p class="empty">No projects yet: starting a task in one creates it.</p>}
      <div class="table-wrap">
        <table>
          <thead>
            <tr>
              <th scope="col">Project</th>
              <th scope="col">Workspace template</th>
              <th scope="col">Members</th>
            </tr>
          </thead>
          <tbody>
            {projects?.map((project) => (
              <tr key={project.id} data-project-id={project.id}>
                <td>
                  <a href={`/projects/${encodeURIComponent(project.id)}`} onClick={onLinkClick}>
                    {project.id}
                  </a>
                </td>
                <td>{describe(project.workspaceTemplate)}</td>
                <td>{project.members.length}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </section>
  );
}

/** A project: its members, and its workspace template (members and admins change it; the API's refusal is shown). */
export function ProjectPage({ id }: { id: string }) {
  const [project, setProject] = useState<any>();
  const [type, setType] = useState('empty');
  const [error, setError] = useState<string>();
  const [saved, setSaved] = useState(false);
  useEffect(() => {
    api(`/v1/projects/${encodeURIComponent(id)}`).then(
      (answer) => {
        setProject(answer);
        setType(answer.workspaceTemplate?.type ?? 'empty');
      },
      (err) => setError(err.message),
    );
  }, [id]);
  if (!project) return error ? <ErrorLine error={error} /> : <p>Loading…</p>;
  const save = async (event: Event) => {
    event.preventDefault();
    const form = new FormData(event.currentTarget as HTMLFormElement);
    const text = (name: string) => String(form.get(name) ?? '').trim();
    const workspaceTemplate =
      type === 'git'
        ? { type, url: text('url'), ...(text('ref') && { ref: text('ref') }) }
        : type === 'path'
          ? { type, path: text('path') }
          : { type };
    setError(undefined);
    setSaved(false);
    try {
      setProject(await api(`/v1/projects/${encodeURIComponent(id)}`, { method: 'PUT', body: { workspaceTemplate } }));
      setSaved(true);
    } catch (err) {
      setError((err as Error).message);
    }
  };
  const template = project.workspaceTemplate ?? {};
  return (
    <section aria-labelledby="project-title">
      <h1 id="project-title">Project {project.id}</h1>
      <h2>Members</h2>
      <ul>
        {project.members.map((member: any) => (
          <li key={member.userId}>{member.userId}</li>
        ))}
      </ul>
      <form onSubmit={save} class="edit-form" aria-label="edit the workspace template">
        <h2>Workspace template</h2>
        <p class="hint">New executions start from it; existing workspaces keep what they have.</p>
        <label>
          Type
          <select name="type" value={type} onChange={(e) => setType((e.target as HTMLSelectElement).value)}>
            <option value="empty">empty</option>
            <option value="path">a folder on the worker</option>
            <option value="git">a git repository</option>
          </select>
        </label>
        {type === 'path' && (
          <label>
            Folder <input name="path" defaultValue={template.path ?? ''} required />
          </label>
        )}
        {type === 'git' && (
          <>
            <label>
              URL <input name="url" defaultValue={template.url ?? ''} required />
            </label>
            <label>
              Ref (branch, tag or commit; optional) <input name="ref" defaultValue={template.ref ?? ''} />
            </label>
          </>
        )}
        <ErrorLine error={error} />
        {saved && <p role="status">Saved.</p>}
        <button type="submit">Save template</button>
      </form>
    </section>
  );
}

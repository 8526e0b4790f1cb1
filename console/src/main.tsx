import './styles.css';
import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { api, onSignedOut, token, whoAmI } from './api.ts';
import { disconnect, type LiveState, onLiveState, subscribe } from './live.ts';
import { Admin } from './pages/admin.tsx';
import { AgentPage, AgentsList } from './pages/agents.tsx';
import { BackgroundAgents } from './pages/background-agents.tsx';
import { ExecutionPage } from './pages/execution.tsx';
import { ProjectPage, ProjectsList } from './pages/projects.tsx';
import { RunPage } from './pages/run.tsx';
import { RunsList } from './pages/runs-list.tsx';
import { SignIn } from './pages/sign-in.tsx';
import { navigate, onLinkClick, useLocation } from './router.ts';

function App() {
  const [signedIn, setSignedIn] = useState(token.get() !== null);
  useEffect(
    () =>
      onSignedOut(() => {
        token.clear();
        disconnect();
        setSignedIn(false);
      }),
    [],
  );
  if (!signedIn) return <SignIn onSignedIn={() => setSignedIn(true)} />;
  const signOut = () => {
    token.clear();
    disconnect();
    setSignedIn(false);
    navigate('/');
  };
  return (
    <div class="layout">
      <Sidebar onSignOut={signOut} />
      <main id="main">
        <LiveBanner />
        <Page />
      </main>
    </div>
  );
}

function Page() {
  const { path } = useLocation();
  const execution = /^\/executions\/([^/]+)$/.exec(path);
  if (execution) return <ExecutionPage key={execution[1]} id={decoded(execution[1]!)} />;
  if (path === '/background') return <BackgroundAgents />;
  if (path === '/agents') return <AgentsList />;
  if (path === '/admin') return <Admin />;
  if (path === '/projects') return <ProjectsList />;
  const agent = /^\/agents\/([^/]+)$/.exec(path);
  if (agent) return <AgentPage key={agent[1]} id={decoded(agent[1]!)} />;
  const project = /^\/projects\/([^/]+)$/.exec(path);
  if (project) return <ProjectPage key={project[1]} id={decoded(project[1]!)} />;
  const run = /^\/runs\/([^/]+)$/.exec(path);
  if (run) return <RunPage key={run[1]} id={decoded(run[1]!)} />;
  return <RunsList />;
}

/** A path segment as written when it is not valid percent-encoding (the API then answers 404). */
function decoded(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

/** Seed 000's status label, live: "Agents idle" or "Agents: N running, M queued". */
function Sidebar({ onSignOut }: { onSignOut: () => void }) {
  const [label, setLabel] = useState('…');
  const [admin, setAdmin] = useState(false);
  useEffect(() => {
    whoAmI().then(
      (you) => setAdmin(you.permissions.includes('tenant:admin')),
      () => undefined,
    );
  }, []);
  useEffect(() => {
    const load = () =>
      api('/v1/status').then(
        (status) => setLabel(status.label),
        () => undefined,
      );
    load();
    return subscribe({ scope: 'me' }, (message) => message.type === 'status' && load());
  }, []);
  return (
    <nav class="sidebar" aria-label="main">
      <a class="brand" href="/" onClick={onLinkClick}>
        agent-runs
      </a>
      <p class="status-label" aria-live="polite" data-testid="status-label">
        {label}
      </p>
      <a href="/" onClick={onLinkClick}>
        Agent runs
      </a>
      <a href="/background" onClick={onLinkClick}>
        Background agents
      </a>
      <a href="/agents" onClick={onLinkClick}>
        Agents
      </a>
      <a href="/projects" onClick={onLinkClick}>
        Projects
      </a>
      {admin && (
        <a href="/admin" onClick={onLinkClick}>
          Administration
        </a>
      )}
      <button type="button" class="secondary" onClick={onSignOut}>
        Sign out
      </button>
    </nav>
  );
}

/** Says so while the live connection is down (the page then catches up by itself). */
function LiveBanner() {
  const [state, setState] = useState<LiveState>('connecting');
  useEffect(() => onLiveState(setState), []);
  if (state !== 'reconnecting') return null;
  return (
    <p class="banner" role="status">
      Reconnecting… live updates resume where they stopped.
    </p>
  );
}

render(<App />, document.getElementById('app')!);

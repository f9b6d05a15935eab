// Admin keys only: projects (allowCommands), keys (create: the secret shown once; revoke), the
// worker pool and queue depth, the audit log. Routes: /v1/keys, /v1/projects/:name, /v1/audit,
// /v1/admin/queue.
import { useState } from 'react';
import type { FormEvent } from 'react';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { getJson, postJson, query, request } from '../api/client';
import type { ApiKey, AuditEntry, Page, Project, QueueOverview } from '../api/types';
import { useSession } from '../auth/session';
import { Pager } from '../components/pager';

export default function AdminPage() {
  const { isAdmin } = useSession();
  if (!isAdmin) return <p role="alert">The admin page needs an admin key.</p>;
  return (
    <section>
      <h1>Admin</h1>
      <QueuePanel />
      <ProjectsPanel />
      <KeysPanel />
      <AuditPanel />
    </section>
  );
}

function QueuePanel() {
  const q = useQuery({
    queryKey: ['admin', 'queue'],
    queryFn: ({ signal }) => getJson<QueueOverview>('/v1/admin/queue', signal),
    refetchInterval: 10_000,
  });
  const d = q.data;
  return (
    <section aria-labelledby="queue-h">
      <h2 id="queue-h">Queue and workers</h2>
      {q.error && <p role="alert">{q.error.message}</p>}
      {d && (
        <>
          <p>
            Pool: {d.pool.workers} compute and {d.pool.coordinators} coordinator workers per API
            process · queued <strong data-testid="queued-total">{d.totals.queued ?? 0}</strong> ·
            running <strong>{d.totals.running ?? 0}</strong>
            {d.oldestQueuedAt && (
              <> · oldest queued {new Date(d.oldestQueuedAt).toLocaleString()}</>
            )}
          </p>
          <table>
            <caption>Jobs by kind and status</caption>
            <thead>
              <tr>
                <th scope="col">Kind</th>
                <th scope="col">Status</th>
                <th scope="col">Jobs</th>
              </tr>
            </thead>
            <tbody>
              {d.counts.map((c) => (
                <tr key={`${c.kind}/${c.status}`}>
                  <td>{c.kind}</td>
                  <td className={`status status-${c.status}`}>{c.status}</td>
                  <td>{c.count}</td>
                </tr>
              ))}
            </tbody>
          </table>
          <table>
            <caption>Busy workers (heartbeat within a minute)</caption>
            <thead>
              <tr>
                <th scope="col">Worker</th>
                <th scope="col">Executor</th>
                <th scope="col">Jobs</th>
                <th scope="col">Kinds</th>
                <th scope="col">Last heartbeat</th>
              </tr>
            </thead>
            <tbody>
              {d.workers.map((w) => (
                <tr key={w.worker}>
                  <td>{w.worker}</td>
                  <td>{w.executor ?? '—'}</td>
                  <td>{w.jobs}</td>
                  <td>{w.kinds.join(', ')}</td>
                  <td>{new Date(w.lastHeartbeatAt).toLocaleTimeString()}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </>
      )}
    </section>
  );
}

function useKeys() {
  return useQuery({
    queryKey: ['admin', 'keys'],
    queryFn: ({ signal }) => getJson<{ items: ApiKey[] }>('/v1/keys?revoked=true', signal),
  });
}

function ProjectsPanel() {
  const keys = useKeys();
  const names = [...new Set((keys.data?.items ?? []).map((k) => k.project))].sort();
  return (
    <section aria-labelledby="projects-h">
      <h2 id="projects-h">Projects</h2>
      <table>
        <thead>
          <tr>
            <th scope="col">Project</th>
            <th scope="col">Command trials</th>
            <th scope="col">Created</th>
          </tr>
        </thead>
        <tbody>
          {names.map((n) => (
            <ProjectRow key={n} name={n} />
          ))}
        </tbody>
      </table>
    </section>
  );
}

function ProjectRow({ name }: { name: string }) {
  const client = useQueryClient();
  const project = useQuery({
    queryKey: ['admin', 'project', name],
    queryFn: ({ signal }) => getJson<Project>(`/v1/projects/${encodeURIComponent(name)}`, signal),
  });
  const toggle = useMutation({
    mutationFn: async (allowCommands: boolean) =>
      (
        await request(`/v1/projects/${encodeURIComponent(name)}`, {
          method: 'PATCH',
          body: JSON.stringify({ allowCommands }),
        })
      ).json() as Promise<Project>,
    onSuccess: (p) => client.setQueryData(['admin', 'project', name], p),
  });
  const p = project.data;
  return (
    <tr>
      <th scope="row">{name}</th>
      <td>
        {p && (
          <label>
            <input
              type="checkbox"
              checked={p.allowCommands}
              disabled={toggle.isPending}
              onChange={(e) => toggle.mutate(e.target.checked)}
            />{' '}
            allow commands
          </label>
        )}
        {toggle.error && <span role="alert"> {toggle.error.message}</span>}
      </td>
      <td>{p ? new Date(p.createdAt).toLocaleDateString() : ''}</td>
    </tr>
  );
}

function KeysPanel() {
  const client = useQueryClient();
  const keys = useKeys();
  const [name, setName] = useState('');
  const [project, setProject] = useState('');
  const [role, setRole] = useState<ApiKey['role']>('member');
  const [secret, setSecret] = useState<{ name: string; key: string } | null>(null);
  const create = useMutation({
    mutationFn: () =>
      postJson<ApiKey & { key: string }>('/v1/keys', {
        name,
        role,
        project: project.trim() || undefined,
      }),
    onSuccess: (k) => {
      setSecret({ name: k.name, key: k.key });
      setName('');
      void client.invalidateQueries({ queryKey: ['admin'] });
    },
  });
  const revoke = useMutation({
    mutationFn: (id: string) => request(`/v1/keys/${id}`, { method: 'DELETE' }),
    onSuccess: () => void client.invalidateQueries({ queryKey: ['admin', 'keys'] }),
  });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    create.mutate();
  };
  return (
    <section aria-labelledby="keys-h">
      <h2 id="keys-h">API keys</h2>
      <form className="filters" onSubmit={submit} aria-label="Create an API key">
        <label>
          Name <input value={name} onChange={(e) => setName(e.target.value)} required />
        </label>
        <label>
          Project{' '}
          <input
            value={project}
            onChange={(e) => setProject(e.target.value)}
            placeholder="this one"
          />
        </label>
        <label>
          Role{' '}
          <select value={role} onChange={(e) => setRole(e.target.value as ApiKey['role'])}>
            <option>viewer</option>
            <option>member</option>
            <option>admin</option>
          </select>
        </label>
        <button type="submit" disabled={!name || create.isPending}>
          Create key
        </button>
      </form>
      {create.error && <p role="alert">{create.error.message}</p>}
      {secret && (
        <div className="secret" role="status">
          <p>
            Key <strong>{secret.name}</strong>, shown once (only its hash is stored):
          </p>
          <code data-testid="new-key">{secret.key}</code>{' '}
          <button type="button" onClick={() => void navigator.clipboard?.writeText(secret.key)}>
            Copy
          </button>{' '}
          <button type="button" onClick={() => setSecret(null)}>
            Done
          </button>
        </div>
      )}
      {revoke.error && <p role="alert">{revoke.error.message}</p>}
      <table>
        <thead>
          <tr>
            <th scope="col">Name</th>
            <th scope="col">Project</th>
            <th scope="col">Role</th>
            <th scope="col">Created</th>
            <th scope="col">Last used</th>
            <th scope="col">State</th>
          </tr>
        </thead>
        <tbody>
          {keys.data?.items.map((k) => (
            <tr key={k.id}>
              <td>{k.name}</td>
              <td>{k.project}</td>
              <td>{k.role}</td>
              <td>{new Date(k.createdAt).toLocaleString()}</td>
              <td>{k.lastUsedAt ? new Date(k.lastUsedAt).toLocaleString() : '—'}</td>
              <td>
                {k.revokedAt ? (
                  'revoked'
                ) : (
                  <button
                    type="button"
                    onClick={() => {
                      if (window.confirm(`Revoke key "${k.name}" of ${k.project}?`))
                        revoke.mutate(k.id);
                    }}
                  >
                    Revoke <span className="sr-only">{k.name}</span>
                  </button>
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}

const AUDIT_PAGE = 50;

function AuditPanel() {
  const [offset, setOffset] = useState(0);
  const audit = useQuery({
    queryKey: ['admin', 'audit', offset],
    queryFn: ({ signal }) =>
      getJson<Page<AuditEntry>>(`/v1/audit${query({ limit: AUDIT_PAGE, offset })}`, signal),
    // A request's audit row is written once its response has gone out, so the refetch a key
    // creation triggers can come before that row: follow the log as the queue panel does.
    refetchInterval: 10_000,
  });
  const d = audit.data;
  return (
    <section aria-labelledby="audit-h">
      <h2 id="audit-h">Audit log</h2>
      <table>
        <thead>
          <tr>
            <th scope="col">Time</th>
            <th scope="col">Project</th>
            <th scope="col">Request</th>
            <th scope="col">Target</th>
            <th scope="col">Status</th>
            <th scope="col">Key</th>
          </tr>
        </thead>
        <tbody>
          {d?.items.map((a) => (
            <tr key={a.id}>
              <td>{new Date(a.time).toLocaleString()}</td>
              <td>{a.project ?? '—'}</td>
              <td>
                {a.method} {a.route}
              </td>
              <td>{a.targetId ?? ''}</td>
              <td>{a.status}</td>
              <td>{a.keyId.slice(0, 8)}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {d && (
        <Pager
          label="Audit pages"
          offset={offset}
          pageSize={AUDIT_PAGE}
          page={d}
          empty="nothing yet"
          onOffset={setOffset}
        />
      )}
    </section>
  );
}

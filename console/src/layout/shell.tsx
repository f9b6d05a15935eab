import { NavLink, Outlet } from 'react-router';
import { useSession } from '../auth/session';

/** Every page of the workspace, in the order a data scientist meets them. */
export const NAV: { to: string; label: string; adminOnly?: boolean }[] = [
  { to: '/jobs', label: 'Jobs' },
  { to: '/studies', label: 'Studies' },
  { to: '/datasets', label: 'Data sets' },
  { to: '/models', label: 'Models' },
  { to: '/finetune', label: 'Fine-tune' },
  { to: '/explanations', label: 'Explanations' },
  { to: '/deployments', label: 'Deployments' },
  { to: '/simulations', label: 'Simulator' },
  { to: '/nas', label: 'Architecture search' },
  { to: '/federations', label: 'Federations' },
  { to: '/admin', label: 'Admin', adminOnly: true },
];

export function Shell() {
  const { identity, logout, isAdmin } = useSession();
  return (
    <div className="shell">
      <a className="skip" href="#main">
        Skip to content
      </a>
      <header className="top">
        <span className="brand">AutoDL</span>
        {identity && (
          <span className="who">
            project <strong>{identity.project}</strong> · {identity.role}
          </span>
        )}
        <button type="button" onClick={logout}>
          Sign out
        </button>
      </header>
      <nav aria-label="Main">
        <ul>
          {NAV.filter((n) => !n.adminOnly || isAdmin).map((n) => (
            <li key={n.to}>
              <NavLink to={n.to}>{n.label}</NavLink>
            </li>
          ))}
        </ul>
      </nav>
      <main id="main" tabIndex={-1}>
        <Outlet />
      </main>
    </div>
  );
}

import { lazy, Suspense } from 'react';
import type { ReactNode } from 'react';
import { createBrowserRouter, Navigate, RouterProvider, useLocation } from 'react-router';
import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { SessionProvider, useSession } from './auth/session';
import { Shell } from './layout/shell';
import { LoginPage } from './pages/login';
import { JobsListPage } from './pages/jobs-list';

// Pages beyond the first are code-split: a data scientist opening a job does not download the
// study plots.
const NotFound = lazy(() => import('./pages/not-found'));
const Simulations = lazy(() => import('./pages/simulations'));
const Simulation = lazy(() => import('./pages/simulations-detail'));
const Tuning = lazy(() => import('./pages/simulations-tuning'));
const NasList = lazy(() => import('./pages/nas'));
const NasRun = lazy(() => import('./pages/nas-run'));
const JobDetail = lazy(() => import('./pages/job-detail'));
const Admin = lazy(() => import('./pages/admin'));

function RequireKey({ children }: { children: ReactNode }) {
  const { key } = useSession();
  const location = useLocation();
  if (!key) return <Navigate to="/login" replace state={{ from: location.pathname }} />;
  return <>{children}</>;
}

const router = createBrowserRouter([
  { path: '/login', element: <LoginPage /> },
  {
    path: '/',
    element: (
      <RequireKey>
        <Shell />
      </RequireKey>
    ),
    children: [
      { index: true, element: <Navigate to="/jobs" replace /> },
      { path: 'jobs', element: <JobsListPage /> },
      { path: 'simulations', element: <Simulations /> },
      { path: 'simulations/tunings/:id', element: <Tuning /> },
      { path: 'simulations/:id', element: <Simulation /> },
      { path: 'nas', element: <NasList /> },
      { path: 'nas/:id', element: <NasRun /> },
      { path: 'jobs/:id', element: <JobDetail /> },
      { path: 'admin', element: <Admin /> },
      { path: '*', element: <NotFound /> },
    ],
  },
]);

const queries = new QueryClient({
  defaultOptions: { queries: { retry: 1, staleTime: 5_000, refetchOnWindowFocus: false } },
});

export function App() {
  return (
    <QueryClientProvider client={queries}>
      <SessionProvider>
        <Suspense fallback={<p aria-busy="true">Loading…</p>}>
          <RouterProvider router={router} />
        </Suspense>
      </SessionProvider>
    </QueryClientProvider>
  );
}

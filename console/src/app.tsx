import { lazy, Suspense } from 'react';
import type { ReactNode } from 'react';
import { createBrowserRouter, Navigate, RouterProvider, useLocation } from 'react-router';
import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { prefetchStudyPage } from './api/study-queries';
import { SessionProvider, storedKey, useSession } from './auth/session';
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
const DatasetsList = lazy(() => import('./pages/registry/datasets-list'));
const DatasetDetail = lazy(() => import('./pages/registry/dataset-detail'));
const ModelsList = lazy(() => import('./pages/registry/models-list'));
const ModelDetail = lazy(() => import('./pages/registry/model-detail'));
const Personalise = lazy(() => import('./pages/registry/personalise'));
const StudiesList = lazy(() => import('./pages/studies-list'));
const StudyDetail = lazy(() => import('./pages/studies-detail'));
const StudiesCompare = lazy(() => import('./pages/studies-compare'));
const FinetunePage = lazy(() => import('./pages/finetune/finetune-form'));
const FinetuneJobPage = lazy(() => import('./pages/finetune/finetune-job'));
const ExplanationsListPage = lazy(() => import('./pages/explain/explanations-list'));
const ExplainFormPage = lazy(() => import('./pages/explain/explain-form'));
const ExplanationPage = lazy(() => import('./pages/explain/explanation'));
const MislabelsPage = lazy(() => import('./pages/explain/mislabels'));
const DeploymentsList = lazy(() => import('./pages/deployments/deployments-list'));
const DeploymentDetail = lazy(() => import('./pages/deployments/deployment-detail'));
const FederationsList = lazy(() => import('./pages/federations/federations-list'));
const FederationForm = lazy(() => import('./pages/federations/federation-form'));
const FederationDetail = lazy(() => import('./pages/federations/federation-detail'));

function RequireKey({ children }: { children: ReactNode }) {
  const { key } = useSession();
  const location = useLocation();
  if (!key) return <Navigate to="/login" replace state={{ from: location.pathname }} />;
  return <>{children}</>;
}

const queries = new QueryClient({
  defaultOptions: { queries: { retry: 1, staleTime: 5_000, refetchOnWindowFocus: false } },
});

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
      { path: 'deployments', element: <DeploymentsList /> },
      { path: 'deployments/:id', element: <DeploymentDetail /> },
      { path: 'simulations', element: <Simulations /> },
      { path: 'simulations/tunings/:id', element: <Tuning /> },
      { path: 'simulations/:id', element: <Simulation /> },
      { path: 'nas', element: <NasList /> },
      { path: 'nas/:id', element: <NasRun /> },
      { path: 'federations', element: <FederationsList /> },
      { path: 'federations/new', element: <FederationForm /> },
      { path: 'federations/:id', element: <FederationDetail /> },
      { path: 'jobs/:id', element: <JobDetail /> },
      { path: 'admin', element: <Admin /> },
      { path: 'datasets', element: <DatasetsList /> },
      { path: 'datasets/:id', element: <DatasetDetail /> },
      { path: 'models', element: <ModelsList /> },
      { path: 'models/:id', element: <ModelDetail /> },
      { path: 'models/:id/personalise', element: <Personalise /> },
      { path: 'studies', element: <StudiesList /> },
      { path: 'studies/compare', element: <StudiesCompare /> },
      {
        path: 'studies/:id',
        element: <StudyDetail />,
        // The page's first requests start with its code, not after it (docs/benchmarks.md). The
        // chart library is not started here: evaluated before the first paint, it delayed it.
        loader: ({ params }) => {
          if (params.id && storedKey()) prefetchStudyPage(queries, params.id);
          return null;
        },
      },
      { path: 'finetune', element: <FinetunePage /> },
      { path: 'finetune/:id', element: <FinetuneJobPage /> },
      { path: 'explanations', element: <ExplanationsListPage /> },
      { path: 'explanations/new', element: <ExplainFormPage /> },
      { path: 'explanations/mislabels/:jobId', element: <MislabelsPage /> },
      { path: 'explanations/:id', element: <ExplanationPage /> },
      { path: '*', element: <NotFound /> },
    ],
  },
]);

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

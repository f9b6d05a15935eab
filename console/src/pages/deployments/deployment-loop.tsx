// Profile -> simulate -> tune -> apply from the page (docs/serving.md): start a profile and a
// tune (their jobs are linked and followed), the newest profile as a chart, the newest tuning's
// chosen config with the p99 it promises against the SLO and its cost, and Apply.
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { deploymentsApi, type Deployment } from '../../api/deployments';
import { isFinished } from '../../api/types';
import { ProfileForm, TuneForm } from './loop-forms';
import { JobsTable, ProfileView, TuneView } from './loop-results';

export function LoopPanel({ d, canWrite }: { d: Deployment; canWrite: boolean }) {
  const client = useQueryClient();
  const jobs = useQuery({
    queryKey: ['deployment', d.id, 'jobs'],
    queryFn: ({ signal }) => deploymentsApi.jobs(d.id, signal),
    refetchInterval: (q) =>
      q.state.data?.items.some((j) => !isFinished(j.status)) ? 1_500 : 10_000,
  });
  const items = jobs.data?.items ?? [];
  const lastProfile = items.find(
    (j) => j.kind === 'deployment-profile' && j.status === 'succeeded',
  );
  const lastTune = items.find(
    (j) => j.kind === 'deployment-tune' && j.status === 'succeeded' && j.result,
  );
  const profile = useQuery({
    queryKey: ['deployment', d.id, 'profile', lastProfile?.id ?? null],
    queryFn: ({ signal }) => deploymentsApi.profile(d.id, signal),
  });
  const refresh = () => void client.invalidateQueries({ queryKey: ['deployment', d.id, 'jobs'] });
  return (
    <>
      <div className="panels">
        <section className="panel" aria-labelledby="profile-title">
          <h2 id="profile-title">Profile</h2>
          <p className="muted">
            Measures the service time per batch size on this host, for the simulator.
          </p>
          {canWrite ? (
            <ProfileForm d={d} onStarted={refresh} />
          ) : (
            <p>Profiling needs a member or admin key.</p>
          )}
        </section>
        <section className="panel" aria-labelledby="tune-title">
          <h2 id="tune-title">Tune</h2>
          <p className="muted">Finds the cheapest config meeting the SLO by simulation.</p>
          {canWrite ? (
            <TuneForm d={d} profile={profile.data ?? null} onStarted={refresh} />
          ) : (
            <p>Tuning needs a member or admin key.</p>
          )}
        </section>
      </div>
      <h2>Jobs</h2>
      {jobs.error && <p role="alert">{jobs.error.message}</p>}
      <JobsTable jobs={items} />
      <h2>Latest profile</h2>
      {profile.error && <p role="alert">{profile.error.message}</p>}
      {profile.data ? <ProfileView p={profile.data} /> : <p className="muted">Not profiled yet.</p>}
      <h2>Latest tuning</h2>
      {lastTune ? (
        <TuneView d={d} job={lastTune} canWrite={canWrite} />
      ) : (
        <p className="muted">Not tuned yet.</p>
      )}
    </>
  );
}

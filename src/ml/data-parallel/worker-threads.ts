import type { TrainingThreads } from '../train/parallel';
import { enableThreadDataParallel } from './replica-pool';

/** The supervisor's message (src/platform/jobs/worker-loop.ts SupervisorMessage), as read here. */
interface PoolLoad {
  type: 'pool-load';
  busyElsewhere: number;
}

/**
 * What a job worker process installs at start (src/worker.ts): training and bulk prediction over
 * worker threads with the configured thread setting (AUTODL_TRAIN_THREADS, default `auto`). A
 * pool worker passes its IPC channel: the local executor's supervisor sends `pool-load` messages
 * whenever a compute worker claims a job or goes idle, and `auto` takes the cores the other busy
 * workers leave free. Without a channel (a Kubernetes pod), nothing runs elsewhere on its share.
 */
export function installWorkerThreads(
  threads: TrainingThreads,
  supervisor?: { on(event: 'message', listener: (message: unknown) => void): unknown },
): void {
  let busyElsewhere = 0;
  supervisor?.on('message', (m) => {
    const load = m as Partial<PoolLoad> | null;
    if (load?.type === 'pool-load' && typeof load.busyElsewhere === 'number') {
      busyElsewhere = load.busyElsewhere;
    }
  });
  enableThreadDataParallel(threads, { busyElsewhere: () => busyElsewhere });
}

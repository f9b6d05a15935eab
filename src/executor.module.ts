/**
 * The one place executors are built (composition root): provides the EXECUTOR token, a local
 * worker pool or the Kubernetes executor as AUTODL_EXECUTOR says, or null when this process
 * runs none (no workers, tests that run jobs themselves). The provider only builds it; the
 * process that owns it starts and stops it (startApp, `autodl worker`).
 */
import { DynamicModule, Logger, Module } from '@nestjs/common';
import { electionTiming, KUBERNETES_CONFIG_SECTION } from './deploy/kubernetes-config';
import { LeaderTasks, withLeaderTasks } from './deploy/leader-tasks';
import { APP_CONFIG, AppConfig, workerEnv } from './platform/config/app-config';
import { DATABASE_URL } from './platform/database/database.module';
import { EXECUTOR, type Executor } from './platform/jobs/executor.port';
import { JobsRepository } from './platform/jobs/jobs.repository';
import { LocalExecutor } from './platform/jobs/local-executor';
import { processGroupDir } from './platform/jobs/process-groups';

export interface ExecutorLog {
  log(message: string): void;
  warn(message: string): void;
}

export interface ExecutorModuleOptions {
  /**
   * `configured`: the executor AUTODL_EXECUTOR names (the API); `local`: a local pool whatever
   * it names (`autodl worker`); `none`: EXECUTOR is null.
   */
  executor: 'configured' | 'local' | 'none';
  /** Where the executor's messages go; default the app's logger. */
  log?: ExecutorLog;
}

function nestLog(context: string): ExecutorLog {
  const logger = new Logger(context);
  return { log: (m) => logger.log(m), warn: (m) => logger.warn(m) };
}

export async function createExecutor(
  options: ExecutorModuleOptions,
  config: AppConfig,
  jobs: JobsRepository,
  databaseUrl: string,
  leaderTasks: LeaderTasks = new LeaderTasks(),
): Promise<Executor | null> {
  if (options.executor === 'none') return null;
  if (options.executor === 'configured' && config.executor === 'kubernetes') {
    const kubernetes = config.sections.get(KUBERNETES_CONFIG_SECTION);
    if (!kubernetes) return null;
    // One batch/v1 Job per job; the pods' workers report through this database. Loaded on
    // demand: the local executor never needs the Kubernetes client.
    const [
      { KubernetesExecutor },
      { PgDispatchQueue },
      { loadKubeConfig },
      { LeaderElectedExecutor },
      { LeaderElection, kubernetesLeaseStore },
    ] = await Promise.all([
      import('./deploy/kubernetes-executor'),
      import('./deploy/pg-dispatch-queue'),
      import('./deploy/kube-connection'),
      import('./deploy/leader-elected-executor'),
      import('./deploy/leader-election'),
    ]);
    const log = options.log ?? nestLog('KubernetesExecutor');
    // Built by start(): a kubeconfig that cannot be read then fails the start (which closes the
    // app and names the error), not the module graph (which Nest answers with an abort).
    return deferredExecutor('kubernetes', () => {
      const kubeConfig = loadKubeConfig(kubernetes.kubeconfig);
      // The leader's other singletons (the custom-resource operator) start and stop with it.
      const executor = withLeaderTasks(
        new KubernetesExecutor({
          kubeConfig,
          queue: new PgDispatchQueue(jobs, databaseUrl),
          config: kubernetes,
          logger: { warn: (m) => log.warn(m) },
        }),
        leaderTasks,
      );
      if (!kubernetes.leaderElection) return executor;
      // Every API replica serves requests; the one holding the Lease runs the executor.
      const store = kubernetesLeaseStore(kubeConfig, kubernetes.namespace, kubernetes.leaseName);
      return new LeaderElectedExecutor(
        executor,
        (callbacks) =>
          new LeaderElection(store, {
            identity: kubernetes.leaderIdentity,
            timing: electionTiming(kubernetes),
            callbacks,
            log: (m) => log.log(m),
          }),
      );
    });
  }
  if (config.workers < 1) return null;
  const log = options.log ?? nestLog('LocalExecutor');
  return new LocalExecutor(jobs, {
    workers: config.workers,
    coordinators: config.coordinators,
    databaseUrl,
    heartbeatTimeoutMs: config.heartbeatTimeoutMs,
    cancelGraceMs: config.cancelGraceMs,
    env: workerEnv(config),
    processGroupDir: processGroupDir(config.home),
    log: (m) => log.log(m),
  });
}

/** An executor whose construction waits for `start()`. */
function deferredExecutor(name: Executor['name'], build: () => Executor): Executor {
  let built: Executor | null = null;
  return {
    name,
    start: async () => {
      built ??= build();
      await built.start();
    },
    stop: async () => built?.stop(),
    kill: async (jobId) => built?.kill(jobId),
  };
}

@Module({})
export class ExecutorModule {
  static forRoot(options: ExecutorModuleOptions): DynamicModule {
    return {
      module: ExecutorModule,
      // LeaderTasks is global: a module with a leader-only singleton registers it there.
      global: true,
      providers: [
        LeaderTasks,
        {
          provide: EXECUTOR,
          inject: [APP_CONFIG, JobsRepository, DATABASE_URL, LeaderTasks],
          useFactory: (
            config: AppConfig,
            jobs: JobsRepository,
            databaseUrl: string,
            tasks: LeaderTasks,
          ) => createExecutor(options, config, jobs, databaseUrl, tasks),
        },
      ],
      exports: [EXECUTOR, LeaderTasks],
    };
  }
}

/**
 * The operator of the Study and FineTune custom resources (operator.ts) in the API: built when
 * AUTODL_EXECUTOR=kubernetes and AUTODL_K8S_OPERATOR is not false, registered as a leader task
 * so that it runs on the replica holding the executor's Lease only. Loads the Kubernetes client
 * on demand, as the executor does.
 */
import { Inject, Logger, Module, type OnModuleInit } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '../platform/config/app-config';
import { SearchModule } from '../search/search.module';
import { KUBERNETES_CONFIG_SECTION } from './kubernetes-config';
import { LeaderTasks } from './leader-tasks';
import { OperatorBackend } from './operator-backend';
import { OPERATOR_CONFIG_SECTION } from './operator-config';

@Module({
  imports: [SearchModule],
  providers: [OperatorBackend],
})
export class OperatorModule implements OnModuleInit {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly backend: OperatorBackend,
    private readonly tasks: LeaderTasks,
  ) {}

  onModuleInit(): void {
    // An app built from a bare platform configuration (embedded and outage tests, the offline
    // CLI) has no capability sections: then there is no operator, as with the local executor.
    const { sections } = this.config;
    const kubernetes = sections.has(KUBERNETES_CONFIG_SECTION)
      ? sections.get(KUBERNETES_CONFIG_SECTION)
      : undefined;
    const operator = sections.has(OPERATOR_CONFIG_SECTION)
      ? sections.get(OPERATOR_CONFIG_SECTION)
      : undefined;
    if (!kubernetes || !operator) return;
    const logger = new Logger('ResourceOperator');
    let built: { start(): Promise<void>; stop(): Promise<void> } | null = null;
    this.tasks.add({
      name: 'custom-resource operator',
      start: async () => {
        if (!built) {
          const [{ ResourceOperator }, { loadKubeConfig }] = await Promise.all([
            import('./operator'),
            import('./kube-connection'),
          ]);
          built = new ResourceOperator({
            kubeConfig: loadKubeConfig(kubernetes.kubeconfig),
            backend: this.backend,
            namespaces:
              operator.namespaces.length > 0 ? operator.namespaces : [kubernetes.namespace],
            resyncMs: operator.resyncMs,
            watchRetryMs: kubernetes.watchRetryMs,
            logger: { log: (m) => logger.log(m), warn: (m) => logger.warn(m) },
          });
        }
        await built.start();
      },
      stop: async () => built?.stop(),
    });
  }
}

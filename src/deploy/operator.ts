/**
 * The operator of the Study and FineTune custom resources, inside the API process and only on
 * the elected leader (started and stopped with the executor, leader-tasks.ts). Per watched
 * namespace and kind an informer (list + watch with resourceVersion; client-node's ListWatch
 * relists on 410 Gone) feeds a reconcile that is serial per resource:
 *
 *   first sight       add the finalizer `autodl.io/cancel` (merge patch with resourceVersion)
 *   no work yet       create the study / fine-tune job through the REST API's services, keyed by
 *                     the resource's uid (a lost status write finds the same work again), and
 *                     record its id in status; a refusal is phase Failed with the service's
 *                     message and a Warning Event
 *   work exists       copy the service's state into status (status subresource, merge patch,
 *                     only when it changed); a Study's maxTrials/parallelism edits go to the
 *                     running study (PATCH /v1/studies/{id}); other edits are reported ignored
 *   being deleted     cancel the work, wait until it has ended, then drop the finalizer
 *
 * The service's state lives in PostgreSQL, not in Kubernetes, so unfinished resources are also
 * re-read every `resyncMs`. Decisions and mappings are pure (core/custom-resources.ts).
 */
import {
  CoreV1Api,
  CustomObjectsApi,
  makeInformer,
  PatchStrategy,
  setHeaderOptions,
  type Informer,
  type KubeConfig,
  type KubernetesListObject,
  type KubernetesObject,
  type ObjectCache,
} from '@kubernetes/client-node';
import { DomainError, ValidationError } from '../platform/errors/domain-error';
import { apiStatus, describeError } from './api-errors';
import {
  budgetChange,
  FINALIZER,
  finetuneRequest,
  finetuneStatus,
  GROUP,
  idempotencyKey,
  nextAction,
  projectOf,
  refusalMessage,
  removeCondition,
  setCondition,
  specHash,
  statusDiffers,
  studyRequest,
  studyStatus,
  VERSION,
  workId,
  type CommonStatus,
  type CustomResource,
  type FineTuneResource,
  type StudyResource,
} from './core/custom-resources';
import type { OperatorBackend } from './operator-backend';

type Kind = 'Study' | 'FineTune';
/** How often a watch whose CRD is missing (404) is tried again. */
const CRD_MISSING_RETRY_MS = 30_000;
const PLURAL: Record<Kind, string> = { Study: 'studies', FineTune: 'finetunes' };

type Resource = CustomResource<unknown, CommonStatus>;
type Cached = KubernetesObject & Resource;

export interface OperatorLogger {
  log(message: string): void;
  warn(message: string): void;
}

export interface ResourceOperatorDeps {
  kubeConfig: KubeConfig;
  backend: Pick<
    OperatorBackend,
    | 'createStudy'
    | 'study'
    | 'updateStudyBudget'
    | 'cancelStudy'
    | 'createFinetune'
    | 'job'
    | 'cancelJob'
  >;
  namespaces: string[];
  resyncMs: number;
  watchRetryMs: number;
  logger: OperatorLogger;
  now?: () => Date;
}

interface Watched {
  kind: Kind;
  namespace: string;
  informer: Informer<Cached> & ObjectCache<Cached>;
}

export class ResourceOperator {
  private readonly custom: CustomObjectsApi;
  private readonly core: CoreV1Api;
  private watched: Watched[] = [];
  private running = false;
  private resync?: NodeJS.Timeout;
  private readonly timers = new Set<NodeJS.Timeout>();
  /** Per resource: the reconcile in progress, and whether another one is due after it. */
  private readonly inFlight = new Map<string, { done: Promise<void>; again: boolean }>();
  private readonly now: () => Date;

  constructor(private readonly deps: ResourceOperatorDeps) {
    this.custom = deps.kubeConfig.makeApiClient(CustomObjectsApi);
    this.core = deps.kubeConfig.makeApiClient(CoreV1Api);
    this.now = deps.now ?? (() => new Date());
  }

  async start(): Promise<void> {
    if (this.running) return;
    this.running = true;
    for (const namespace of this.deps.namespaces)
      for (const kind of ['Study', 'FineTune'] as Kind[]) await this.watch(kind, namespace);
    this.resync = setInterval(() => this.resyncAll(), this.deps.resyncMs);
    this.deps.logger.log(
      `operator of studies/finetunes.${GROUP} watching namespace(s) ${this.deps.namespaces.join(', ')}`,
    );
  }

  async stop(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    if (this.resync) clearInterval(this.resync);
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    await Promise.all(this.watched.map((w) => w.informer.stop()));
    this.watched = [];
    await Promise.all([...this.inFlight.values()].map((f) => f.done));
  }

  private async watch(kind: Kind, namespace: string): Promise<void> {
    const plural = PLURAL[kind];
    const informer = makeInformer<Cached>(
      this.deps.kubeConfig,
      `/apis/${GROUP}/${VERSION}/namespaces/${namespace}/${plural}`,
      () =>
        this.custom.listNamespacedCustomObject({
          group: GROUP,
          version: VERSION,
          namespace,
          plural,
        }) as Promise<KubernetesListObject<Cached>>,
    );
    const w: Watched = { kind, namespace, informer };
    const onChange = (o: Cached) => this.schedule(w, o.metadata.name);
    informer.on('add', onChange);
    informer.on('update', onChange);
    // ListWatch relists by itself on 410 Gone and re-watches when the server closes the stream;
    // other errors stop it, so it is restarted after a pause (as the executor's informers are).
    // A 404 means the CRDs are not installed: the executor keeps running, the operator retries
    // slowly and says what to do.
    const retry = (err?: unknown) => {
      if (!this.running) return;
      const missing = apiStatus(err) === 404;
      this.deps.logger.warn(
        `${plural} watch in ${namespace} failed: ${describeError(err)}` +
          (missing
            ? ` (is the CRD ${plural}.${GROUP} installed? kubectl apply -k k8s/overlays/..., or AUTODL_K8S_OPERATOR=false)`
            : ''),
      );
      const timer = setTimeout(
        () => {
          this.timers.delete(timer);
          if (this.running) void informer.start().catch(retry);
        },
        missing ? CRD_MISSING_RETRY_MS : this.deps.watchRetryMs,
      );
      this.timers.add(timer);
    };
    informer.on('error', retry);
    this.watched.push(w);
    await informer.start().catch(retry);
  }

  /** Every cached resource whose work may have moved on (the service's state is not watched). */
  private resyncAll(): void {
    for (const w of this.watched)
      for (const o of w.informer.list(w.namespace))
        if (nextAction(w.kind, o).type !== 'done') this.schedule(w, o.metadata.name);
  }

  /** Reconciles one resource, never two passes of the same one at once. */
  private schedule(w: Watched, name: string): void {
    if (!this.running) return;
    const key = `${w.kind}/${w.namespace}/${name}`;
    const current = this.inFlight.get(key);
    if (current) {
      current.again = true;
      return;
    }
    const entry = { done: Promise.resolve(), again: false };
    entry.done = (async () => {
      do {
        entry.again = false;
        const cr = w.informer.get(name, w.namespace);
        if (!cr) break;
        try {
          await this.reconcile(w.kind, cr);
        } catch (err) {
          this.deps.logger.warn(`${key}: ${describeError(err)} (retried)`);
        }
      } while (entry.again && this.running);
      this.inFlight.delete(key);
    })();
    this.inFlight.set(key, entry);
  }

  /** One pass; it may act several times on the object its own writes return. */
  async reconcile(kind: Kind, start: Resource): Promise<void> {
    let cr: Resource | null = start;
    for (let step = 0; cr && step < 4 && this.running; step++) {
      const action = nextAction(kind, cr);
      switch (action.type) {
        case 'none':
        case 'done':
          return;
        case 'add-finalizer':
          cr = await this.setFinalizers(kind, cr, [...(cr.metadata.finalizers ?? []), FINALIZER]);
          break;
        case 'create':
          cr = await this.create(kind, cr);
          break;
        case 'follow':
          await this.follow(kind, cr, action.id);
          return;
        case 'finalize':
          await this.finalize(kind, cr);
          return;
      }
    }
  }

  private async create(kind: Kind, cr: Resource): Promise<Resource | null> {
    const { namespace } = cr.metadata;
    const project = projectOf(namespace);
    const generation = cr.metadata.generation;
    let id: string;
    try {
      id =
        kind === 'Study'
          ? await this.deps.backend.createStudy(
              project,
              studyRequest(cr as StudyResource),
              idempotencyKey(cr),
            )
          : await this.deps.backend.createFinetune(
              project,
              finetuneRequest(cr as FineTuneResource),
              idempotencyKey(cr),
            );
    } catch (err) {
      if (!(err instanceof DomainError)) throw err;
      const message = refusalMessage(
        kind,
        err.message,
        err instanceof ValidationError ? err.problems : [],
      );
      await this.writeStatus(kind, cr, {
        phase: 'Failed',
        message,
        observedGeneration: generation,
        conditions: setCondition(
          cr.status?.conditions,
          {
            type: 'Created',
            status: 'False',
            reason: 'Refused',
            message,
            observedGeneration: generation,
          },
          this.now().toISOString(),
        ),
      });
      await this.event(kind, cr, 'Warning', 'Refused', message);
      return null;
    }
    const what = kind === 'Study' ? `study ${id}` : `fine-tune job ${id}`;
    const status: CommonStatus & { studyId?: string } = {
      phase: 'Pending',
      message: `created ${what}`,
      ...(kind === 'Study' ? { studyId: id } : { jobId: id }),
      observedGeneration: generation,
      specHash: specHash(kind, cr.spec),
      conditions: setCondition(
        [],
        {
          type: 'Created',
          status: 'True',
          reason: 'Created',
          message: `created ${what} in project ${project}`,
          observedGeneration: generation,
        },
        this.now().toISOString(),
      ),
    };
    const written = await this.writeStatus(kind, cr, status);
    await this.event(kind, cr, 'Normal', 'Created', `created ${what} in project ${project}`);
    return written;
  }

  private async follow(kind: Kind, cr: Resource, id: string): Promise<void> {
    const project = projectOf(cr.metadata.namespace);
    const generation = cr.metadata.generation;
    const now = this.now().toISOString();
    let conditions = cr.status?.conditions ?? [];
    let next: CommonStatus;
    if (kind === 'Study') {
      const spec = (cr as StudyResource).spec;
      let view = await this.deps.backend.study(project, id);
      const change = budgetChange(spec, view.budget);
      if (change) {
        try {
          await this.deps.backend.updateStudyBudget(project, id, change);
          view = await this.deps.backend.study(project, id);
          conditions = removeCondition(conditions, 'BudgetChangeRefused');
          await this.event(kind, cr, 'Normal', 'BudgetChanged', describeChange(change));
        } catch (err) {
          if (!(err instanceof DomainError)) throw err;
          conditions = setCondition(
            conditions,
            {
              type: 'BudgetChangeRefused',
              status: 'True',
              reason: 'Refused',
              message: refusalMessage(
                kind,
                err.message,
                err instanceof ValidationError
                  ? err.problems.map((p) => ({ ...p, field: `budget.${p.field.split('.').pop()}` }))
                  : [],
              ),
              observedGeneration: generation,
            },
            now,
          );
        }
      }
      next = studyStatus(view);
    } else {
      next = finetuneStatus(await this.deps.backend.job(project, id));
    }
    const created = cr.status?.specHash;
    if (created && created !== specHash(kind, cr.spec))
      conditions = setCondition(
        conditions,
        {
          type: 'SpecChangeIgnored',
          status: 'True',
          reason: 'Immutable',
          message:
            kind === 'Study'
              ? 'only maxTrials and parallelism of a created Study can change; create a new Study for other changes'
              : 'a created FineTune cannot change; create a new one',
          observedGeneration: generation,
        },
        now,
      );
    else conditions = removeCondition(conditions, 'SpecChangeIgnored');
    const final = ['Succeeded', 'Failed', 'Cancelled'].includes(next.phase ?? '');
    conditions = setCondition(
      conditions,
      {
        type: 'Complete',
        status: final ? 'True' : 'False',
        reason: next.phase ?? 'Pending',
        message: next.message ?? '',
        observedGeneration: generation,
      },
      now,
    );
    const status = {
      ...next,
      observedGeneration: generation,
      ...(created ? { specHash: created } : {}),
      conditions,
    };
    if (!statusDiffers(withoutTimes(cr.status), withoutTimes(status))) return;
    await this.writeStatus(kind, cr, status);
    if (final && cr.status?.phase !== next.phase)
      await this.event(
        kind,
        cr,
        next.phase === 'Succeeded' ? 'Normal' : 'Warning',
        next.phase ?? '',
        next.message ?? '',
      );
  }

  private async finalize(kind: Kind, cr: Resource): Promise<void> {
    const id = workId(kind, cr.status);
    const project = projectOf(cr.metadata.namespace);
    if (id) {
      const ended =
        kind === 'Study'
          ? await this.deps.backend.cancelStudy(project, id)
          : await this.deps.backend.cancelJob(project, id);
      // Released only once the work has stopped; the resync comes back until then.
      if (!ended) return;
    }
    const rest = (cr.metadata.finalizers ?? []).filter((f) => f !== FINALIZER);
    await this.setFinalizers(kind, cr, rest);
  }

  /** A merge patch of the finalizer list, conditional on the version read (409 otherwise). */
  private async setFinalizers(
    kind: Kind,
    cr: Resource,
    finalizers: string[],
  ): Promise<Resource | null> {
    try {
      return (await this.custom.patchNamespacedCustomObject(
        {
          group: GROUP,
          version: VERSION,
          namespace: cr.metadata.namespace,
          plural: PLURAL[kind],
          name: cr.metadata.name,
          body: { metadata: { finalizers, resourceVersion: cr.metadata.resourceVersion } },
        },
        setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
      )) as Resource;
    } catch (err) {
      // Changed since read, or gone: the watch delivers the newer version (or the deletion).
      if (apiStatus(err) === 409 || apiStatus(err) === 404) return null;
      throw err;
    }
  }

  /**
   * Writes `status` through the status subresource (a merge patch: keys that `status` drops are
   * sent as null so that they go).
   */
  private async writeStatus(
    kind: Kind,
    cr: Resource,
    status: CommonStatus,
  ): Promise<Resource | null> {
    const patch: Record<string, unknown> = { ...status };
    for (const k of Object.keys(cr.status ?? {})) if (!(k in status)) patch[k] = null;
    try {
      return (await this.custom.patchNamespacedCustomObjectStatus(
        {
          group: GROUP,
          version: VERSION,
          namespace: cr.metadata.namespace,
          plural: PLURAL[kind],
          name: cr.metadata.name,
          body: { status: patch },
        },
        setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
      )) as Resource;
    } catch (err) {
      if (apiStatus(err) === 404) return null;
      throw err;
    }
  }

  /** A core/v1 Event on the resource (what `kubectl describe` lists); best effort. */
  private async event(
    kind: Kind,
    cr: Resource,
    type: 'Normal' | 'Warning',
    reason: string,
    message: string,
  ): Promise<void> {
    const now = this.now().toISOString();
    try {
      await this.core.createNamespacedEvent({
        namespace: cr.metadata.namespace,
        body: {
          metadata: { generateName: `${cr.metadata.name}.`, namespace: cr.metadata.namespace },
          involvedObject: {
            apiVersion: `${GROUP}/${VERSION}`,
            kind,
            name: cr.metadata.name,
            namespace: cr.metadata.namespace,
            uid: cr.metadata.uid,
            resourceVersion: cr.metadata.resourceVersion,
          },
          type,
          reason,
          message: message.slice(0, 1024),
          source: { component: 'autodl-operator' },
          firstTimestamp: new Date(now),
          lastTimestamp: new Date(now),
          count: 1,
        },
      });
    } catch (err) {
      this.deps.logger.warn(
        `event on ${kind} ${cr.metadata.name} not recorded: ${describeError(err)}`,
      );
    }
  }
}

function describeChange(change: { nTrials?: number; parallelism?: number }): string {
  const parts: string[] = [];
  if (change.nTrials !== undefined) parts.push(`maxTrials ${change.nTrials}`);
  if (change.parallelism !== undefined) parts.push(`parallelism ${change.parallelism}`);
  return `study budget changed: ${parts.join(', ')}`;
}

/** A status without the conditions' transition times (they never make a write necessary). */
function withoutTimes(status: CommonStatus | undefined): CommonStatus {
  return {
    ...(status ?? {}),
    conditions: (status?.conditions ?? []).map((c) => ({ ...c, lastTransitionTime: '' })),
  };
}

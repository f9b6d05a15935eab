import { Injectable } from '@nestjs/common';
import { ValidationError } from '../errors/domain-error';
import { JobHandler, JobLane, ReferenceKind } from './job-handler';

/** Resolves a model or data set reference (id or name) of a project to its id, or throws 404/409. */
export type ReferenceResolver = (projectId: string, ref: string) => Promise<string>;

/** Maps a job kind (as used in the API) to its handler. Capability modules register theirs. */
@Injectable()
export class JobHandlerRegistry {
  private readonly handlers = new Map<string, JobHandler>();
  private readonly resolvers = new Map<ReferenceKind, ReferenceResolver>();

  register(handler: JobHandler): void {
    if (this.handlers.has(handler.kind))
      throw new Error(`job kind "${handler.kind}" registered twice`);
    this.handlers.set(handler.kind, handler);
  }

  /** The registry module (src/registry/registry.module.ts) registers how model and data set references resolve. */
  registerReferenceResolver(kind: ReferenceKind, resolve: ReferenceResolver): void {
    this.resolvers.set(kind, resolve);
  }

  /**
   * A validated spec with its reference fields (JobHandler.references) replaced by ids: every
   * route and job kind taking a model or data set accepts the same references, resolved here.
   */
  async resolveReferences(projectId: string, kind: string, spec: unknown): Promise<unknown> {
    const refs = this.get(kind).references ?? [];
    if (refs.length === 0 || typeof spec !== 'object' || spec === null) return spec;
    const out = { ...(spec as Record<string, unknown>) };
    for (const { field, kind: refKind } of refs) {
      const resolve = this.resolvers.get(refKind);
      if (!resolve) continue;
      // `list[].field`: the field of every element of a top-level array (a federation's sites).
      const [list, inner] = field.split('[].');
      if (inner !== undefined) {
        const items = out[list];
        if (!Array.isArray(items)) continue;
        out[list] = await Promise.all(
          items.map(async (item: unknown) => {
            if (typeof item !== 'object' || item === null) return item;
            const value = (item as Record<string, unknown>)[inner];
            return typeof value === 'string'
              ? { ...item, [inner]: await resolve(projectId, value) }
              : item;
          }),
        );
        continue;
      }
      const value = out[field];
      if (typeof value !== 'string') continue;
      out[field] = await resolve(projectId, value);
    }
    return out;
  }

  /** Registered kinds, all or those of one lane. */
  kinds(lane?: JobLane): string[] {
    return [...this.handlers.values()]
      .filter((h) => lane === undefined || (h.lane ?? 'compute') === lane)
      .map((h) => h.kind)
      .sort();
  }

  get(kind: string): JobHandler {
    const handler = this.handlers.get(kind);
    if (!handler) {
      throw ValidationError.field(
        'kind',
        `unknown job kind "${kind}"; known kinds: ${this.kinds().join(', ')}`,
      );
    }
    return handler;
  }

  /** Validates a spec for its kind; field paths are reported under `spec.`. */
  validate(kind: string, spec: unknown): unknown {
    const handler = this.get(kind);
    try {
      return handler.validate(spec);
    } catch (e) {
      if (e instanceof ValidationError) {
        throw new ValidationError(
          e.message,
          e.problems.map((p) => ({
            ...p,
            field: p.field.startsWith('spec') ? p.field : `spec.${p.field}`,
          })),
        );
      }
      throw e;
    }
  }
}

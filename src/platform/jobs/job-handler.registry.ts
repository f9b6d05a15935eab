import { Injectable } from '@nestjs/common';
import { ValidationError } from '../errors/domain-error';
import { JobHandler, JobLane } from './job-handler';

/** Maps a job kind (as used in the API) to its handler. Capability modules register theirs. */
@Injectable()
export class JobHandlerRegistry {
  private readonly handlers = new Map<string, JobHandler>();

  register(handler: JobHandler): void {
    if (this.handlers.has(handler.kind))
      throw new Error(`job kind "${handler.kind}" registered twice`);
    this.handlers.set(handler.kind, handler);
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

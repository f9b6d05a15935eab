/**
 * What the console's live stream carries (GET /v1/events/stream), and the rules that turn a
 * NOTIFY payload of the `autodl_job_events` triggers (migrations 1764270000000 for jobs,
 * 1764313000000 for studies) into one. Pure.
 */
export const EVENTS_CHANNEL = 'autodl_job_events';

/** A job's status change or log line: a `job_events` row, resumable by its id (Last-Event-ID). */
export interface JobEventRow {
  id: string;
  jobId: string;
  projectId: string;
  kind: string;
  type: 'log' | 'status';
  level: string;
  message: string;
  attempt: number;
  time: Date;
  /** The job's status and progress when the row was read. */
  jobStatus: string;
  progress: number;
}

export type LiveEvent =
  | {
      type: 'status';
      id: string;
      jobId: string;
      kind: string;
      /** The status this event recorded (first word of its message). */
      status: string;
      /** The job's current status. */
      jobStatus: string;
      progress: number;
      level: string;
      message: string;
      attempt: number;
      time: string;
    }
  | {
      type: 'log';
      id: string;
      jobId: string;
      kind: string;
      level: string;
      message: string;
      attempt: number;
      time: string;
    }
  | {
      type: 'progress';
      jobId: string;
      kind: string;
      status: string;
      progress: number;
      message: string | null;
    }
  | { type: 'metric'; jobId: string; kind: string; name: string; step: number; value: number }
  | StudyEvent;

/**
 * A study's trials changed (one started or finished: `trials`) or its status did (`study`).
 * Only streams that ask for the study (`?study=`) get them.
 */
export type StudyEvent =
  { type: 'trials'; studyId: string } | { type: 'study'; studyId: string; status: string };

/** A notification as sent by the triggers: `event` names a row to read, the others are whole. */
export type Notice =
  | { t: 'event'; id: string; projectId: string; jobId: string; kind: string }
  | { t: 'ready'; projectId: string; event: LiveEvent };

export interface StreamFilter {
  projectId: string;
  jobId?: string;
  kind?: string;
  /** Set: this study's events only; unset: job events only. */
  studyId?: string;
}

const STATUS_WORD = /^(queued|running|succeeded|failed|cancelled)\b/;

export function statusOfMessage(message: string, fallback: string): string {
  return STATUS_WORD.exec(message)?.[1] ?? fallback;
}

export function fromRow(r: JobEventRow): LiveEvent {
  const common = {
    id: r.id,
    jobId: r.jobId,
    kind: r.kind,
    level: r.level,
    message: r.message,
    attempt: r.attempt,
    time: new Date(r.time).toISOString(),
  };
  if (r.type === 'log') return { type: 'log', ...common };
  return {
    type: 'status',
    ...common,
    status: statusOfMessage(r.message, r.jobStatus),
    jobStatus: r.jobStatus,
    progress: r.progress,
  };
}

function str(v: unknown): string | null {
  return typeof v === 'string' ? v : null;
}

/** Parses a trigger's payload; null for anything malformed (never thrown at the listener). */
export function parseNotice(payload: string | undefined): Notice | null {
  let o: Record<string, unknown>;
  try {
    o = JSON.parse(payload ?? '') as Record<string, unknown>;
  } catch {
    return null;
  }
  const projectId = str(o.p);
  if (!projectId) return null;
  const studyId = str(o.s);
  if (o.t === 'trials' && studyId)
    return { t: 'ready', projectId, event: { type: 'trials', studyId } };
  if (o.t === 'study' && studyId && str(o.st))
    return { t: 'ready', projectId, event: { type: 'study', studyId, status: String(o.st) } };
  const jobId = str(o.j);
  const kind = str(o.k) ?? '';
  if (!jobId) return null;
  if (o.t === 'event' && str(o.id)) return { t: 'event', id: String(o.id), projectId, jobId, kind };
  if (o.t === 'progress' && typeof o.v === 'number') {
    return {
      t: 'ready',
      projectId,
      event: {
        type: 'progress',
        jobId,
        kind,
        status: str(o.s) ?? '',
        progress: o.v,
        message: str(o.m),
      },
    };
  }
  if (o.t === 'metric' && typeof o.v === 'number' && typeof o.st === 'number' && str(o.n)) {
    return {
      t: 'ready',
      projectId,
      event: { type: 'metric', jobId, kind, name: String(o.n), step: o.st, value: o.v },
    };
  }
  return null;
}

export function matches(
  filter: StreamFilter,
  projectId: string,
  e: { jobId: string; kind: string } | StudyEvent,
): boolean {
  if (filter.projectId !== projectId) return false;
  if ('studyId' in e) return filter.studyId === e.studyId;
  return (
    filter.studyId === undefined &&
    (filter.jobId === undefined || filter.jobId === e.jobId) &&
    (filter.kind === undefined || filter.kind === e.kind)
  );
}

/** One event in the text/event-stream format (HTML standard, section 9.2). */
export function formatSse(e: LiveEvent): string {
  const id = e.type === 'status' || e.type === 'log' ? `id: ${e.id}\n` : '';
  return `${id}event: ${e.type}\ndata: ${JSON.stringify(e)}\n\n`;
}

import { ConflictError, NotFoundError, ValidationError } from '../../platform/errors/domain-error';

/** Any UUID spelling (the nil UUID included): such a reference may be an id. */
const UUID_SHAPED = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const MAX_REFERENCE_LENGTH = 200;

/** The queries the rule needs, each limited to one project (a repository implements them). */
export interface ReferenceLookup<T extends { id: string; name: string }> {
  /** `id` is lower-case and UUID-shaped. */
  findById(projectId: string, id: string): Promise<T | null>;
  findByName(projectId: string, name: string): Promise<T | null>;
  /** The rows whose name equals `name` ignoring case, ordered by name, at most `limit`. */
  findByNameIgnoringCase(projectId: string, name: string, limit: number): Promise<T[]>;
}

export type ReferenceKind = 'model' | 'dataset';

/**
 * The one rule for naming a model or data set, in a URL or in a job spec: its id, or its name
 * (unique in the project). An id is never ambiguous: a UUID-shaped reference is looked up as an
 * id first (then as a name). A name matches exactly, else case-insensitively when exactly one
 * row matches that way; several (`Iris` and `iris` for `IRIS`) are a 409 naming the candidate
 * ids. Unknown: a 404 naming the reference. Every route, job kind and the CLI go through here
 * (the data set and model services, over their repositories).
 */
export async function resolveReference<T extends { id: string; name: string }>(
  lookup: ReferenceLookup<T>,
  what: ReferenceKind,
  projectId: string,
  ref: string,
): Promise<T> {
  if (typeof ref !== 'string' || ref.length === 0 || ref.length > MAX_REFERENCE_LENGTH) {
    throw ValidationError.field(
      'id',
      `a ${what} is referenced by its id or its name (1-${MAX_REFERENCE_LENGTH} characters)`,
    );
  }
  if (UUID_SHAPED.test(ref)) {
    const byId = await lookup.findById(projectId, ref.toLowerCase());
    if (byId) return byId;
  }
  const exact = await lookup.findByName(projectId, ref);
  if (exact) return exact;
  const folded = await lookup.findByNameIgnoringCase(projectId, ref, 10);
  if (folded.length === 1) return folded[0];
  if (folded.length === 0) throw new NotFoundError(what, ref);
  throw new ConflictError(
    `${what} reference ${ref} is ambiguous: it matches ${folded.length} names differing only in case; ` +
      `candidates ${folded.map((r) => `${r.id} (${r.name})`).join(', ')}. Use the exact name or the id`,
  );
}

/**
 * By id only, for what a job spec holds once resolved: a worker never re-interprets an id as a
 * name (a model named like another one's id must not make a queued job ambiguous).
 */
export async function resolveId<T extends { id: string; name: string }>(
  lookup: ReferenceLookup<T>,
  what: ReferenceKind,
  projectId: string,
  id: string,
): Promise<T> {
  const row = UUID_SHAPED.test(id) ? await lookup.findById(projectId, id.toLowerCase()) : null;
  if (!row) throw new NotFoundError(what, id);
  return row;
}

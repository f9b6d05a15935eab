/**
 * In-memory fakes of the registry's ports for unit specs: the data set and model rows (what
 * DatasetsRepository and ModelsRepository do on PostgreSQL, checked by
 * test/medium/registry-repositories.test.ts), a job context writing its artifacts where the
 * platform would, and a scratch artifact store.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { DatasetEntity } from '../../src/datasets/dataset.entity';
import type { DatasetRows, NewDatasetRow } from '../../src/datasets/datasets.repository';
import { ArtifactStore } from '../../src/platform/artifacts/artifact-store';
import type { ArtifactRef, JobContext } from '../../src/platform/jobs/job-handler';
import type { ModelEntity } from '../../src/registry/model.entity';
import type { ModelRows, NewModelRow } from '../../src/registry/models.repository';

class InMemoryRows<T extends { id: string; projectId: string; name: string; createdAt: Date }> {
  readonly rows: T[] = [];
  private clock = 0;
  /** Set to make the next insert lose a race for its name (as the unique index would). */
  nameRace = false;

  async page(projectId: string, limit: number, offset: number) {
    const mine = this.rows
      .filter((r) => r.projectId === projectId)
      .sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime());
    return { items: mine.slice(offset, offset + limit), total: mine.length };
  }

  async findById(projectId: string, id: string): Promise<T | null> {
    return this.rows.find((r) => r.projectId === projectId && r.id === id) ?? null;
  }

  async findByName(projectId: string, name: string): Promise<T | null> {
    return this.rows.find((r) => r.projectId === projectId && r.name === name) ?? null;
  }

  async findByNameIgnoringCase(projectId: string, name: string, limit: number): Promise<T[]> {
    return this.rows
      .filter((r) => r.projectId === projectId && r.name.toLowerCase() === name.toLowerCase())
      .sort((a, b) => (a.name < b.name ? -1 : 1))
      .slice(0, limit);
  }

  async nameTaken(projectId: string, name: string): Promise<boolean> {
    return (await this.findByName(projectId, name)) !== null;
  }

  protected add(row: Omit<T, 'createdAt'>): T | null {
    if (
      this.nameRace ||
      this.rows.some((r) => r.projectId === row.projectId && r.name === row.name)
    ) {
      this.nameRace = false;
      return null;
    }
    const stored = { ...row, createdAt: new Date(Date.UTC(2025, 0, 1) + this.clock++) } as T;
    this.rows.push(stored);
    return stored;
  }
}

export class InMemoryDatasetRows extends InMemoryRows<DatasetEntity> implements DatasetRows {
  async insert(row: NewDatasetRow): Promise<DatasetEntity | null> {
    return this.add(row);
  }

  async insertAll(rows: readonly NewDatasetRow[]): Promise<DatasetEntity[] | null> {
    const before = this.rows.length;
    const out: DatasetEntity[] = [];
    for (const row of rows) {
      const stored = await this.add(row);
      if (stored === null) {
        this.rows.length = before; // all or none, as the transaction
        return null;
      }
      out.push(stored);
    }
    return out;
  }
}

export class InMemoryModelRows extends InMemoryRows<ModelEntity> implements ModelRows {
  async findByJob(projectId: string, jobId: string, name?: string): Promise<ModelEntity | null> {
    return (
      this.rows.find(
        (r) =>
          r.projectId === projectId && r.jobId === jobId && (name === undefined || r.name === name),
      ) ?? null
    );
  }

  async derived(projectId: string, baseModelId: string, method: string): Promise<ModelEntity[]> {
    return this.rows.filter(
      (r) => r.projectId === projectId && r.baseModelId === baseModelId && r.method === method,
    );
  }

  async insert(row: NewModelRow): Promise<ModelEntity | null> {
    return this.add(row);
  }
}

/** An ArtifactStore on a fresh temporary folder; `remove()` deletes it. */
export function scratchStore(): { store: ArtifactStore; root: string; remove(): void } {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'autodl-store-'));
  return {
    store: new ArtifactStore(root),
    root,
    remove: () => fs.rmSync(root, { recursive: true, force: true }),
  };
}

/**
 * A job context whose artifacts land in `store` under `<project>/<job>/` as the platform's do;
 * progress, logs, metrics and checkpoints are recorded for assertions.
 */
export class FakeJobContext implements JobContext {
  readonly attempt = 1;
  readonly progressed: [number, string | undefined][] = [];
  readonly logs: string[] = [];
  readonly metrics: [string, number, number][] = [];
  readonly checkpoints: unknown[] = [];
  cancelled = false;
  readonly signal = new AbortController().signal;

  constructor(
    private readonly store: ArtifactStore,
    readonly projectId = 'project-1',
    readonly jobId = 'job-1',
    readonly resumeFrom: unknown = undefined,
  ) {}

  async progress(fraction: number, message?: string): Promise<void> {
    this.progressed.push([fraction, message]);
  }
  async log(message: string): Promise<void> {
    this.logs.push(message);
  }
  async metric(name: string, step: number, value: number): Promise<void> {
    this.metrics.push([name, step, value]);
  }
  async checkpoint(state: unknown): Promise<void> {
    this.checkpoints.push(state);
  }
  async artifact(
    name: string,
    data: Buffer | string,
    contentType = 'application/octet-stream',
  ): Promise<ArtifactRef> {
    const stored = await this.store.write(this.projectId, this.jobId, name, data);
    return { jobId: this.jobId, name, size: stored.size, sha256: stored.sha256, contentType };
  }
  async readArtifact(jobId: string, name: string): Promise<Buffer> {
    return this.store.read(this.store.locate(this.projectId, jobId, name));
  }
}

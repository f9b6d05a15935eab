/**
 * The console's view of a study: its summary, the optimisation history (bucketed so it stays
 * bounded at 100k trials, cached per study and trial counts), SQL-paginated trials and their CSV,
 * and notes. The plots are StudyPlotsService's. Every call first checks the study belongs to the
 * caller's project (StudyConsoleAccess answers 404 otherwise).
 */
import { Injectable } from '@nestjs/common';
import type { Principal } from '../platform/auth/projects.service';
import { NotFoundError } from '../platform/errors/domain-error';
import { parseTrialFilter } from './core/trial-filter';
import { TrialPageQueryDto } from './dto/study-console.dto';
import { HistoryBucket, StudyAnalyticsRepository } from './storage/study-analytics.repository';
import { StudyNotesRepository } from './storage/study-notes.repository';
import { ConsoleCache, StudyConsoleAccess } from './study-console-access';
import { trialRowDto } from './study-dto-mappers';

@Injectable()
export class StudyConsoleService {
  private readonly historyCache = new ConsoleCache<HistoryBucket[]>();

  constructor(
    private readonly access: StudyConsoleAccess,
    private readonly repo: StudyAnalyticsRepository,
    private readonly notesRepo: StudyNotesRepository,
  ) {}

  async summary(principal: Principal, id: string) {
    const row = await this.access.row(principal, id);
    const repo = this.repo;
    const directions = row.config.directions;
    // Independent reads, concurrently (the page waits for this answer before it shows anything).
    const [counts, best, params] = await Promise.all([
      repo.counts(id),
      Promise.all(directions.map(async (d, k) => (await repo.best(id, k, d, 1))[0] ?? null)),
      repo.paramDistributions(id),
    ]);
    return {
      id: row.id,
      name: row.name,
      status: row.status,
      directions,
      metrics: row.config.metrics,
      runner: row.config.runner.type,
      counts,
      best,
      params,
      createdAt: row.created_at,
    };
  }
  async history(principal: Principal, id: string, objective: number, points: number) {
    const row = await this.access.row(principal, id, objective);
    const direction = row.config.directions[objective];
    // Trials only change by finishing (state leaves 'running'), so the counts by state plus the
    // next number identify the data the history was computed from.
    const c = await this.repo.counts(id);
    const key = `${id}:${objective}:${points}:${c.running}:${c.complete}:${c.pruned}:${c.failed}`;
    let buckets = this.historyCache.get(key);
    if (!buckets) {
      buckets = await this.repo.history(id, objective, direction, points);
      this.historyCache.set(key, buckets);
    }
    const scatter: { number: number; value: number }[] = [];
    for (const b of buckets) {
      scatter.push({ number: b.lo_n, value: b.lo });
      if (b.hi_n !== b.lo_n) scatter.push({ number: b.hi_n, value: b.hi });
    }
    return {
      objective,
      direction,
      complete: buckets.reduce((s, b) => s + b.n, 0),
      bucketSize: buckets.length ? Math.max(...buckets.map((b) => b.n)) : 0,
      points: scatter.sort((a, b) => a.number - b.number),
      best: buckets.map((b) => ({ number: b.last_n, value: b.best })),
    };
  }
  async trials(principal: Principal, id: string, q: TrialPageQueryDto) {
    const objective = q.objective ?? 0;
    await this.access.row(principal, id, objective);
    const limit = q.limit ?? 50;
    const offset = q.offset ?? 0;
    const { rows, total } = await this.repo.trialsPage(id, {
      sort: q.sort ?? 'number',
      order: q.order ?? 'asc',
      objective,
      filter: parseTrialFilter(q.filter),
      limit,
      offset,
    });
    return { items: rows.map(trialRowDto), total, limit, offset };
  }
  /** CSV of every filtered trial, in pages of 5000 so memory stays bounded at any size. */
  async *csv(principal: Principal, id: string, q: TrialPageQueryDto): AsyncGenerator<string> {
    const objective = q.objective ?? 0;
    const row = await this.access.row(principal, id, objective);
    const repo = this.repo;
    const params = Object.keys(await repo.paramDistributions(id));
    const filter = parseTrialFilter(q.filter);
    const objectives = row.config.metrics.length
      ? row.config.metrics
      : row.config.directions.map((_, k) => `value${k}`);
    yield csvLine([
      'number',
      'state',
      ...objectives,
      ...params.map((p) => `params_${p}`),
      'started_at',
      'finished_at',
    ]);
    for (let offset = 0; ; offset += 5000) {
      const page = await repo.trialsPage(id, {
        sort: q.sort ?? 'number',
        order: q.order ?? 'asc',
        objective,
        filter,
        limit: 5000,
        offset,
      });
      let chunk = '';
      for (const r of page.rows.map(trialRowDto))
        chunk += csvLine([
          r.number,
          r.state,
          ...objectives.map((_, k) => r.values?.[k] ?? ''),
          ...params.map((p) => (r.params[p] === undefined ? '' : r.params[p])),
          r.startedAt,
          r.finishedAt ?? '',
        ]);
      if (chunk) yield chunk;
      if (page.rows.length < 5000) return;
    }
  }
  async notes(principal: Principal, id: string) {
    await this.access.row(principal, id);
    return { items: (await this.notesRepo.notes(id)).map(noteDto) };
  }
  async addNote(principal: Principal, id: string, body: string, trial: number | undefined) {
    await this.access.row(principal, id);
    const repo = this.notesRepo;
    if (trial !== undefined && !(await repo.trialExists(id, trial)))
      throw new NotFoundError('trial', String(trial));
    return noteDto(await repo.addNote(id, trial ?? null, body, principal.projectName));
  }
}

function noteDto(n: {
  id: string;
  trial_number: number | null;
  body: string;
  author: string;
  created_at: Date;
}) {
  return {
    id: n.id,
    trial: n.trial_number,
    body: n.body,
    author: n.author,
    createdAt: new Date(n.created_at).toISOString(),
  };
}

function csvLine(cells: unknown[]): string {
  return (
    cells
      .map((c) => {
        const s = typeof c === 'string' ? c : JSON.stringify(c);
        return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
      })
      .join(',') + '\n'
  );
}

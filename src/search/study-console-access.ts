/**
 * The console routes' first step: the study must be a hyper-parameter study of the caller's
 * project (404 otherwise) and `objective` one of its objectives. Results of aggregations are
 * cached in bounded maps keyed by what identifies their data (ConsoleCache).
 */
import { Injectable } from '@nestjs/common';
import type { Principal } from '../platform/auth/projects.service';
import { ValidationError } from '../platform/errors/domain-error';
import { StudyLoader, StudyRow } from './study-loader';

/** Entries kept per cache: the oldest goes when full. */
const CACHE_SIZE = 200;

@Injectable()
export class StudyConsoleAccess {
  constructor(private readonly loader: StudyLoader) {}

  async row(principal: Principal, id: string, objective = 0): Promise<StudyRow> {
    const row = await this.loader.row(principal.projectId, id);
    if (objective >= row.config.directions.length)
      throw ValidationError.field(
        'objective',
        `must be < the number of objectives (${row.config.directions.length}), got ${objective}`,
      );
    return row;
  }
}

/** A bounded cache: the oldest entry goes when full. */
export class ConsoleCache<T> {
  private readonly map = new Map<string, T>();

  get(key: string): T | undefined {
    return this.map.get(key);
  }

  set(key: string, value: T): void {
    if (this.map.size >= CACHE_SIZE) this.map.delete(this.map.keys().next().value as string);
    this.map.set(key, value);
  }
}

import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { DEFAULT_PROJECT } from './projects.service';

/** What the console needs to know about the key of a request. */
@Injectable()
export class IdentityRepository {
  constructor(private readonly db: DataSource) {}

  /**
   * The key's name, and whether it is the bootstrap key: the first key of the `default` project
   * (ProjectsService.bootstrapAdminKey makes it when the database has no key at all).
   */
  async key(keyId: string): Promise<{ name: string; bootstrap: boolean } | null> {
    const rows: { name: string; bootstrap: boolean }[] = await this.db.query(
      `SELECT k.name, k.id = (
                SELECT f.id FROM api_keys f JOIN projects fp ON fp.id = f.project_id
                 WHERE fp.name = $2 ORDER BY f.created_at, f.id LIMIT 1) AS bootstrap
         FROM api_keys k WHERE k.id = $1`,
      [keyId, DEFAULT_PROJECT],
    );
    return rows[0] ?? null;
  }
}

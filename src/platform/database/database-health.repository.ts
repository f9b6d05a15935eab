import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';

/** What /readyz asks of the database. */
@Injectable()
export class DatabaseHealthRepository {
  constructor(private readonly db: DataSource) {}

  /** Resolves once the database answered a query; rejects when it cannot be reached. */
  async ping(): Promise<void> {
    await this.db.query('SELECT 1');
  }

  /** Whether some migration of migrations/ is not applied yet. */
  migrationsPending(): Promise<boolean> {
    return this.db.showMigrations();
  }
}

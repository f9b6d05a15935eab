import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';

/** What the console needs to know about the key of a request beyond its principal. */
@Injectable()
export class IdentityRepository {
  constructor(private readonly db: DataSource) {}

  async keyName(keyId: string): Promise<string | null> {
    const rows: { name: string }[] = await this.db.query(
      `SELECT name FROM api_keys WHERE id = $1`,
      [keyId],
    );
    return rows[0]?.name ?? null;
  }
}

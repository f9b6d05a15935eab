import { Injectable } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';

export interface ProjectRow {
  id: string;
  name: string;
  allowCommands: boolean;
  createdAt: Date;
}

type Queryable = DataSource | EntityManager;

const COLUMNS = `id, name, allow_commands AS "allowCommands", created_at AS "createdAt"`;

/** The SQL of the `projects` table. */
@Injectable()
export class ProjectsRepository {
  constructor(private readonly db: DataSource) {}

  /** Creates the project when it does not exist (new projects do not allow commands). */
  async ensure(name: string, tx: Queryable = this.db): Promise<ProjectRow> {
    await tx.query(`INSERT INTO projects (name) VALUES ($1) ON CONFLICT (name) DO NOTHING`, [name]);
    const rows: ProjectRow[] = await tx.query(`SELECT ${COLUMNS} FROM projects WHERE name = $1`, [
      name,
    ]);
    return rows[0];
  }

  async findByName(name: string): Promise<ProjectRow | null> {
    const rows: ProjectRow[] = await this.db.query(
      `SELECT ${COLUMNS} FROM projects WHERE name = $1`,
      [name],
    );
    return rows[0] ?? null;
  }

  async findById(id: string): Promise<ProjectRow | null> {
    const rows: ProjectRow[] = await this.db.query(
      `SELECT ${COLUMNS} FROM projects WHERE id = $1`,
      [id],
    );
    return rows[0] ?? null;
  }

  async allowsCommands(projectId: string): Promise<boolean> {
    return (await this.findById(projectId))?.allowCommands ?? false;
  }

  async setAllowCommands(
    name: string,
    allow: boolean,
    tx: Queryable = this.db,
  ): Promise<ProjectRow | null> {
    const rows: ProjectRow[] = await tx.query(
      `WITH updated AS (UPDATE projects SET allow_commands = $2 WHERE name = $1 RETURNING *)
       SELECT ${COLUMNS} FROM updated`,
      [name, allow],
    );
    return rows[0] ?? null;
  }
}

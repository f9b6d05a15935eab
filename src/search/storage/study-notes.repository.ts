/** Notes on a study (trial null) or on one of its trials: the console's notes, and their SQL. */
import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';

export interface NoteRow {
  id: string;
  trial_number: number | null;
  body: string;
  author: string;
  created_at: Date;
}

@Injectable()
export class StudyNotesRepository {
  constructor(private readonly db: DataSource) {}

  async notes(studyId: string): Promise<NoteRow[]> {
    return this.db.query(
      `SELECT id, trial_number, body, author, created_at FROM study_notes
        WHERE study_id = $1 ORDER BY created_at, id`,
      [studyId],
    );
  }

  async addNote(
    studyId: string,
    trialNumber: number | null,
    body: string,
    author: string,
  ): Promise<NoteRow> {
    const rows: NoteRow[] = await this.db.query(
      `INSERT INTO study_notes (study_id, trial_number, body, author) VALUES ($1, $2, $3, $4)
       RETURNING id, trial_number, body, author, created_at`,
      [studyId, trialNumber, body, author],
    );
    return rows[0];
  }

  async trialExists(studyId: string, n: number): Promise<boolean> {
    const rows: unknown[] = await this.db.query(
      `SELECT 1 FROM trials WHERE study_id = $1 AND number = $2`,
      [studyId, n],
    );
    return rows.length > 0;
  }
}

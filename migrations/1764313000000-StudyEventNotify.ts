import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Live studies in the console (issue 13): trials started (INSERT) or finished (state changed)
 * and a study's status changes are announced on `autodl_job_events`, like the job triggers of
 * 1764270000000, so ask/tell, job-run and NAS studies are covered whichever process writes. The
 * insert trigger runs once per statement (a bulk insert of 100k trials sends one notice per
 * study); a notice only names the study, so PostgreSQL folds repeats within a transaction.
 */
export class StudyEventNotify1764313000000 implements MigrationInterface {
  name = 'StudyEventNotify1764313000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    for (const sql of [
      `CREATE FUNCTION autodl_notify_trials_inserted() RETURNS trigger LANGUAGE plpgsql AS $$
       BEGIN
         PERFORM pg_notify('autodl_job_events', json_build_object(
           't', 'trials', 's', s.id, 'p', s.project_id)::text)
            FROM studies s WHERE s.id IN (SELECT DISTINCT study_id FROM inserted);
         RETURN NULL;
       END $$`,
      `CREATE TRIGGER trials_inserted_notify AFTER INSERT ON trials
       REFERENCING NEW TABLE AS inserted FOR EACH STATEMENT
       EXECUTE FUNCTION autodl_notify_trials_inserted()`,
      `CREATE FUNCTION autodl_notify_trial_state() RETURNS trigger LANGUAGE plpgsql AS $$
       BEGIN
         PERFORM pg_notify('autodl_job_events', json_build_object(
           't', 'trials', 's', s.id, 'p', s.project_id)::text)
            FROM studies s WHERE s.id = NEW.study_id;
         RETURN NULL;
       END $$`,
      `CREATE TRIGGER trials_state_notify AFTER UPDATE OF state ON trials
       FOR EACH ROW WHEN (OLD.state IS DISTINCT FROM NEW.state)
       EXECUTE FUNCTION autodl_notify_trial_state()`,
      `CREATE FUNCTION autodl_notify_study_status() RETURNS trigger LANGUAGE plpgsql AS $$
       BEGIN
         PERFORM pg_notify('autodl_job_events', json_build_object(
           't', 'study', 's', NEW.id, 'p', NEW.project_id, 'st', NEW.status)::text);
         RETURN NULL;
       END $$`,
      `CREATE TRIGGER studies_status_notify AFTER UPDATE OF status ON studies
       FOR EACH ROW WHEN (OLD.status IS DISTINCT FROM NEW.status)
       EXECUTE FUNCTION autodl_notify_study_status()`,
    ]) {
      await queryRunner.query(sql);
    }
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    for (const sql of [
      `DROP TRIGGER studies_status_notify ON studies`,
      `DROP FUNCTION autodl_notify_study_status()`,
      `DROP TRIGGER trials_state_notify ON trials`,
      `DROP FUNCTION autodl_notify_trial_state()`,
      `DROP TRIGGER trials_inserted_notify ON trials`,
      `DROP FUNCTION autodl_notify_trials_inserted()`,
    ]) {
      await queryRunner.query(sql);
    }
  }
}

import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Live updates for the console (issue 13): every job event row, progress change and metric point
 * is announced with pg_notify on `autodl_job_events` by triggers, so every writer (local workers,
 * Kubernetes pods, the API's cancel/retry) is covered without each remembering to notify. The
 * payload is small JSON naming the project and job (8000-byte NOTIFY limit: long texts are not
 * sent, the listener reads the row). A channel apart from `autodl_jobs`: idle workers LISTEN there
 * and would each run a claim query per log line.
 */
export class JobEventNotify1764270000000 implements MigrationInterface {
  name = 'JobEventNotify1764270000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    for (const sql of [
      `CREATE FUNCTION autodl_notify_job_event() RETURNS trigger LANGUAGE plpgsql AS $$
       BEGIN
         PERFORM pg_notify('autodl_job_events', json_build_object(
           't', 'event', 'id', NEW.id::text, 'j', NEW.job_id, 'p', j.project_id, 'k', j.kind)::text)
            FROM jobs j WHERE j.id = NEW.job_id;
         RETURN NULL;
       END $$`,
      `CREATE TRIGGER job_events_notify AFTER INSERT ON job_events
       FOR EACH ROW EXECUTE FUNCTION autodl_notify_job_event()`,
      `CREATE FUNCTION autodl_notify_job_progress() RETURNS trigger LANGUAGE plpgsql AS $$
       BEGIN
         PERFORM pg_notify('autodl_job_events', json_build_object(
           't', 'progress', 'j', NEW.id, 'p', NEW.project_id, 'k', NEW.kind, 's', NEW.status,
           'v', NEW.progress, 'm', left(NEW.progress_message, 500))::text);
         RETURN NULL;
       END $$`,
      `CREATE TRIGGER jobs_progress_notify AFTER UPDATE OF progress, progress_message ON jobs
       FOR EACH ROW WHEN (OLD.progress IS DISTINCT FROM NEW.progress
                          OR OLD.progress_message IS DISTINCT FROM NEW.progress_message)
       EXECUTE FUNCTION autodl_notify_job_progress()`,
      `CREATE FUNCTION autodl_notify_metric() RETURNS trigger LANGUAGE plpgsql AS $$
       BEGIN
         PERFORM pg_notify('autodl_job_events', json_build_object(
           't', 'metric', 'j', NEW.job_id, 'p', j.project_id, 'k', j.kind,
           'n', left(NEW.name, 200), 'st', NEW.step, 'v', NEW.value)::text)
            FROM jobs j WHERE j.id = NEW.job_id;
         RETURN NULL;
       END $$`,
      `CREATE TRIGGER metrics_notify AFTER INSERT OR UPDATE ON metrics
       FOR EACH ROW EXECUTE FUNCTION autodl_notify_metric()`,
    ]) {
      await queryRunner.query(sql);
    }
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    for (const sql of [
      `DROP TRIGGER metrics_notify ON metrics`,
      `DROP FUNCTION autodl_notify_metric()`,
      `DROP TRIGGER jobs_progress_notify ON jobs`,
      `DROP FUNCTION autodl_notify_job_progress()`,
      `DROP TRIGGER job_events_notify ON job_events`,
      `DROP FUNCTION autodl_notify_job_event()`,
    ]) {
      await queryRunner.query(sql);
    }
  }
}

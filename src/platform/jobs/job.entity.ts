import {
  JoinColumn,
  ManyToOne,
  Column,
  CreateDateColumn,
  Entity,
  Index,
  PrimaryGeneratedColumn,
  UpdateDateColumn,
} from 'typeorm';
import { ProjectEntity } from '../auth/project.entity';

import type { JobStatus } from './job-status';

export { FINISHED_STATUSES, JOB_STATUSES, type JobStatus } from './job-status';

/**
 * A job row is also its queue entry: workers claim `queued` rows with
 * `FOR UPDATE SKIP LOCKED`, so enqueueing is the insert itself and cannot be half-done.
 */
@Entity('jobs')
@Index('IDX_jobs_claim', ['status', 'priority', 'createdAt'])
@Index('IDX_jobs_project_created', ['projectId', 'createdAt'])
@Index('IDX_jobs_idempotency', ['projectId', 'idempotencyKey'], {
  unique: true,
  where: 'idempotency_key IS NOT NULL',
})
// A run's child jobs (GET /v1/jobs?parent=, cancelling a NAS run's trials), and the list of
// what was submitted without them (?topLevel=true) when a study has 100k trials.
@Index('IDX_jobs_parent_created', ['parentId', 'createdAt'], { where: 'parent_id IS NOT NULL' })
@Index('IDX_jobs_project_top_created', ['projectId', 'createdAt'], {
  where: 'parent_id IS NULL',
})
export class JobEntity {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ name: 'project_id', type: 'uuid' })
  projectId!: string;

  @ManyToOne(() => ProjectEntity, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'project_id' })
  project?: ProjectEntity;

  @Column({ type: 'text' })
  kind!: string;

  @Column({ type: 'jsonb' })
  spec!: unknown;

  @Column({ type: 'text', default: 'queued' })
  status!: JobStatus;

  @Column({ type: 'int', default: 0 })
  priority!: number;

  @Column({ type: 'int', default: 0 })
  attempts!: number;

  @Column({ name: 'max_attempts', type: 'int', default: 3 })
  maxAttempts!: number;

  @Column({ type: 'double precision', default: 0 })
  progress!: number;

  @Column({ name: 'progress_message', type: 'text', nullable: true })
  progressMessage!: string | null;

  @Column({ type: 'text', nullable: true })
  error!: string | null;

  @Column({ type: 'jsonb', nullable: true })
  result!: unknown;

  @Column({ type: 'jsonb', nullable: true })
  checkpoint!: unknown;

  @Column({ name: 'cancel_requested_at', type: 'timestamptz', nullable: true })
  cancelRequestedAt!: Date | null;

  @Column({ type: 'text', nullable: true })
  executor!: string | null;

  @Column({ name: 'external_id', type: 'text', nullable: true })
  externalId!: string | null;

  @Column({ name: 'worker_id', type: 'text', nullable: true })
  workerId!: string | null;

  @Column({ name: 'heartbeat_at', type: 'timestamptz', nullable: true })
  heartbeatAt!: Date | null;

  @Column({ name: 'parent_id', type: 'uuid', nullable: true })
  parentId!: string | null;

  @Column({ name: 'idempotency_key', type: 'text', nullable: true })
  idempotencyKey!: string | null;

  @Column({ name: 'request_hash', type: 'text', nullable: true })
  requestHash!: string | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt!: Date;

  @Column({ name: 'started_at', type: 'timestamptz', nullable: true })
  startedAt!: Date | null;

  @Column({ name: 'finished_at', type: 'timestamptz', nullable: true })
  finishedAt!: Date | null;
}

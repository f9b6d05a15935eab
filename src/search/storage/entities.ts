/**
 * Tables of the search service: a study belongs to a project; its trials, their parameters and
 * intermediate values hang off it (Optuna's RDB storage layout, trimmed to what the port needs).
 * Objective values and constraints are `double precision[]` so that NaN and Infinity survive.
 */
import {
  Check,
  Column,
  CreateDateColumn,
  Entity,
  Index,
  JoinColumn,
  ManyToOne,
  PrimaryColumn,
  PrimaryGeneratedColumn,
} from 'typeorm';
import { ProjectEntity } from '../../platform/auth/project.entity';

export const STUDY_STATUSES = ['running', 'stopping', 'stopped', 'completed', 'failed'] as const;
export type StudyStatus = (typeof STUDY_STATUSES)[number];

/** A hyper-parameter study (/v1/studies) or the study of a `nas` job (/v1/nas). */
export const STUDY_KINDS = ['hyperparameter', 'nas'] as const;
export type StudyKind = (typeof STUDY_KINDS)[number];

@Entity('studies')
// Listing a project's studies of one kind, newest first.
@Index('IDX_studies_project_kind_created', ['projectId', 'kind', 'createdAt'])
@Check('CHK_studies_kind', `"kind" IN ('hyperparameter', 'nas')`)
@Index('IDX_studies_idempotency', ['projectId', 'idempotencyKey'], {
  unique: true,
  where: 'idempotency_key IS NOT NULL',
})
export class StudyEntity {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ name: 'project_id', type: 'uuid' })
  projectId!: string;

  @ManyToOne(() => ProjectEntity, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'project_id' })
  project?: ProjectEntity;

  @Column({ type: 'text' })
  name!: string;

  /** Which API serves the study; hyper-parameter studies are the default (library createStudy). */
  @Column({ type: 'text', default: 'hyperparameter' })
  kind!: StudyKind;

  @Column({ type: 'jsonb' })
  directions!: string[];

  @Column({ name: 'user_attrs', type: 'jsonb', default: () => "'{}'" })
  userAttrs!: Record<string, unknown>;

  /** The normalised study configuration (space, metrics, algorithms, budget, runner). */
  @Column({ type: 'jsonb', default: () => "'{}'" })
  config!: Record<string, unknown>;

  @Column({ type: 'text', default: 'running' })
  status!: StudyStatus;

  /** The next trial number; `UPDATE ... SET next_number = next_number + 1` hands them out. */
  @Column({ name: 'next_number', type: 'int', default: 0 })
  nextNumber!: number;

  /** Trials the budget allows (null: unbounded); asks beyond it are refused atomically. */
  @Column({ name: 'max_trials', type: 'int', nullable: true })
  maxTrials!: number | null;

  /** The driver job of a command-runner study. */
  @Column({ name: 'job_id', type: 'uuid', nullable: true })
  jobId!: string | null;

  @Column({ name: 'idempotency_key', type: 'text', nullable: true })
  idempotencyKey!: string | null;

  @Column({ name: 'request_hash', type: 'text', nullable: true })
  requestHash!: string | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;
}

@Entity('trials')
@Index('IDX_trials_study_state', ['studyId', 'state'])
// Expression index (first objective of complete trials) for best trial, sort by value, EDF:
// created by migrations/1764280000000-StudyConsole.ts, which TypeORM cannot express.
@Index('IDX_trials_study_value0', { synchronize: false })
export class TrialEntity {
  @PrimaryColumn({ name: 'study_id', type: 'uuid' })
  studyId!: string;

  @PrimaryColumn({ type: 'int' })
  number!: number;

  @ManyToOne(() => StudyEntity, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'study_id' })
  study?: StudyEntity;

  @Column({ type: 'text', default: 'running' })
  state!: string;

  @Column({ type: 'double precision', array: true, nullable: true })
  values!: number[] | null;

  @Column({ type: 'double precision', array: true, nullable: true })
  constraints!: number[] | null;

  @Column({ name: 'system_attrs', type: 'jsonb', default: () => "'{}'" })
  systemAttrs!: Record<string, unknown>;

  @Column({ name: 'user_attrs', type: 'jsonb', default: () => "'{}'" })
  userAttrs!: Record<string, unknown>;

  /** The trial-command job running this trial (command-runner studies). */
  @Column({ name: 'job_id', type: 'uuid', nullable: true })
  jobId!: string | null;

  @Column({ name: 'started_at', type: 'timestamptz', default: () => 'now()' })
  startedAt!: Date;

  @Column({ name: 'finished_at', type: 'timestamptz', nullable: true })
  finishedAt!: Date | null;
}

@Entity('trial_params')
// Slice/contour/filter by parameter name, and the loose index scan over names.
@Index('IDX_trial_params_study_name', ['studyId', 'name', 'number'])
export class TrialParamEntity {
  @PrimaryColumn({ name: 'study_id', type: 'uuid' })
  studyId!: string;

  @PrimaryColumn({ type: 'int' })
  number!: number;

  @PrimaryColumn({ type: 'text' })
  name!: string;

  @ManyToOne(() => TrialEntity, { onDelete: 'CASCADE' })
  @JoinColumn([
    { name: 'study_id', referencedColumnName: 'studyId' },
    { name: 'number', referencedColumnName: 'number' },
  ])
  trial?: TrialEntity;

  @Column({ type: 'jsonb' })
  value!: unknown;

  @Column({ type: 'jsonb' })
  distribution!: unknown;
}

@Entity('trial_intermediate_values')
export class TrialIntermediateEntity {
  @PrimaryColumn({ name: 'study_id', type: 'uuid' })
  studyId!: string;

  @PrimaryColumn({ type: 'int' })
  number!: number;

  @PrimaryColumn({ type: 'int' })
  step!: number;

  @ManyToOne(() => TrialEntity, { onDelete: 'CASCADE' })
  @JoinColumn([
    { name: 'study_id', referencedColumnName: 'studyId' },
    { name: 'number', referencedColumnName: 'number' },
  ])
  trial?: TrialEntity;

  @Column({ type: 'double precision', array: true })
  values!: number[];
}

/** Notes on a study (trialNumber null) or on one of its trials (the console's notes). */
@Entity('study_notes')
@Index('IDX_study_notes_study', ['studyId', 'createdAt'])
export class StudyNoteEntity {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ name: 'study_id', type: 'uuid' })
  studyId!: string;

  @ManyToOne(() => StudyEntity, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'study_id' })
  study?: StudyEntity;

  @Column({ name: 'trial_number', type: 'int', nullable: true })
  trialNumber!: number | null;

  @Column({ type: 'text' })
  body!: string;

  /** The project name of the key that wrote it. */
  @Column({ type: 'text' })
  author!: string;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;
}

export const SEARCH_ENTITIES = [
  StudyNoteEntity,
  StudyEntity,
  TrialEntity,
  TrialParamEntity,
  TrialIntermediateEntity,
];

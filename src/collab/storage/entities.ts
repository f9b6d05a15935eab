/**
 * Tables of collaborative learning: a federation (one per `federation` job, same id), its sites
 * (lineage: the data set of each, by id), its rounds and the per-site metrics of every round,
 * with the bytes each site sent and received.
 */
import {
  Column,
  CreateDateColumn,
  Entity,
  Index,
  JoinColumn,
  ManyToOne,
  PrimaryColumn,
  PrimaryGeneratedColumn,
  UpdateDateColumn,
} from 'typeorm';
import { ProjectEntity } from '../../platform/auth/project.entity';
import { JobEntity } from '../../platform/jobs/job.entity';

@Entity('collab_federations')
export class FederationEntity {
  /** The `federation` job's id. */
  @PrimaryColumn('uuid')
  id!: string;

  @ManyToOne(() => JobEntity, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'id' })
  job?: JobEntity;

  @Column({ name: 'project_id', type: 'uuid' })
  projectId!: string;

  @ManyToOne(() => ProjectEntity, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'project_id' })
  project?: ProjectEntity;

  @Column({ type: 'text' })
  algorithm!: string;

  @Column({ type: 'text' })
  placement!: string;

  /** The shared labelled set every site trains on (null: none); a plain id, as sites' data sets. */
  @Column({ name: 'shared_dataset_id', type: 'uuid', nullable: true })
  sharedDatasetId!: string | null;

  @Column({ name: 'rounds_planned', type: 'integer' })
  roundsPlanned!: number;

  @Column({ name: 'rounds_done', type: 'integer', default: 0 })
  roundsDone!: number;

  @Column({ name: 'bytes_total', type: 'bigint', default: 0 })
  bytesTotal!: string;

  /** The registered global model (codistill: null; its site models are listed in `summary`). */
  @Column({ name: 'model_id', type: 'uuid', nullable: true })
  modelId!: string | null;

  /** Final global metrics, privacy accounting, site models. */
  @Column({ type: 'jsonb', default: {} })
  summary!: Record<string, unknown>;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;
}

@Entity('collab_sites')
export class FederationSiteEntity {
  @PrimaryColumn({ name: 'federation_id', type: 'uuid' })
  federationId!: string;

  @ManyToOne(() => FederationEntity, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'federation_id' })
  federation?: FederationEntity;

  @PrimaryColumn({ type: 'text' })
  name!: string;

  /** Lineage: the site's data set (the row may go; the id stays in the record); null: remote. */
  @Column({ name: 'dataset_id', type: 'uuid', nullable: true })
  datasetId!: string | null;

  /** `local` (a data set of this service) or `remote` (a site agent pulls its work). */
  @Column({ type: 'text', default: 'local' })
  placement!: string;

  /** remote: the `site` key the agent authenticates with (POST .../sites/:name/key). */
  @Column({ name: 'key_id', type: 'uuid', nullable: true })
  keyId!: string | null;

  @Column({ type: 'text' })
  architecture!: string;

  /** Training examples of the site (null until the job has read the site's data). */
  @Column({ type: 'integer', nullable: true })
  samples!: number | null;
}

@Entity('collab_rounds')
export class FederationRoundEntity {
  @PrimaryColumn({ name: 'federation_id', type: 'uuid' })
  federationId!: string;

  @ManyToOne(() => FederationEntity, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'federation_id' })
  federation?: FederationEntity;

  @PrimaryColumn({ type: 'integer' })
  round!: number;

  /** Attempts this round took (retries when the quorum was missed). */
  @Column({ type: 'integer' })
  attempts!: number;

  @Column({ type: 'jsonb' })
  accepted!: string[];

  /** [{site, reason, norm?}] */
  @Column({ type: 'jsonb' })
  rejected!: Record<string, unknown>[];

  @Column({ name: 'bytes_up', type: 'bigint' })
  bytesUp!: string;

  @Column({ name: 'bytes_down', type: 'bigint' })
  bytesDown!: string;

  /** Sample-weighted mean over the sites' test splits of the round's global model. */
  @Column({ name: 'global_accuracy', type: 'double precision', nullable: true })
  globalAccuracy!: number | null;

  @Column({ name: 'global_loss', type: 'double precision', nullable: true })
  globalLoss!: number | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;
}

@Entity('collab_site_metrics')
export class SiteRoundMetricsEntity {
  @PrimaryColumn({ name: 'federation_id', type: 'uuid' })
  federationId!: string;

  @ManyToOne(() => FederationEntity, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'federation_id' })
  federation?: FederationEntity;

  @PrimaryColumn({ type: 'integer' })
  round!: number;

  @PrimaryColumn({ type: 'text' })
  site!: string;

  @Column({ name: 'train_loss', type: 'double precision', nullable: true })
  trainLoss!: number | null;

  @Column({ name: 'train_accuracy', type: 'double precision', nullable: true })
  trainAccuracy!: number | null;

  /** The site's own model on its test split after local training. */
  @Column({ name: 'local_accuracy', type: 'double precision', nullable: true })
  localAccuracy!: number | null;

  @Column({ name: 'update_norm', type: 'double precision', nullable: true })
  updateNorm!: number | null;

  @Column({ type: 'boolean' })
  accepted!: boolean;

  @Column({ name: 'bytes_sent', type: 'bigint' })
  bytesSent!: string;

  @Column({ name: 'bytes_received', type: 'bigint' })
  bytesReceived!: string;
}

/**
 * A remote site's work item: the coordinator writes the global state it starts from, the agent
 * takes it and posts only the algorithm's shared state back (weights of the declared shapes).
 */
@Entity('collab_site_work')
@Index('IDX_collab_site_work_site', ['federationId', 'site', 'status'])
export class SiteWorkEntity {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ name: 'federation_id', type: 'uuid' })
  federationId!: string;

  @ManyToOne(() => FederationEntity, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'federation_id' })
  federation?: FederationEntity;

  @Column({ type: 'text' })
  site!: string;

  @Column({ type: 'integer' })
  round!: number;

  @Column({ type: 'integer' })
  attempt!: number;

  /** `train` (a round's local training) or `evaluate` (the global weights on the site's test split). */
  @Column({ type: 'text' })
  kind!: string;

  /** pending -> taken -> done, or expired (the coordinator stopped waiting). */
  @Column({ type: 'text', default: 'pending' })
  status!: string;

  /** What the agent needs: architecture, input contract, local plan, weight sizes, seed. */
  @Column({ type: 'jsonb' })
  task!: Record<string, unknown>;

  /** The global weights (raw float32, little-endian). */
  @Column({ name: 'global_state', type: 'bytea' })
  globalState!: Buffer;

  /** The site's shared state (raw float32 of the declared sizes), once posted. */
  @Column({ name: 'shared_state', type: 'bytea', nullable: true })
  sharedState!: Buffer | null;

  /** Numbers only: samples, losses, accuracies, counts. */
  @Column({ type: 'jsonb', nullable: true })
  report!: Record<string, number | null> | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;
}

/**
 * SCAFFOLD: a local site's control variate c_i between rounds (core/scaffold.ts), for the site
 * job that trains it next; `previous` is c_i before the latest round (a retried round restarts
 * from it).
 */
@Entity('collab_site_controls')
export class SiteControlEntity {
  @PrimaryColumn({
    name: 'federation_id',
    type: 'uuid',
    primaryKeyConstraintName: 'PK_collab_site_controls',
  })
  federationId!: string;

  @PrimaryColumn({ type: 'text', primaryKeyConstraintName: 'PK_collab_site_controls' })
  site!: string;

  @ManyToOne(() => FederationEntity, { onDelete: 'CASCADE' })
  @JoinColumn({
    name: 'federation_id',
    foreignKeyConstraintName: 'FK_collab_site_controls_federation',
  })
  federation?: FederationEntity;

  /** The round whose training produced `current`. */
  @Column({ type: 'integer' })
  round!: number;

  /** Length of every tensor of c_i (model.getWeights() order). */
  @Column({ type: 'jsonb' })
  sizes!: number[];

  @Column({ type: 'bytea', nullable: true })
  previous!: Buffer | null;

  @Column({ type: 'bytea' })
  current!: Buffer;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt!: Date;
}

export const COLLAB_ENTITIES = [
  SiteWorkEntity,
  SiteControlEntity,
  FederationEntity,
  FederationSiteEntity,
  FederationRoundEntity,
  SiteRoundMetricsEntity,
] as const;

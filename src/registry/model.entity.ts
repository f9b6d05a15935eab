import {
  Column,
  CreateDateColumn,
  Entity,
  Index,
  JoinColumn,
  ManyToOne,
  PrimaryGeneratedColumn,
} from 'typeorm';
import { ProjectEntity } from '../platform/auth/project.entity';
import { JobEntity } from '../platform/jobs/job.entity';
import { DatasetEntity } from '../datasets/dataset.entity';
import type { LayerSummary, Preprocessing } from './core/model-meta';

/**
 * The model registry: architecture facts, input contract, lineage (base model, data set,
 * method, job) and where the weights are (model.json + weights.bin in the artifact store).
 */
@Entity('models')
@Index('IDX_models_project_name', ['projectId', 'name'], { unique: true })
@Index('IDX_models_job', ['jobId'])
export class ModelEntity {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ name: 'project_id', type: 'uuid' })
  projectId!: string;

  @ManyToOne(() => ProjectEntity, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'project_id' })
  project?: ProjectEntity;

  @Column({ type: 'text' })
  name!: string;

  /** Zoo name (`small-cnn`, ...) or `imported`. */
  @Column({ type: 'text' })
  architecture!: string;

  @Column({ type: 'jsonb' })
  summary!: LayerSummary[];

  @Column({ type: 'bigint' })
  params!: string;

  @Column({ type: 'double precision' })
  flops!: number;

  @Column({ name: 'input_kind', type: 'text' })
  inputKind!: 'image' | 'tabular' | 'text';

  @Column({ name: 'input_shape', type: 'jsonb' })
  inputShape!: number[];

  @Column({ name: 'class_names', type: 'jsonb' })
  classNames!: string[];

  @Column({ name: 'feature_names', type: 'jsonb', nullable: true })
  featureNames!: string[] | null;

  /** Input normalisation (tabular) and text encoding the model expects. */
  @Column({ type: 'jsonb', default: {} })
  preprocessing!: Preprocessing;

  /** Text models: the vocabulary file (JSON list of words) in the artifact store. */
  @Column({ name: 'vocabulary_path', type: 'text', nullable: true })
  vocabularyPath!: string | null;

  @Column({ name: 'base_model_id', type: 'uuid', nullable: true })
  baseModelId!: string | null;

  @ManyToOne(() => ModelEntity, { onDelete: 'SET NULL' })
  @JoinColumn({ name: 'base_model_id' })
  baseModel?: ModelEntity;

  @Column({ name: 'dataset_id', type: 'uuid', nullable: true })
  datasetId!: string | null;

  @ManyToOne(() => DatasetEntity, { onDelete: 'SET NULL' })
  @JoinColumn({ name: 'dataset_id' })
  dataset?: DatasetEntity;

  /** `pretrain`, a fine-tuning method (`delta`, `dtnh+l2sp`, ...), `import` or `init`. */
  @Column({ type: 'text' })
  method!: string;

  @Column({ name: 'job_id', type: 'uuid', nullable: true })
  jobId!: string | null;

  @ManyToOne(() => JobEntity, { onDelete: 'SET NULL' })
  @JoinColumn({ name: 'job_id' })
  job?: JobEntity;

  @Column({ name: 'model_json_path', type: 'text' })
  modelJsonPath!: string;

  @Column({ name: 'weights_path', type: 'text' })
  weightsPath!: string;

  /** Training history and final metrics. */
  @Column({ type: 'jsonb', default: {} })
  metrics!: Record<string, unknown>;

  /** Test-split evaluation (accuracy, per-class precision/recall, confusion matrix). */
  @Column({ type: 'jsonb', nullable: true })
  evaluation!: Record<string, unknown> | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;
}

export const MODELS_ENTITIES = [DatasetEntity, ModelEntity];

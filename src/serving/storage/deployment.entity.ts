import {
  Column,
  CreateDateColumn,
  Entity,
  Index,
  JoinColumn,
  ManyToOne,
  PrimaryGeneratedColumn,
  UpdateDateColumn,
} from 'typeorm';
import { ProjectEntity } from '../../platform/auth/project.entity';
import { ModelEntity } from '../../registry/model.entity';
import type { DeploymentConfig } from '../core/deployment-config';

/**
 * A deployment: a registered model served with a dynamic batcher. The row is the desired state;
 * every API process (local executor) or the cluster (kubernetes executor) converges on it, at
 * start and whenever `generation` moves.
 */
@Entity('deployments')
@Index('IDX_deployments_project_name', ['projectId', 'name'], { unique: true })
export class DeploymentEntity {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ name: 'project_id', type: 'uuid' })
  projectId!: string;

  @ManyToOne(() => ProjectEntity, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'project_id' })
  project?: ProjectEntity;

  @Column({ type: 'text' })
  name!: string;

  /** Deleting the model deletes its deployments (they could not load it again). */
  @Column({ name: 'model_id', type: 'uuid' })
  modelId!: string;

  @ManyToOne(() => ModelEntity, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'model_id' })
  model?: ModelEntity;

  /** instances, batch, queue, cutoff: the normalised request. */
  @Column({ type: 'jsonb' })
  config!: DeploymentConfig;

  /** Bumped by every change of `config`; hosts apply a generation once. */
  @Column({ type: 'integer', default: 1 })
  generation!: number;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt!: Date;
}

export const SERVING_ENTITIES = [DeploymentEntity];

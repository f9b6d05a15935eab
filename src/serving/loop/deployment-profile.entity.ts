import {
  Column,
  CreateDateColumn,
  Entity,
  Index,
  JoinColumn,
  ManyToOne,
  PrimaryColumn,
} from 'typeorm';
import { ProjectEntity } from '../../platform/auth/project.entity';
import { JobEntity } from '../../platform/jobs/job.entity';
import { DeploymentEntity } from '../storage/deployment.entity';
import type { ProfileRow } from '../core/service-profile';
import type { DeploymentConfig, ServingOverheads } from '../core/serving-pipeline';

/**
 * A deployment's measured service-time profile (one per `deployment-profile` job, same id): the
 * service times per batch size with the stopping rule that produced them, the overheads the
 * simulator's stage models, and the config the instances ran with while profiled. The newest of
 * a deployment is what its tunings use.
 */
@Entity('deployment_profiles')
@Index('IDX_deployment_profiles_deployment', ['deploymentId', 'createdAt'])
export class DeploymentProfileEntity {
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

  @Column({ name: 'deployment_id', type: 'uuid' })
  deploymentId!: string;

  @ManyToOne(() => DeploymentEntity, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'deployment_id' })
  deployment?: DeploymentEntity;

  @Column({ name: 'model_id', type: 'uuid' })
  modelId!: string;

  @Column({ type: 'jsonb' })
  rows!: ProfileRow[];

  @Column({ type: 'text' })
  rule!: string;

  @Column({ type: 'jsonb' })
  overheads!: ServingOverheads;

  @Column({ name: 'profiled_config', type: 'jsonb' })
  profiledConfig!: DeploymentConfig;

  @Column({ type: 'text' })
  backend!: string;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;
}

export const SERVING_LOOP_ENTITIES = [DeploymentProfileEntity];

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
import type { DatasetStats } from '../ml/data';

/**
 * A registered data set: its examples live in one file of the artifact store (`filePath`,
 * relative to the artifact root, written before the row); the row holds what listing and
 * training need without reading that file.
 */
@Entity('datasets')
@Index('IDX_datasets_project_name', ['projectId', 'name'], { unique: true })
export class DatasetEntity {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ name: 'project_id', type: 'uuid' })
  projectId!: string;

  @ManyToOne(() => ProjectEntity, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'project_id' })
  project?: ProjectEntity;

  @Column({ type: 'text' })
  name!: string;

  @Column({ type: 'text' })
  kind!: 'image' | 'tabular' | 'text';

  @Column({ type: 'text' })
  /** derived: made from registered data sets (a split into federation sites). */
  source!: 'upload' | 'packaged' | 'derived';

  /** How it was built: file name or packaged name, classes, remap, perClass, resize, split, seed. */
  @Column({ type: 'jsonb', default: {} })
  options!: Record<string, unknown>;

  @Column({ type: 'jsonb' })
  stats!: DatasetStats;

  @Column({ name: 'train_size', type: 'integer' })
  trainSize!: number;

  @Column({ name: 'validation_size', type: 'integer' })
  validationSize!: number;

  @Column({ name: 'test_size', type: 'integer' })
  testSize!: number;

  @Column({ name: 'file_path', type: 'text' })
  filePath!: string;

  @Column({ name: 'file_size', type: 'bigint' })
  fileSize!: string;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;
}

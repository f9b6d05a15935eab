import {
  JoinColumn,
  ManyToOne,
  Column,
  CreateDateColumn,
  Entity,
  Index,
  PrimaryGeneratedColumn,
} from 'typeorm';
import { JobEntity } from './job.entity';

/** Log lines and status changes of a job, in order. */
@Entity('job_events')
@Index('IDX_job_events_job', ['jobId', 'id'])
export class JobEventEntity {
  @PrimaryGeneratedColumn('increment', { type: 'bigint' })
  id!: string;

  @Column({ name: 'job_id', type: 'uuid' })
  jobId!: string;

  @ManyToOne(() => JobEntity, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'job_id' })
  job?: JobEntity;

  @Column({ type: 'text' })
  type!: 'log' | 'status';

  @Column({ type: 'text', default: 'info' })
  level!: 'info' | 'warn' | 'error';

  @Column({ type: 'text' })
  message!: string;

  @Column({ type: 'int', default: 1 })
  attempt!: number;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;
}

import { JoinColumn, ManyToOne, Column, Entity, PrimaryColumn } from 'typeorm';
import { JobEntity } from './job.entity';

/** One value per (job, name, step): a resumed job that reports a step again overwrites it. */
@Entity('metrics')
export class MetricEntity {
  @PrimaryColumn({ name: 'job_id', type: 'uuid' })
  jobId!: string;

  @ManyToOne(() => JobEntity, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'job_id' })
  job?: JobEntity;

  @PrimaryColumn({ type: 'text' })
  name!: string;

  @PrimaryColumn({ type: 'int' })
  step!: number;

  @Column({ type: 'double precision' })
  value!: number;

  @Column({ type: 'timestamptz', default: () => 'now()' })
  time!: Date;
}

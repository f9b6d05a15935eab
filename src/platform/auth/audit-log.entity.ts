import { Column, CreateDateColumn, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';

/**
 * Who did what: one row per mutating request of an authenticated key (any status, refusals
 * included). Written by the audit hook of the API key guard, read by admins (GET /v1/audit).
 */
@Entity('audit_log')
@Index('IDX_audit_log_project_time', ['projectId', 'createdAt'])
export class AuditLogEntity {
  @PrimaryGeneratedColumn('increment', { type: 'bigint' })
  id!: string;

  @Index('IDX_audit_log_time')
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  @Column({ name: 'key_id', type: 'uuid' })
  keyId!: string;

  @Column({ name: 'project_id', type: 'uuid' })
  projectId!: string;

  @Column({ type: 'text' })
  method!: string;

  /** The matched route pattern, e.g. `/v1/jobs/:id/cancel`. */
  @Column({ type: 'text' })
  route!: string;

  /** The id the request acted on (path parameter, or the id of what it created). */
  @Column({ name: 'target_id', type: 'text', nullable: true })
  targetId!: string | null;

  @Column({ type: 'int' })
  status!: number;
}

import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ValidationError } from '../errors/domain-error';

const ARTIFACT_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]*(\/[A-Za-z0-9][A-Za-z0-9._-]*)*$/;

export function assertArtifactName(name: string): void {
  if (name.length > 200 || !ARTIFACT_NAME.test(name) || name.split('/').some((p) => p === '..')) {
    throw ValidationError.field(
      'name',
      `artifact names are 1-200 characters of letters, digits, ".", "_", "-" and "/" separated parts; got "${name}"`,
    );
  }
}

export interface StoredFile {
  path: string;
  size: number;
  sha256: string;
}

/**
 * Filesystem port for artifacts: `<root>/<projectId>/<jobId>/<name>`. On Kubernetes the root is
 * a shared volume. Writes go to a temporary file first and are renamed into place, so a crash
 * never leaves a half-written artifact under its final name.
 */
export class ArtifactStore {
  constructor(private readonly root: string) {}

  pathOf(projectId: string, jobId: string, name: string): string {
    assertArtifactName(name);
    return path.join(this.root, projectId, jobId, name);
  }

  async write(
    projectId: string,
    jobId: string,
    name: string,
    data: Buffer | string,
  ): Promise<StoredFile> {
    const target = this.pathOf(projectId, jobId, name);
    await fs.promises.mkdir(path.dirname(target), { recursive: true });
    const buffer = typeof data === 'string' ? Buffer.from(data) : data;
    const tmp = `${target}.${process.pid}.${crypto.randomBytes(4).toString('hex')}.tmp`;
    await fs.promises.writeFile(tmp, buffer);
    await fs.promises.rename(tmp, target);
    return {
      path: path.relative(this.root, target),
      size: buffer.length,
      sha256: crypto.createHash('sha256').update(buffer).digest('hex'),
    };
  }

  async read(relativePath: string): Promise<Buffer> {
    return fs.promises.readFile(this.resolve(relativePath));
  }

  resolve(relativePath: string): string {
    const full = path.resolve(this.root, relativePath);
    if (!full.startsWith(path.resolve(this.root) + path.sep)) {
      throw ValidationError.field('path', 'artifact path escapes the artifact root');
    }
    return full;
  }
}

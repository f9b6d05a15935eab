import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { InsufficientStorageError, ValidationError } from '../errors/domain-error';

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

/** A file written to its temporary name, not yet in place. */
export interface StagedFile extends StoredFile {
  tmp: string;
  target: string;
}

/** A full disk becomes InsufficientStorageError; anything else is rethrown as it is. */
function storageError(error: unknown, name: string, bytes: number): unknown {
  if (!isNoSpaceError(error)) return error;
  return new InsufficientStorageError(
    `not enough disk space to store ${name} (${bytes} bytes); free space under AUTODL_HOME`,
  );
}

/** Artifacts are the projects' data: readable by the service's user only. */
export const ARTIFACT_FILE_MODE = 0o600;
export const ARTIFACT_DIR_MODE = 0o700;

/** Error codes of a full disk or an exhausted quota. */
const NO_SPACE = new Set(['ENOSPC', 'EDQUOT']);

export function isNoSpaceError(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && NO_SPACE.has(code);
}

/**
 * Filesystem port for artifacts: `<root>/<projectId>/<folder>/<name>`. On Kubernetes the root is
 * a shared volume. Writes go to a temporary file first and are renamed into place, so a crash
 * never leaves a half-written artifact under its final name; a failed write removes its
 * temporary file (a full disk must not stay full of them) and a full disk is an
 * InsufficientStorageError (507). Files are 0600 and folders 0700.
 */
export class ArtifactStore {
  constructor(private readonly root: string) {}

  pathOf(projectId: string, folder: string, name: string): string {
    assertArtifactName(name);
    return path.join(this.root, projectId, folder, name);
  }

  async write(
    projectId: string,
    folder: string,
    name: string,
    data: Buffer | string,
  ): Promise<StoredFile> {
    const staged = await this.stage(projectId, folder, name, data);
    await this.place(staged);
    return staged;
  }

  /**
   * First half of a write: the bytes in a temporary file beside the target. `place` renames it
   * into place, `discard` removes it; a caller can decide in between (a fenced job artifact).
   */
  async stage(
    projectId: string,
    folder: string,
    name: string,
    data: Buffer | string,
  ): Promise<StagedFile> {
    const target = this.pathOf(projectId, folder, name);
    const buffer = typeof data === 'string' ? Buffer.from(data) : data;
    const tmp = `${target}.${process.pid}.${crypto.randomBytes(4).toString('hex')}.tmp`;
    try {
      await fs.promises.mkdir(path.dirname(target), { recursive: true, mode: ARTIFACT_DIR_MODE });
      await fs.promises.writeFile(tmp, buffer, { mode: ARTIFACT_FILE_MODE });
    } catch (error) {
      await this.discard({ tmp });
      throw storageError(error, name, buffer.length);
    }
    return {
      tmp,
      target,
      path: path.relative(this.root, target),
      size: buffer.length,
      sha256: crypto.createHash('sha256').update(buffer).digest('hex'),
    };
  }

  async place(staged: StagedFile): Promise<void> {
    try {
      await fs.promises.rename(staged.tmp, staged.target);
    } catch (error) {
      await this.discard(staged);
      throw storageError(error, path.basename(staged.target), staged.size);
    }
  }

  async discard(staged: Pick<StagedFile, 'tmp'>): Promise<void> {
    await fs.promises.rm(staged.tmp, { force: true }).catch(() => undefined);
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

  /** The stored path (as `write` returns it) of `<projectId>/<folder>/<name>`. */
  locate(projectId: string, folder: string, name: string): string {
    return path.relative(this.root, this.pathOf(projectId, folder, name));
  }

  /** Removes a file or a folder with what it holds; a missing one is no error. */
  async remove(projectId: string, folder: string, name: string): Promise<void> {
    await fs.promises.rm(this.pathOf(projectId, folder, name), { recursive: true, force: true });
  }

  async size(relativePath: string): Promise<number> {
    return (await fs.promises.stat(this.resolve(relativePath))).size;
  }

  /** SHA-256 (hex) of a stored file, read as a stream: weights can be hundreds of MiB. */
  async sha256(relativePath: string): Promise<string> {
    const hash = crypto.createHash('sha256');
    for await (const chunk of fs.createReadStream(this.resolve(relativePath))) {
      hash.update(chunk as Buffer);
    }
    return hash.digest('hex');
  }
}

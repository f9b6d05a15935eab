import * as path from 'node:path';
import type { Response } from 'express';
import { NotFoundError } from '../errors/domain-error';

/** The artifact name of a `*name` wildcard route (Express 5 gives the segments as an array). */
export function artifactName(name: string | string[]): string {
  return Array.isArray(name) ? name.join('/') : name;
}

/**
 * Streams a stored artifact with its recorded content type and size. `file` comes from
 * ArtifactStore.resolve, which already refuses paths outside the artifact root. The file's folder
 * is passed to `send` as its root so that only the file name is checked for dotfiles: the default
 * `AUTODL_HOME=./.autodl` is a dot-folder, and send refuses any path through one unless it is part
 * of the root (expressjs/send, "dotfiles"). Artifact names never start with a dot.
 */
export async function sendArtifact(
  res: Response,
  artifact: { file: string; contentType: string; size: number },
): Promise<void> {
  res.setHeader('Content-Type', artifact.contentType);
  await new Promise<void>((resolve, reject) => {
    res.sendFile(
      path.basename(artifact.file),
      { root: path.dirname(artifact.file) },
      (error?: Error & { code?: string; status?: number }) => {
        // Once bytes are on the wire (a client that hung up), there is no error response to send.
        if (!error || res.headersSent) return resolve();
        reject(
          error.code === 'ENOENT' || error.status === 404
            ? new NotFoundError('artifact file', path.basename(artifact.file))
            : error,
        );
      },
    );
  });
}

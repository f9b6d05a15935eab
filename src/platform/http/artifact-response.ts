import type { Response } from 'express';

/** The artifact name of a `*name` wildcard route (Express 5 gives the segments as an array). */
export function artifactName(name: string | string[]): string {
  return Array.isArray(name) ? name.join('/') : name;
}

/** Streams a stored artifact with its recorded content type and size. */
export function sendArtifact(
  res: Response,
  artifact: { file: string; contentType: string; size: number },
): void {
  res.setHeader('Content-Type', artifact.contentType);
  res.setHeader('Content-Length', String(artifact.size));
  res.sendFile(artifact.file);
}

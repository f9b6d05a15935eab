// Artifacts need the key in a header, so a plain <a href> cannot fetch them: read the bytes with
// fetch, then hand the browser a blob URL.
import { request } from './client';

export function artifactPath(jobId: string, name: string): string {
  return `/v1/jobs/${jobId}/artifacts/${name.split('/').map(encodeURIComponent).join('/')}`;
}

export async function fetchBlob(path: string, signal?: AbortSignal): Promise<Blob> {
  return (await request(path, { signal })).blob();
}

export async function saveBlob(path: string, fileName: string): Promise<void> {
  const url = URL.createObjectURL(await fetchBlob(path));
  try {
    const a = document.createElement('a');
    a.href = url;
    a.download = fileName;
    document.body.append(a);
    a.click();
    a.remove();
  } finally {
    setTimeout(() => URL.revokeObjectURL(url), 10_000);
  }
}

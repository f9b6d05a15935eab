import { request } from './client';

/**
 * Downloads an authenticated file: the key rides in a header, so a plain link cannot fetch it;
 * fetch it, then hand the browser a blob URL to save.
 */
export async function downloadFile(path: string, fileName: string): Promise<void> {
  const blob = await (await request(path)).blob();
  const url = URL.createObjectURL(blob);
  try {
    const a = document.createElement('a');
    a.href = url;
    a.download = fileName;
    document.body.appendChild(a);
    a.click();
    a.remove();
  } finally {
    // Revoked after the click has been handled.
    setTimeout(() => URL.revokeObjectURL(url), 10_000);
  }
}

/** An authenticated image (thumbnail) as a blob URL, revoked by the caller. */
export async function imageUrl(path: string, signal?: AbortSignal): Promise<string> {
  const blob = await (await request(path, { signal })).blob();
  return URL.createObjectURL(blob);
}

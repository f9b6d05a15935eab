import { ApiClient, fileUnder } from './client';
import { Progress } from './output';

export interface RemoteFile {
  name: string;
  url: string;
  size?: number;
}

export interface Downloaded {
  name: string;
  file: string;
  bytes: number;
}

function kib(bytes: number): string {
  return bytes < 1024 ? `${bytes} B` : `${(bytes / 1024).toFixed(1)} KiB`;
}

/**
 * Downloads files into `dir` (names may hold sub-folders, never `..`) one after another, with
 * one progress bar over all their bytes (stderr; lines on a pipe).
 */
export async function downloadFiles(
  api: ApiClient,
  files: RemoteFile[],
  dir: string,
  showProgress: boolean,
): Promise<Downloaded[]> {
  const bar = new Progress(showProgress);
  const total = files.reduce((s, f) => s + (f.size ?? 0), 0);
  const done: Downloaded[] = [];
  let before = 0;
  try {
    for (const f of files) {
      const file = fileUnder(dir, f.name);
      const bytes = await api.download(f.url, file, (received, length) => {
        const all = total || length || received;
        bar.update((before + received) / all, `${f.name} ${kib(received)}`);
      });
      before += bytes;
      done.push({ name: f.name, file, bytes });
    }
    bar.update(1, `${files.length} file(s), ${kib(before)}`);
  } finally {
    bar.stop();
  }
  return done;
}

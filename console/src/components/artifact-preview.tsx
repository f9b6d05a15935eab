// Artifacts previewed in place: images inline, JSON pretty-printed, CSV as a table, text as is.
// The bytes come through fetch (the key is a header), never a URL with the key in it.
import { useEffect, useState } from 'react';
import { artifactPath, fetchBlob, saveBlob } from '../api/download';
import type { Artifact } from '../api/types';
import { parseCsv } from '../lib/csv';

const PREVIEW_BYTES = 2_000_000;
const CSV_ROWS = 51;

type Preview =
  | { kind: 'image'; url: string }
  | { kind: 'json'; text: string }
  | { kind: 'csv'; rows: string[][] }
  | { kind: 'text'; text: string };

function previewKind(a: Artifact): 'image' | 'json' | 'csv' | 'text' | null {
  const type = a.contentType.toLowerCase();
  if (type.startsWith('image/')) return 'image';
  if (type.includes('json') || a.name.endsWith('.json')) return 'json';
  if (type.includes('csv') || a.name.endsWith('.csv')) return 'csv';
  if (type.startsWith('text/')) return 'text';
  return null;
}

export function ArtifactPreview({ jobId, artifact }: { jobId: string; artifact: Artifact }) {
  const kind = previewKind(artifact);
  const [preview, setPreview] = useState<Preview | null>(null);
  const [error, setError] = useState<string | null>(null);
  const path = artifactPath(jobId, artifact.name);

  useEffect(() => {
    if (!kind || artifact.size > PREVIEW_BYTES) return;
    const abort = new AbortController();
    let url: string | null = null;
    fetchBlob(path, abort.signal)
      .then(async (blob) => {
        if (kind === 'image') {
          url = URL.createObjectURL(blob);
          return setPreview({ kind, url });
        }
        const text = await blob.text();
        if (kind === 'json') {
          let pretty = text;
          try {
            pretty = JSON.stringify(JSON.parse(text), null, 2);
          } catch {
            // shown as it is
          }
          return setPreview({ kind, text: pretty });
        }
        if (kind === 'csv') return setPreview({ kind, rows: parseCsv(text, CSV_ROWS) });
        setPreview({ kind, text });
      })
      .catch((e: Error) => {
        if (!abort.signal.aborted) setError(e.message);
      });
    return () => {
      abort.abort();
      if (url) URL.revokeObjectURL(url);
    };
  }, [path, kind, artifact.size]);

  return (
    <figure className="artifact">
      <figcaption>
        <strong>{artifact.name}</strong> · {artifact.contentType} · {formatBytes(artifact.size)}{' '}
        <button
          type="button"
          onClick={() => void saveBlob(path, artifact.name.split('/').pop() ?? artifact.name)}
        >
          Download <span className="sr-only">{artifact.name}</span>
        </button>
      </figcaption>
      {error && <p role="alert">{error}</p>}
      {preview?.kind === 'image' && <img src={preview.url} alt={artifact.name} />}
      {(preview?.kind === 'json' || preview?.kind === 'text') && (
        <pre className="code" tabIndex={0}>
          {preview.text}
        </pre>
      )}
      {preview?.kind === 'csv' && <CsvTable rows={preview.rows} name={artifact.name} />}
    </figure>
  );
}

function CsvTable({ rows, name }: { rows: string[][]; name: string }) {
  const [head, ...body] = rows;
  if (!head) return null;
  return (
    <div className="scroll" tabIndex={0} role="region" aria-label={`${name} (first rows)`}>
      <table>
        <thead>
          <tr>
            {head.map((h, i) => (
              <th key={i} scope="col">
                {h}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {body.map((r, i) => (
            <tr key={i}>
              {r.map((c, j) => (
                <td key={j}>{c}</td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
  return `${(n / 1024 / 1024).toFixed(1)} MiB`;
}

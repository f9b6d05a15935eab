// Images behind the API (artifacts, data set examples) need the Authorization header, which an
// <img src> cannot send (and keys never go in URLs): fetch the bytes and show an object URL.
import { useEffect, useState } from 'react';
import { request } from './client';

export function useAuthedImage(path: string | null): { url: string | null; error: string | null } {
  const [state, setState] = useState<{ url: string | null; error: string | null }>({
    url: null,
    error: null,
  });
  useEffect(() => {
    if (!path) return;
    const abort = new AbortController();
    let url: string | null = null;
    request(path, { signal: abort.signal })
      .then((res) => res.blob())
      .then((blob) => {
        url = URL.createObjectURL(blob);
        setState({ url, error: null });
      })
      .catch((e: unknown) => {
        if (!abort.signal.aborted) setState({ url: null, error: String((e as Error).message) });
      });
    return () => {
      abort.abort();
      if (url) URL.revokeObjectURL(url);
    };
  }, [path]);
  return state;
}

/** Loads an authed image into an HTMLImageElement (for drawing on a canvas). */
export function useAuthedBitmap(path: string | null): HTMLImageElement | null {
  const { url } = useAuthedImage(path);
  const [img, setImg] = useState<HTMLImageElement | null>(null);
  useEffect(() => {
    if (!url) return;
    const el = new Image();
    el.onload = () => setImg(el);
    el.src = url;
  }, [url]);
  return img;
}

export function AuthedImg({ path, alt, width }: { path: string; alt: string; width?: number }) {
  const { url, error } = useAuthedImage(path);
  if (error) return <span role="alert">{error}</span>;
  return url ? <img src={url} alt={alt} width={width} /> : <span aria-busy="true">…</span>;
}

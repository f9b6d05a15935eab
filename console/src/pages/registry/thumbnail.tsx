import { useQuery } from '@tanstack/react-query';
import { useEffect } from 'react';
import { fetchBlob } from '../../api/download';

/** One example of an image data set (fetched with the key, shown from a blob URL). */
export function Thumbnail({
  dataset,
  index,
  alt,
}: {
  dataset: string;
  index: number;
  alt: string;
}) {
  const src = useQuery({
    queryKey: ['thumbnail', dataset, index],
    queryFn: async ({ signal }) =>
      URL.createObjectURL(await fetchBlob(`/v1/datasets/${dataset}/examples/${index}`, signal)),
    staleTime: Infinity,
    gcTime: 60_000,
  });
  const url = src.data;
  useEffect(() => () => void (url && setTimeout(() => URL.revokeObjectURL(url), 60_000)), [url]);
  if (src.error) return <span className="thumb thumb-error">{alt}: not available</span>;
  if (!url) return <span className="thumb" aria-busy="true" />;
  return <img className="thumb" src={url} alt={alt} width={64} height={64} />;
}

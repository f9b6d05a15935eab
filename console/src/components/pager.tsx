import { pageRange } from '../lib/page-range';

/**
 * Previous / range / Next under a paged list. `offset` is the first row asked for, `shown` the
 * rows the page returned and `total` the list's size (the API's Page).
 */
export function Pager({
  label,
  offset,
  pageSize,
  shown,
  total,
  empty,
  onOffset,
  rangeTestId,
}: {
  label: string;
  offset: number;
  pageSize: number;
  shown: number;
  total: number;
  empty: string;
  onOffset: (offset: number) => void;
  rangeTestId?: string;
}) {
  return (
    <nav className="pager" aria-label={label}>
      <button
        type="button"
        disabled={offset === 0}
        onClick={() => onOffset(Math.max(0, offset - pageSize))}
      >
        Previous
      </button>
      <span data-testid={rangeTestId}>{pageRange(offset, shown, total, empty)}</span>
      <button
        type="button"
        disabled={offset + pageSize >= total}
        onClick={() => onOffset(offset + pageSize)}
      >
        Next
      </button>
    </nav>
  );
}

import type { Page } from '../api/types';
import { pageRange } from '../lib/page-range';

/**
 * Previous / range / Next under a paged list. `offset` is the first row asked for; the rows
 * shown and the list's size come from the API's `page` (undefined while it loads: empty).
 */
export function Pager({
  label,
  offset,
  pageSize,
  page,
  empty,
  onOffset,
  rangeTestId,
}: {
  label: string;
  offset: number;
  pageSize: number;
  page: Page<unknown> | undefined;
  empty: string;
  onOffset: (offset: number) => void;
  rangeTestId?: string;
}) {
  const total = page?.total ?? 0;
  return (
    <nav className="pager" aria-label={label}>
      <button
        type="button"
        disabled={offset === 0}
        onClick={() => onOffset(Math.max(0, offset - pageSize))}
      >
        Previous
      </button>
      <span data-testid={rangeTestId}>
        {pageRange(offset, page?.items.length ?? 0, total, empty)}
      </span>
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

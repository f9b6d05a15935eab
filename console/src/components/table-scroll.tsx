import type { ReactNode } from 'react';

/**
 * A table with a column per parameter (a tuning's configurations, a study's trials) can be wider
 * than the page: it scrolls sideways in its own box instead of widening the whole page past the
 * top bar. The box is focusable so keyboard users can scroll it too (axe:
 * scrollable-region-focusable).
 */
export function TableScroll({ label, children }: { label: string; children: ReactNode }) {
  return (
    <div className="table-scroll" role="region" aria-label={label} tabIndex={0}>
      {children}
    </div>
  );
}

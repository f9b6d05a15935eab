// The study page's queries, shared by the page and by its route's loader (console/src/app.tsx),
// which starts the first ones while the page's code is still downloading.
import { queryOptions, type QueryClient } from '@tanstack/react-query';
import { getJson, query } from './client';
import type { StudySummary, TrialRow } from './studies';
import type { Page } from './types';

export type TrialSort = 'number' | 'value' | 'state' | 'duration' | 'started';

export interface TrialsPageQuery {
  sort: TrialSort;
  order: 'asc' | 'desc';
  filter: string;
  limit: number;
  offset: number;
}

/** What the trials table shows first. */
export const FIRST_TRIALS_PAGE: TrialsPageQuery = {
  sort: 'number',
  order: 'asc',
  filter: '',
  limit: 25,
  offset: 0,
};

/** The history plot's request: best-so-far and a scatter downsampled to ~500 points. */
export const HISTORY_PATH = 'history?points=500';

export const summaryQuery = (id: string) =>
  queryOptions({
    queryKey: ['study-summary', id],
    queryFn: ({ signal }) => getJson<StudySummary>(`/v1/studies/${id}/summary`, signal),
  });

/**
 * One plot's bounded, aggregated answer (never all trials). Kept until the study changes: the
 * page invalidates ['study-plot', id] when a trial finishes (live events).
 */
export const plotQuery = <T>(id: string, path: string, enabled = true) =>
  queryOptions({
    queryKey: ['study-plot', id, path],
    queryFn: ({ signal }) => getJson<T>(`/v1/studies/${id}/${path}`, signal),
    enabled,
    staleTime: Infinity,
  });

export const trialsQuery = (id: string, q: TrialsPageQuery) =>
  queryOptions({
    queryKey: ['study-trials', id, q],
    queryFn: ({ signal }) =>
      getJson<Page<TrialRow>>(`/v1/studies/${id}/trials/page${query({ ...q })}`, signal),
  });

/** Starts the requests the page needs to be interactive: summary, history, first trials. */
export function prefetchStudyPage(client: QueryClient, id: string): void {
  void client.prefetchQuery(summaryQuery(id));
  void client.prefetchQuery(plotQuery(id, HISTORY_PATH));
  void client.prefetchQuery(trialsQuery(id, FIRST_TRIALS_PAGE));
}

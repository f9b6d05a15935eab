// Keeps a study page current over Server-Sent Events (GET /v1/events/stream?study=<id>, fed by
// the trials/studies triggers of migration 1764313000000) instead of polling.
import { useCallback, useEffect, useRef } from 'react';
import { useQueryClient } from '@tanstack/react-query';
import { query } from '../api/client';
import { useEventStream } from '../api/events';
import type { StudySummary } from '../api/studies';

/** Study statuses in which trials still start and finish. */
export const LIVE_STATUSES = new Set(['running', 'stopping']);
/** A busy study finishes many trials a second: the summary is read at most this often. */
const REFRESH_MS = 1_000;

/**
 * While the study runs (and once `ready`: the page first becomes interactive), every `trials` or
 * `study` event re-reads the summary; its counts then say what else to re-read: the trials table
 * when any count moved, the plots when a trial finished.
 */
export function useLiveStudy(id: string, s: StudySummary | undefined, ready: boolean): void {
  const client = useQueryClient();
  const refresh = useThrottled(
    () => void client.invalidateQueries({ queryKey: ['study-summary', id] }),
    REFRESH_MS,
  );
  const live = !!s && LIVE_STATUSES.has(s.status);
  useEventStream(
    live && ready ? `/v1/events/stream${query({ study: id })}` : null,
    refresh,
    undefined,
    refresh,
  );
  const c = s?.counts;
  const finished = c ? c.complete + c.pruned + c.failed : null;
  const all = c ? `${c.running}/${c.complete}/${c.pruned}/${c.failed}` : null;
  useOnChange(all, () => void client.invalidateQueries({ queryKey: ['study-trials', id] }));
  useOnChange(finished, () => void client.invalidateQueries({ queryKey: ['study-plot', id] }));
}

/** Runs `fn` at once, then at most once per `ms` (the last call of a burst is never lost). */
function useThrottled(fn: () => void, ms: number): () => void {
  const latest = useRef(fn);
  latest.current = fn;
  const state = useRef<{ last: number; timer?: ReturnType<typeof setTimeout> }>({ last: 0 });
  useEffect(() => {
    const st = state.current;
    return () => clearTimeout(st.timer);
  }, []);
  return useCallback(() => {
    const st = state.current;
    if (st.timer !== undefined) return;
    const run = () => {
      st.timer = undefined;
      st.last = Date.now();
      latest.current();
    };
    const wait = st.last + ms - Date.now();
    if (wait <= 0) run();
    else st.timer = setTimeout(run, wait);
  }, [ms]);
}

/** Calls `effect` when `value` changes from one known value to another (not on the first). */
function useOnChange(value: string | number | null, effect: () => void): void {
  const previous = useRef(value);
  const latest = useRef(effect);
  latest.current = effect;
  useEffect(() => {
    if (previous.current !== null && value !== null && previous.current !== value) latest.current();
    if (value !== null) previous.current = value;
  }, [value]);
}

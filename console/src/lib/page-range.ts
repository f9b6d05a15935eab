/**
 * The text between a list's Previous and Next buttons: "11–20 of 42" for the rows on screen, or
 * the list's empty text when there is nothing (not "1–0 of 0"). `shown` is the number of rows the
 * page holds, so the text matches the rows even on the last, shorter page.
 */
export function pageRange(offset: number, shown: number, total: number, empty: string): string {
  if (total === 0 || shown === 0) return empty;
  return `${offset + 1}–${offset + shown} of ${total}`;
}

/**
 * The clock of the actions path (planning, sending, releasing deferred messages). On AWS it is
 * the wall clock and nothing moves it. Local mode may move it forward (`POST /_local/clock`), so
 * that what happens when quiet hours end at 09:00 in a user's time zone can be shown and tested
 * now rather than waited for.
 */
let offsetMs = 0;

export function now(): Date {
  return new Date(Date.now() + offsetMs);
}

/** Local mode only: from now on `now()` reads `at` and runs on from there. */
export function setLocalClock(at: Date): void {
  offsetMs = at.getTime() - Date.now();
}

export function resetLocalClock(): void {
  offsetMs = 0;
}

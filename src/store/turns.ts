/** The most turns of the event loop a batch stays open while more keeps joining it. */
const MAX_TURNS = 4;

/**
 * Calls `flush` at the end of the current turn of the event loop, or, while
 * each turn brings more (`size()` grew: a loaded server), at the end of the
 * first turn that brings none, and at the latest after MAX_TURNS turns.
 * Alone on an idle loop the wait is one turn (microseconds). The policy of
 * both the SQLite group commit (write-group.ts) and PostgreSQL's batched
 * statements (pg-batch.ts).
 */
export function afterTurns(size: () => number, flush: () => void): void {
  let turns = 0;
  let seen = size();
  const tick = () => {
    turns++;
    if (size() > seen && turns < MAX_TURNS) {
      seen = size();
      setImmediate(tick);
    } else flush();
  };
  setImmediate(tick);
}

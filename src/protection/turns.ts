/**
 * Node-local FIFO turns for logins waiting on a counter's limit (attempt.ts):
 * a brute-force counter's maxAttempts in flight, or an IP bucket's tokens.
 * A login that finds the limit reached joins its id's line; when this node
 * settles a login that held a slot of that id, `release` gives the line a
 * permit and wakes its head, which tries again before anyone else. Only the
 * head tries: when it is served (or leaves) the permits left pass to the
 * next. A newcomer must not jump the line: while the id has waiters (`busy`)
 * it joins behind them instead of trying first.
 */
export class Turns {
  private readonly lines = new Map<string, Line>();

  /** Whether logins wait on this id: a newcomer joins behind them. */
  busy(id: string): boolean {
    return this.lines.has(id);
  }

  /** How many wait on this id (tests). */
  size(id: string): number {
    return this.lines.get(id)?.waiters.length ?? 0;
  }

  /** Joins the id's line, at its tail. */
  join(id: string): Turn {
    let line = this.lines.get(id);
    if (!line) {
      line = { waiters: [], permits: 0 };
      this.lines.set(id, line);
    }
    const turn = new Turn(line, () => this.lines.get(id) === line && this.lines.delete(id));
    line.waiters.push(turn);
    return turn;
  }

  /** A slot of `id` was freed on this node: the head of its line tries now. */
  release(id: string): void {
    const line = this.lines.get(id);
    if (!line) return;
    line.permits++;
    line.waiters[0]?.wake();
  }
}

interface Line {
  waiters: Turn[];
  /** Slots freed and not yet tried by the head. */
  permits: number;
}

/** One login's place in an id's line. */
export class Turn {
  private wakeUp?: () => void;
  private left = false;

  constructor(
    private readonly line: Line,
    private readonly drop: () => void,
  ) {}

  /** First in the line: may try whenever it likes (the fallback poll). */
  get isHead(): boolean {
    return this.line.waiters[0] === this;
  }

  /** First in the line, with a slot freed for it to try. */
  get woken(): boolean {
    return this.isHead && this.line.permits > 0;
  }

  /** @internal */
  wake(): void {
    this.wakeUp?.();
  }

  /** Resolves when woken (true) or after `ms` (false, unless woken meanwhile). */
  wait(ms: number): Promise<boolean> {
    if (this.woken) return Promise.resolve(true);
    return new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => {
        this.wakeUp = undefined;
        resolve(this.woken);
      }, ms);
      this.wakeUp = () => {
        clearTimeout(timer);
        this.wakeUp = undefined;
        resolve(true);
      };
    });
  }

  /** The try after a wake failed (the slot was taken elsewhere): that permit is spent. */
  missed(): void {
    if (this.woken) this.line.permits--;
  }

  /**
   * Leaves the line. `served`: it took a slot (spending a permit, if it had
   * one). Otherwise (refused, client gone, an error) the permits pass on.
   * Either way, permits left wake the next head.
   */
  leave(served: boolean): void {
    if (this.left) return;
    this.left = true;
    const { line } = this;
    const i = line.waiters.indexOf(this);
    if (i < 0) return;
    if (served && i === 0 && line.permits > 0) line.permits--;
    line.waiters.splice(i, 1);
    if (!line.waiters.length) this.drop();
    else if (i === 0 && line.permits > 0) line.waiters[0]!.wake();
  }
}

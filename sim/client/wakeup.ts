/**
 * A recipe's wait for a watch event: one waiter at a time, and an event that comes while
 * nobody waits (a listing or read is still under way) is remembered, so the next wait
 * looks again at once instead of sleeping through a change it may not have seen.
 */
export class Wakeup {
  private waiter: (() => void) | null = null;
  private missed = false;

  /** Runs `look` at the next wake, or now if one came since the last `fresh()`. */
  waitFor(look: () => void): void {
    if (this.missed) {
      this.missed = false;
      return look();
    }
    this.waiter = look;
  }

  wake(): void {
    const waiter = this.waiter;
    this.waiter = null;
    if (waiter === null) this.missed = true;
    else waiter();
  }

  /** A look is starting: what it reads covers the events before it. */
  fresh(): void {
    this.missed = false;
  }

  /** The wait is over: nobody is woken any more. */
  cancel(): void {
    this.waiter = null;
  }
}

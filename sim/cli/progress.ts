/**
 * A progress line on stderr for long work, redrawn in place at most five times a second
 * and erased when the work ends; only when stderr is a terminal (pipes, files and
 * `--json` consumers see nothing).
 */

export interface ProgressLine {
  /** Shows `text` (one line) unless the last redraw was under 200 ms ago. */
  update(text: string): void;
  /** Erases the line. */
  done(): void;
}

export function progressLine(enabled = process.stderr.isTTY === true): ProgressLine {
  let last = 0;
  let shown = false;
  return {
    update(text) {
      if (!enabled) return;
      const now = performance.now();
      if (now - last < 200) return;
      last = now;
      shown = true;
      const width = Math.max(20, (process.stderr.columns ?? 80) - 1);
      process.stderr.write(`\r\x1b[K${text.length > width ? text.slice(0, width - 1) + '…' : text}`);
    },
    done() {
      if (shown) process.stderr.write('\r\x1b[K');
      shown = false;
    },
  };
}

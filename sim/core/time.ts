/** Virtual time is an integer number of microseconds since the start of the run. */
export const US_PER_MS = 1000;
export const US_PER_S = 1_000_000;

export function ms(value: number): number {
  return Math.round(value * US_PER_MS);
}

/** "12.345 ms" style rendering for reports. */
export function formatUs(timeUs: number): string {
  if (timeUs >= US_PER_S) return `${(timeUs / US_PER_S).toFixed(3)} s`;
  return `${(timeUs / US_PER_MS).toFixed(3)} ms`;
}

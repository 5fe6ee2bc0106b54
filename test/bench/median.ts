/** The middle value of a sample (the upper middle of an even count): benchmarks report medians on this shared machine. */
export function median(values: readonly number[]): number {
  return [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
}

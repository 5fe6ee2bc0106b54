/**
 * Seeded random streams.
 *
 * Every random choice in a run comes from a named stream derived from the run's seed
 * ("network", "workload", "nemesis", "node:3", ...). Streams are independent: drawing
 * more numbers from one (say, adding a client to the workload) never shifts another
 * (the network's loss and latency choices stay the same). The generator is seedrandom's
 * Alea: fast, small state, and identical in Node and in browsers.
 */
import seedrandom from 'seedrandom';

/** seedrandom's Alea with its state exposed (`state: true`): a snapshot of a run saves and restores it. */
type AleaPrng = (() => number) & { state(): seedrandom.State.Alea };

export class Rng {
  private prng: AleaPrng;
  private spareNormal = Number.NaN;
  /** Numbers drawn so far: with the seed, the stream's position (a model checker's state includes it). */
  draws = 0;

  constructor(seed: string) {
    this.prng = seedrandom.alea(seed, { state: true }) as AleaPrng;
  }

  /** The generator's exact position (with `draws` and the spare normal), for a snapshot of the run (sim/explore). */
  saveState(): seedrandom.State.Alea {
    return this.prng.state();
  }

  /** Puts the generator back where saveState() found it. */
  loadState(state: seedrandom.State.Alea): void {
    this.prng = seedrandom.alea('', { state }) as AleaPrng;
  }

  /** Uniform in [0, 1). */
  next(): number {
    this.draws++;
    return this.prng();
  }

  /** Uniform integer in [0, n). */
  int(n: number): number {
    this.draws++;
    return Math.floor(this.prng() * n);
  }

  /** Uniform integer in [min, max] (both inclusive). */
  intBetween(min: number, max: number): number {
    this.draws++;
    return min + Math.floor(this.prng() * (max - min + 1));
  }

  /** True with probability p. Draws exactly one number whatever p is, so p never shifts the stream. */
  chance(p: number): boolean {
    this.draws++;
    return this.prng() < p;
  }

  /** Exponentially distributed with the given mean. */
  exponential(mean: number): number {
    this.draws++;
    return -Math.log(1 - this.prng()) * mean;
  }

  /** Standard normal (Box-Muller; the spare value is kept for the next call). */
  normal(): number {
    if (!Number.isNaN(this.spareNormal)) {
      const spare = this.spareNormal;
      this.spareNormal = Number.NaN;
      return spare;
    }
    let u = 0;
    while (u === 0) {
      u = this.prng();
      this.draws++;
    }
    const v = this.prng();
    this.draws++;
    const radius = Math.sqrt(-2 * Math.log(u));
    this.spareNormal = radius * Math.sin(2 * Math.PI * v);
    return radius * Math.cos(2 * Math.PI * v);
  }

  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new Error('Rng.pick: empty list');
    return items[this.int(items.length)];
  }

  /** Fisher-Yates shuffle of a copy. */
  shuffled<T>(items: readonly T[]): T[] {
    const copy = items.slice();
    for (let i = copy.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      const tmp = copy[i];
      copy[i] = copy[j];
      copy[j] = tmp;
    }
    return copy;
  }
}

/** The streams of one run. `stream(name)` always returns the same object for a name. */
export class RngStreams {
  private readonly streams = new Map<string, Rng>();
  constructor(readonly seed: number | string) {}

  /** Every stream made so far, in the order they were first asked for. */
  forEach(visit: (name: string, rng: Rng) => void): void {
    for (const [name, rng] of this.streams) visit(name, rng);
  }

  stream(name: string): Rng {
    let rng = this.streams.get(name);
    if (rng === undefined) {
      rng = new Rng(`zablab/${String(this.seed)}/${name}`);
      this.streams.set(name, rng);
    }
    return rng;
  }
}

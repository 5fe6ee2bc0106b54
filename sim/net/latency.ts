/**
 * Link latency distributions. Every distribution has a minimum (`minUs`, 0 if not
 * given): no message is ever faster than its link's minimum, which is what the
 * network property tests hold it to.
 */
import type { Rng } from '../core/rng.js';

export type LatencySpec =
  | { kind: 'constant'; us: number }
  | { kind: 'uniform'; minUs: number; maxUs: number }
  | { kind: 'exponential'; minUs?: number; meanUs: number }
  | { kind: 'lognormal'; minUs?: number; medianUs: number; sigma: number };

/** A sampler is compiled once per link so the per-message path is a single call. */
export interface LatencySampler {
  readonly minUs: number;
  sample(rng: Rng): number;
}

export function latencyMinUs(spec: LatencySpec): number {
  switch (spec.kind) {
    case 'constant':
      return spec.us;
    case 'uniform':
      return spec.minUs;
    default:
      return spec.minUs ?? 0;
  }
}

export function compileLatency(spec: LatencySpec): LatencySampler {
  const minUs = Math.max(0, Math.round(latencyMinUs(spec)));
  switch (spec.kind) {
    case 'constant': {
      const us = Math.max(0, Math.round(spec.us));
      return { minUs: us, sample: () => us };
    }
    case 'uniform': {
      const span = Math.max(0, Math.round(spec.maxUs) - minUs);
      return { minUs, sample: (rng) => minUs + Math.floor(rng.next() * (span + 1)) };
    }
    case 'exponential': {
      const mean = Math.max(0, spec.meanUs - minUs);
      return { minUs, sample: (rng) => minUs + Math.round(rng.exponential(mean)) };
    }
    case 'lognormal': {
      const mu = Math.log(Math.max(1, spec.medianUs - minUs));
      const sigma = spec.sigma;
      return { minUs, sample: (rng) => minUs + Math.round(Math.exp(mu + sigma * rng.normal())) };
    }
  }
}

export function describeLatency(spec: LatencySpec): string {
  switch (spec.kind) {
    case 'constant':
      return `${spec.us} µs`;
    case 'uniform':
      return `uniform ${spec.minUs}..${spec.maxUs} µs`;
    case 'exponential':
      return `exponential mean ${spec.meanUs} µs (min ${spec.minUs ?? 0})`;
    case 'lognormal':
      return `log-normal median ${spec.medianUs} µs σ ${spec.sigma} (min ${spec.minUs ?? 0})`;
  }
}

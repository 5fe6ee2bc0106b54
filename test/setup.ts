/**
 * Property tests are deterministic in CI, like everything else here: fast-check uses a
 * fixed seed unless FC_SEED is set (FC_SEED=random draws a new one, for exploration;
 * a failure prints the seed and path to replay it).
 */
import fc from 'fast-check';

const requested = process.env.FC_SEED;
if (requested !== 'random') fc.configureGlobal({ seed: requested === undefined ? 20261121 : Number(requested) });

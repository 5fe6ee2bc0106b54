/** The linearizability report of a trace: it lives in sim/ so that `zablab run --report` draws the same explanation as the lab. */
export { linFromTrace, type LinReport } from '../../sim/scenario/lin-report.js';

/**
 * A worker process of `zablab explore --workers N` (sim/explore/parallel.ts): answers the
 * coordinator's requests over IPC with a LevelSearch of its own, one at a time, and adds
 * its process's CPU time to its figures (the parent's cpuUsage does not see a child's).
 */
import { LevelServer, type LevelReply, type LevelRequest } from '../explore/parallel.js';
import { protocolAdapter } from '../scenario/protocols.js';

/** The command-line argument that makes this file serve its parent. */
export const EXPLORE_CHILD_ARG = '--zablab-explore-child';

/** A reply, or what went wrong answering (the parent reports it and stops). */
export type WorkerReply = LevelReply | { type: 'error'; message: string };

if (process.argv.includes(EXPLORE_CHILD_ARG) && process.send !== undefined) {
  const send = process.send.bind(process);
  const server = new LevelServer(protocolAdapter);
  process.on('message', (request: LevelRequest) => {
    let reply: WorkerReply;
    try {
      reply = server.handle(request);
      if (reply.type === 'figures') {
        const cpu = process.cpuUsage();
        reply = { ...reply, figures: { ...reply.figures, cpuUs: cpu.user + cpu.system } };
      }
    } catch (error) {
      reply = { type: 'error', message: error instanceof Error ? error.message : String(error) };
    }
    send(reply);
  });
  // The parent closes the channel when the search is over (or dies): nothing left to do.
  process.on('disconnect', () => process.exit(0));
}

/**
 * The `zablab` command. Every subcommand returns an exit code; bad input of any kind
 * (flags, files, scenarios, traces, histories) ends as `zablab <command>: <where>: <what>`
 * on stderr with exit code 2 and no stack trace.
 *
 * Commands are loaded when chosen (`load`), so `zablab --version` or `zablab check`
 * does not pay for the simulator's modules. To add a command, add a row to COMMANDS.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';
import { LimitReached, UsageError, err, out, readTextFile } from './io.js';
import { HelpRequest } from './args.js';

type CommandMain = (argv: string[]) => number | Promise<number>;
type Command = { summary: string; load: () => Promise<CommandMain> };

function packageVersion(): string {
  const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
  return (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string }).version;
}

const COMMANDS: Record<string, Command> = {
  run: { summary: 'run a scenario: the story, elections, faults, checks and expectations', load: async () => (await import('./run.js')).runCommand },
  suite: { summary: 'run every scenario in scenarios/ on each protocol it names', load: async () => (await import('./run.js')).suiteCommand },
  sweep: { summary: 'run scenarios over many seeds in parallel; save failing runs as reproductions', load: async () => (await import('./sweep.js')).sweepCommand },
  swarm: { summary: 'swarm testing: random scenarios, each with its own mix of faults and extreme settings', load: async () => (await import('./swarm.js')).swarmCommand },
  merge: { summary: 'merge the shards of a sweep or swarm (--json lines, reproductions) into one summary', load: async () => (await import('./merge.js')).mergeCommand },
  shrink: { summary: 'minimise a failing run into the smallest scenario that still fails', load: async () => (await import('./shrink.js')).shrinkCommand },
  hunt: { summary: 'random search for a bug switch, then shrink what it finds', load: async () => (await import('./hunt.js')).huntCommand },
  explore: { summary: 'model checking: every schedule within bounds, shortest counterexample as a replayable scenario', load: async () => (await import('./explore.js')).exploreCommand },
  list: { summary: 'list the scenarios with their titles', load: async () => (await import('./run.js')).listCommand },
  check: {
    summary: 'check client histories (zablab, Jepsen EDN or JSON) for linearizability',
    load: async () => {
      const { checkCommand } = await import('../check/lin/cli.js');
      const { progressLine } = await import('./progress.js');
      const { checkOutputFile, writeOutputFile } = await import('./outputs.js');
      const output = {
        check: (path: string, inputs: readonly string[], force: boolean) => checkOutputFile(path, { flag: '--html', inputs, force }),
        write: (path: string, text: string, inputs: readonly string[], force: boolean) => writeOutputFile(path, text, { flag: '--html', inputs, force }),
      };
      return (argv) => checkCommand(argv, { stdout: out, stderr: err, readFile: readTextFile, now: () => performance.now(), progress: progressLine(), output });
    },
  },
  view: { summary: 'serve the browser lab on 127.0.0.1; with a trace file, open it', load: async () => (await import('./view.js')).viewCommand },
  export: { summary: 'export a trace: the history as Jepsen EDN or JSON, the messages for ShiViz', load: async () => (await import('./export.js')).exportCommand },
  schema: { summary: 'print the JSON Schema of scenario files', load: async () => (await import('./run.js')).schemaCommand },
  bugs: { summary: 'list the bug switches, their references and the invariants they break', load: async () => (await import('./run.js')).bugsCommand },
  'trace-info': { summary: 'show what a trace file holds: nodes, events by kind, simulated time, hash', load: async () => (await import('./trace-info.js')).traceInfoCommand },
};

function help(): string {
  const width = Math.max(...Object.keys(COMMANDS).map((name) => name.length));
  return `zablab ${packageVersion()} — a deterministic consensus simulator and teaching lab (ZAB and Multi-Paxos)

usage: zablab <command> [options]        zablab <command> --help for details

commands:
${Object.entries(COMMANDS)
  .map(([name, command]) => `  ${name.padEnd(width)}  ${command.summary}`)
  .join('\n')}

options:
  --help, -h     this help
  --version, -v  the version

exit codes: 0 success, 1 a check or expectation failed, 2 bad input,
3 a limit or budget ran out before a verdict (the message names it and how to raise it)
`;
}

export async function main(argv: string[]): Promise<number> {
  const [first, ...rest] = argv;
  const prefix = COMMANDS[first ?? ''] !== undefined && Object.hasOwn(COMMANDS, first) ? `zablab ${first}` : 'zablab';
  try {
    if (first === undefined || first === '--help' || first === '-h' || first === 'help') {
      out(help());
      return 0;
    }
    if (first === '--version' || first === '-v') {
      out(`${packageVersion()}\n`);
      return 0;
    }
    if (!Object.hasOwn(COMMANDS, first)) throw new UsageError(`unknown command ${JSON.stringify(first)} (zablab --help lists the commands)`);
    const command = await COMMANDS[first].load();
    return await command(rest);
  } catch (error) {
    if (error instanceof HelpRequest) {
      out(error.usage);
      return 0;
    }
    if (error instanceof UsageError) {
      err(`${prefix}: ${error.message.split('\n')[0]}\n`);
      return 2;
    }
    if (error instanceof LimitReached) {
      err(`${prefix}: ${error.message}\n`);
      return 3;
    }
    err(`${prefix}: internal error: ${(error as Error).stack ?? String(error)}\n`);
    return 70;
  }
}

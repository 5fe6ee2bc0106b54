/**
 * The `zablab` command. Every subcommand returns an exit code; bad input of any kind
 * (flags, files, scenarios, traces, histories) ends as `zablab: <where>: <what>` on
 * stderr with exit code 2 and no stack trace.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';
import { UsageError, err, out, readTextFile } from './io.js';
import { traceInfoCommand } from './trace-info.js';
import { checkCommand } from '../check/lin/cli.js';
import { sweepCommand } from './sweep.js';
import { swarmCommand } from './swarm.js';
import { exportCommand } from './export.js';
import { huntCommand } from './hunt.js';
import { viewCommand } from './view.js';
import { shrinkCommand } from './shrink.js';
import { exploreCommand } from './explore.js';
import { bugsCommand, listCommand, runCommand, schemaCommand, suiteCommand } from './run.js';


type Command = { summary: string; run: (argv: string[]) => number | Promise<number> };

function packageVersion(): string {
  const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
  return (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string }).version;
}

const COMMANDS: Record<string, Command> = {
  run: { summary: 'run a scenario: the story, elections, faults, checks and expectations', run: runCommand },
  suite: { summary: 'run every scenario in scenarios/ on each protocol it names', run: suiteCommand },
  sweep: { summary: 'run scenarios over many seeds in parallel; save failing runs as reproductions', run: sweepCommand },
  swarm: { summary: 'swarm testing: random scenarios, each with its own mix of faults and extreme settings', run: swarmCommand },
  shrink: { summary: 'minimise a failing run into the smallest scenario that still fails', run: shrinkCommand },
  hunt: { summary: 'random search for a bug switch, then shrink what it finds', run: huntCommand },
  explore: { summary: 'model checking: every schedule within bounds, shortest counterexample as a replayable scenario', run: exploreCommand },
  list: { summary: 'list the scenarios with their titles', run: listCommand },
  check: {
    summary: 'check client histories (zablab, Jepsen EDN or JSON) for linearizability',
    run: (argv) => checkCommand(argv, { stdout: out, stderr: err, readFile: readTextFile, now: () => performance.now() }),
  },
  view: { summary: 'serve the browser lab on 127.0.0.1; with a trace file, open it', run: viewCommand },
  export: { summary: 'export a trace: the history as Jepsen EDN or JSON, the messages for ShiViz', run: exportCommand },
  schema: { summary: 'print the JSON Schema of scenario files', run: () => schemaCommand() },
  bugs: { summary: 'list the bug switches, their references and the invariants they break', run: bugsCommand },
  'trace-info': { summary: 'show what a trace file holds: nodes, events by kind, simulated time, hash', run: traceInfoCommand },
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
`;
}

export async function main(argv: string[]): Promise<number> {
  try {
    const [first, ...rest] = argv;
    if (first === undefined || first === '--help' || first === '-h' || first === 'help') {
      out(help());
      return 0;
    }
    if (first === '--version' || first === '-v') {
      out(`${packageVersion()}\n`);
      return 0;
    }
    const command = COMMANDS[first];
    if (command === undefined) throw new UsageError(`unknown command "${first}" (zablab --help lists the commands)`);
    return await command.run(rest);
  } catch (error) {
    if (error instanceof UsageError) {
      err(`zablab: ${error.message}\n`);
      return 2;
    }
    // node:util parseArgs reports unknown or malformed flags with these codes.
    const code = (error as { code?: string }).code;
    if (typeof code === 'string' && code.startsWith('ERR_PARSE_ARGS')) {
      // Some of its messages run over several lines ("--seed -1" is ambiguous): one line here.
      err(`zablab: ${(error as Error).message.replace(/\s*\n\s*/g, ' ')}\n`);
      return 2;
    }
    err(`zablab: internal error: ${(error as Error).stack ?? String(error)}\n`);
    return 70;
  }
}

#!/usr/bin/env node
/**
 * `aibl-cds <command>`: the offline tools — `evaluate` runs the clinical core on a FHIR Bundle or a CDS Hooks request,
 * `report` prints the feedback summary a CDS committee reviews.
 */
import { runEvaluate } from './cli/evaluate.js';
import { runReport } from './cli/report.js';

const USAGE = `Usage: aibl-cds <command> [options]

Commands:
  evaluate <bundle.json|request.json> [--drug anastrozole|letrozole|exemestane] [--json] [--hook …] [--now YYYY-MM-DD] [--policy file]
  report [--from YYYY-MM-DD] [--to YYYY-MM-DD] [--service id] [--json]
`;

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    case 'evaluate':
      return runEvaluate(rest, process.stdout, process.stderr);
    case 'report':
      return runReport(rest, process.stdout);
    case undefined:
    case '-h':
    case '--help':
      process.stdout.write(USAGE);
      return command === undefined ? 2 : 0;
    default:
      process.stderr.write(`Unknown command "${command}".\n${USAGE}`);
      return 2;
  }
}

process.exitCode = await main(process.argv.slice(2));

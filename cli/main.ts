#!/usr/bin/env node
/**
 * The zkinfer command line: one verb per step, each in cli/commands/. Verbs parse arguments, call
 * the library and print; errors print their short message (the causes too with --verbose) and
 * exit with the code of their kind (docs in README).
 */
import { Command, CommanderError } from 'commander';
import { ZkinferError, exitCodeFor } from '../core/errors.js';
import { packageVersion } from '../core/paths.js';
import { registerCommands } from './commands/index.js';

function describeError(error: unknown, verbose: boolean): string {
  const lines = [`error: ${error instanceof Error ? error.message : String(error)}`];
  if (!(error instanceof ZkinferError)) lines.push('This is not an error zkinfer expected: please report it with the command you ran (and --verbose).');
  if (verbose) {
    let cause = error instanceof Error ? error.cause : undefined;
    while (cause !== undefined) {
      lines.push(`  caused by: ${cause instanceof Error ? cause.message : String(cause)}`);
      cause = cause instanceof Error ? cause.cause : undefined;
    }
    if (error instanceof ZkinferError && Object.keys(error.details).length > 0) lines.push(`  details: ${JSON.stringify(error.details, (_k, v) => (typeof v === 'bigint' ? v.toString() : v)).slice(0, 2000)}`);
    if (error instanceof Error && error.stack) lines.push(error.stack);
  }
  return lines.join('\n');
}

async function main(argv: string[]): Promise<number> {
  const program = new Command('zkinfer')
    .description('Verifiable ML inference: quantize a TF.js model, compile it to Circom, prove with Groth16, verify off-chain and on-chain.')
    .version(packageVersion())
    .option('--verbose', 'on errors, show the causes, details and stack')
    .option('--quiet', 'no progress output')
    .exitOverride()
    .configureOutput({ writeErr: (text) => process.stderr.write(text) });
  await registerCommands(program, argv.slice(2));
  try {
    await program.parseAsync(argv);
    return process.exitCode === undefined ? 0 : Number(process.exitCode);
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode === 0 ? 0 : 2; // help, version, usage
    process.stderr.write(`${describeError(error, program.opts().verbose === true)}\n`);
    return exitCodeFor(error);
  }
}

// Exit explicitly: libraries (Hardhat, snarkjs) may leave handles open once their work is done.
main(process.argv).then((code) => process.exit(code));

/** Option parsing shared by the verbs: bad values are usage errors that say which option. */
import { type Command, Option } from 'commander';
import { ZkinferError } from '../core/errors.js';

export function integerOption(name: string, min: number, max: number): (value: string) => number {
  return (value) => {
    const n = Number(value);
    if (!/^-?\d+$/.test(value) || n < min || n > max) throw new ZkinferError('USAGE', `${name} must be an integer in ${min}..${max}, found '${value}'`);
    return n;
  };
}

/** A comma-separated list of integers in min..max, or 'none' for an empty list. */
export function integerListOption(name: string, min: number, max: number): (value: string) => number[] {
  const parse = integerOption(name, min, max);
  return (value) => (value.trim() === 'none' ? [] : value.split(',').map((part) => parse(part.trim())));
}

export function rangeOption(value: string): [number, number] {
  const parts = value.split(',').map((p) => Number(p.trim()));
  if (parts.length !== 2 || !parts.every(Number.isFinite) || !(parts[0] < parts[1])) {
    throw new ZkinferError('USAGE', `--input-range must be 'low,high' with low < high, found '${value}'`);
  }
  return [parts[0], parts[1]];
}

export interface ChainFlags {
  rpc?: string;
  privateKey?: string;
}

/** --rpc and --private-key (or $ZKINFER_PRIVATE_KEY, which keeps keys out of shell history). */
export function addChainOptions(command: Command): Command {
  return command
    .option('--rpc <url>', "a JSON-RPC endpoint (default: Hardhat's in-process network)")
    .addOption(new Option('--private-key <hex>', 'the sending account (with --rpc)').env('ZKINFER_PRIVATE_KEY'));
}

export function chainOptions(flags: ChainFlags): ChainFlags {
  return { ...(flags.rpc ? { rpc: flags.rpc } : {}), ...(flags.privateKey ? { privateKey: flags.privateKey } : {}) };
}

/** --input-shape and --output-name: how to load an ONNX model whose file leaves them open. */
export function addOnnxOptions(command: Command): Command {
  return command
    .option('--input-shape <dims>', "an ONNX model's input shape without the batch axis, when the file leaves it dynamic (e.g. 1,28,28)", integerListOption('--input-shape', 1, 1_000_000))
    .option('--output-name <name>', "the ONNX model's output to prove, when it has several (e.g. skl2onnx's probabilities)");
}

export function onnxOptions(flags: { inputShape?: number[]; outputName?: string }): { inputShape?: number[]; output?: string } {
  return { ...(flags.inputShape ? { inputShape: flags.inputShape } : {}), ...(flags.outputName !== undefined ? { output: flags.outputName } : {}) };
}

export interface PoolFlags {
  workers?: number;
  threads?: number;
  optimize?: 'latency' | 'throughput';
}

/** --threads and --optimize, for the verbs that prove (and --workers where there is a pool). */
export function addPoolOptions(command: Command, workers = true): Command {
  if (workers) command.option('--workers <n>', 'workers proving at once (default: chosen by --optimize)', integerOption('--workers', 1, 256));
  return command
    .option('--threads <n>', 'threads of each proof (default: chosen by --optimize; 1 without it)', integerOption('--threads', 1, 256))
    .addOption(new Option('--optimize <goal>', 'choose workers × threads for the latency of each proof or for proofs per minute (default throughput)').choices(['latency', 'throughput']));
}

/** createProver's options from the flags of addPoolOptions. */
export function poolOptions(flags: PoolFlags): { size?: number; threads?: number; optimize?: 'latency' | 'throughput' } {
  return {
    ...(flags.workers !== undefined ? { size: flags.workers } : {}),
    ...(flags.threads !== undefined ? { threads: flags.threads } : {}),
    ...(flags.optimize !== undefined ? { optimize: flags.optimize } : {}),
  };
}

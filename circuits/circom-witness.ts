/**
 * circom 2's witness program (the model.wasm `circom --wasm` writes), run directly. The program
 * keeps every value in its own memory; the host talks to it through a small shared buffer of one
 * field element (little-endian 32-bit words, at getSharedRWMemoryStart): an input value is
 * written there and set with setInputSignal(name hash, index), and once the last one is set the
 * program computes every signal, checking each `===` as it goes; getWitness(i) then puts wire i
 * there. Signals are named by the 64-bit FNV-1a hash of their name, in two 32-bit halves.
 *
 * circom_runtime (snarkjs's calculator) does the same, but it imports ffjavascript whole (its
 * curves' WebAssembly builders, its worker threads) for a few bigint conversions, which cost a
 * tenth of a second of CPU in every process that computes a witness; a one-shot `zkinfer prove`
 * pays it for nothing. The test suite holds the two to the same witnesses and the same failures.
 */
import { ArtifactError, ZkinferError, messageOf } from '../core/errors.js';
import { FIELD_MODULUS } from '../core/field.js';
import { WTNS_ELEMENT_BYTES, emptyWtns } from './wtns.js';
import type { CircuitInput, CircuitValue, WitnessCalculator } from './witness.js';

/** The exports zkinfer uses, as circom 2.1 writes them. */
interface CircomExports {
  memory: WebAssembly.Memory;
  getVersion(): number;
  getFieldNumLen32(): number;
  getRawPrime(): void;
  getSharedRWMemoryStart(): number;
  init(sanityCheck: number): void;
  getInputSignalSize(hashHigh: number, hashLow: number): number;
  setInputSignal(hashHigh: number, hashLow: number, index: number): void;
  getInputSize(): number;
  getWitnessSize(): number;
  getWitness(index: number): void;
  getMessageChar(): number;
}

const REQUIRED_EXPORTS = ['memory', 'getVersion', 'getFieldNumLen32', 'getRawPrime', 'getSharedRWMemoryStart', 'init', 'getInputSignalSize', 'setInputSignal', 'getInputSize', 'getWitnessSize', 'getWitness', 'getMessageChar'] as const;

/** 32-bit words of a bn128 scalar: the only field zkinfer's circuits use. */
const WORDS = WTNS_ELEMENT_BYTES / 4;

/** What exceptionHandler's codes mean (circom's runtime numbering). */
const FAILURES: Record<number, string> = {
  1: 'Signal not found.',
  2: 'Too many signals set.',
  3: 'Signal already set.',
  4: 'Assert Failed.',
  5: 'Not enough memory.',
  6: 'Input signal array access exceeds the size.',
};

export class CircomWitnessProgram {
  private instance: Instance | undefined;

  private constructor(
    private readonly module: WebAssembly.Module,
    private readonly file: string,
  ) {}

  /** Compile `wasm` (read from `file`, which errors name); ARTIFACT_INVALID if it is not a circom 2 witness program over bn128's scalar field. */
  static async compile(wasm: Uint8Array<ArrayBuffer>, file: string): Promise<CircomWitnessProgram> {
    let module: WebAssembly.Module;
    try {
      module = await WebAssembly.compile(wasm);
    } catch (error) {
      throw new ArtifactError('ARTIFACT_INVALID', `${file}: not a WebAssembly module: ${(error as Error).message}`, file, { cause: error });
    }
    const exported = new Set(WebAssembly.Module.exports(module).map((e) => e.name));
    const missing = REQUIRED_EXPORTS.filter((name) => !exported.has(name));
    if (missing.length > 0) throw new ArtifactError('ARTIFACT_INVALID', `${file}: not a circom 2 witness program (it does not export ${missing.join(', ')})`, file);
    const program = new CircomWitnessProgram(module, file);
    program.instance = program.instantiate();
    return program;
  }

  /**
   * Every wire's value for `input` (signal name → value, or nested arrays of them), in the shared
   * buffer's word order: wire i is words 8i … 8i + 7. Throws the program's failure (an Error whose
   * message begins as circom's runtime words it, e.g. "Assert Failed." and the template and line).
   */
  wires(input: CircuitInput, sanityCheck = false): { words: Uint32Array; count: number } {
    // A program stopped by a failure may hold half-set signals: the next input gets a fresh instance.
    const instance = this.instance ?? this.instantiate();
    this.instance = undefined;
    const { exports } = instance;
    exports.init(sanityCheck ? 1 : 0);
    let set = 0;
    for (const [name, value] of Object.entries(input)) {
      const values = flatten(value);
      const [high, low] = signalHash(name);
      const size = exports.getInputSignalSize(high, low);
      // circom 2.1 answers 0 for a name it does not know (older versions -1).
      if (size <= 0) throw new Error(`Signal ${name} is not an input of the circuit`);
      if (values.length !== size) throw new Error(`Input signal ${name} takes ${size} values, found ${values.length}`);
      for (let i = 0; i < values.length; i++) {
        instance.writeShared(toFieldElement(values[i]!, name, i));
        exports.setInputSignal(high, low, i);
        set += 1;
      }
    }
    if (set < exports.getInputSize()) throw new Error(`Not all inputs have been set: ${set} of ${exports.getInputSize()} values`);
    const count = exports.getWitnessSize();
    const words = new Uint32Array(count * WORDS);
    for (let i = 0; i < count; i++) {
      exports.getWitness(i);
      words.set(instance.shared(), i * WORDS);
    }
    this.instance = instance;
    return { words, count };
  }

  /** The witness as circom's .wtns bytes, as the prover takes it. */
  wtns(input: CircuitInput): Uint8Array {
    const { words, count } = this.wires(input);
    const { bytes, valuesAt } = emptyWtns(count);
    bytes.set(new Uint8Array(words.buffer, words.byteOffset, words.byteLength), valuesAt);
    return bytes;
  }

  /** Every wire's value, with circom's sanity checks on. */
  values(input: CircuitInput): bigint[] {
    const { words, count } = this.wires(input, true);
    return Array.from({ length: count }, (_, i) => wordsToBigint(words.subarray(i * WORDS, (i + 1) * WORDS)));
  }

  private instantiate(): Instance {
    let messages = '';
    // Filled once the instance exists: the imports below are only called while it runs.
    let exports: CircomExports | undefined;
    const message = () => {
      let text = '';
      for (let c = exports!.getMessageChar(); c !== 0; c = exports!.getMessageChar()) text += String.fromCharCode(c);
      return text;
    };
    const runtime = {
      exceptionHandler: (code: number) => {
        throw new Error(`${FAILURES[code] ?? `Unknown error (code ${code}).`} ${messages}`);
      },
      printErrorMessage: () => {
        messages += `${message()}\n`;
      },
      // circom's log(): zkinfer's templates do not log; the text is read (the program expects it) and dropped.
      writeBufferMessage: () => void message(),
      showSharedRWMemory: () => undefined,
    };
    const instance = new WebAssembly.Instance(this.module, { runtime });
    exports = instance.exports as unknown as CircomExports;
    const shared = () => new Uint32Array(exports!.memory.buffer, exports!.getSharedRWMemoryStart(), WORDS);
    if (exports.getVersion() !== 2 || exports.getFieldNumLen32() !== WORDS) {
      throw new ArtifactError('ARTIFACT_INVALID', `${this.file}: not a circom 2 witness program over 32-byte field elements`, this.file);
    }
    exports.getRawPrime();
    if (wordsToBigint(shared()) !== FIELD_MODULUS) throw new ArtifactError('ARTIFACT_INVALID', `${this.file}: its field is not bn128's scalar field`, this.file);
    return {
      exports,
      shared,
      writeShared: (value) => {
        const words = shared();
        for (let j = 0; j < WORDS; j++, value >>= 32n) words[j] = Number(value & 0xffffffffn);
      },
    };
  }
}

interface Instance {
  exports: CircomExports;
  /** The shared buffer (a fresh view: the memory may have grown). */
  shared(): Uint32Array;
  writeShared(value: bigint): void;
}

/** The 64-bit FNV-1a hash of a signal's name, as [high, low] 32-bit halves. */
export function signalHash(name: string): [number, number] {
  let hash = 0xcbf29ce484222325n;
  for (let i = 0; i < name.length; i++) hash = BigInt.asUintN(64, (hash ^ BigInt(name.charCodeAt(i))) * 0x100000001b3n);
  return [Number(hash >> 32n), Number(hash & 0xffffffffn)];
}

function flatten(value: CircuitValue): (bigint | number | string)[] {
  return Array.isArray(value) ? (value as readonly CircuitValue[]).flatMap(flatten) : [value as bigint | number | string];
}

/** An input value as a field element: integers (numbers, bigints, decimal or 0x strings) modulo r, negatives from the top. */
function toFieldElement(value: bigint | number | string, name: string, index: number): bigint {
  let integer: bigint;
  try {
    integer = BigInt(value);
  } catch {
    throw new Error(`Input signal ${name}[${index}] is not an integer: ${String(value).slice(0, 60)}`);
  }
  const element = integer % FIELD_MODULUS;
  return element < 0n ? element + FIELD_MODULUS : element;
}

function wordsToBigint(words: Uint32Array): bigint {
  let value = 0n;
  for (let j = words.length - 1; j >= 0; j--) value = (value << 32n) | BigInt(words[j]!);
  return value;
}

/** A WitnessCalculator over circom's witness program `wasm` (read from `file`, which errors name). */
export async function circomCalculator(wasm: Uint8Array<ArrayBuffer>, file: string): Promise<WitnessCalculator> {
  const program = await CircomWitnessProgram.compile(wasm, file);
  return {
    backend: 'circom',
    async calculate(input) {
      try {
        return program.values(input);
      } catch (error) {
        throw new ZkinferError('CIRCUIT', `the circuit rejects this input: ${messageOf(error).trim().split('\n')[0]}`, { cause: error });
      }
    },
    calculateWtns: async (input) => program.wtns(input),
  };
}

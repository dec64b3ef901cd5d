/**
 * circomlib's Poseidon hash (poseidon.circom's Poseidon(n): PoseidonEx(n, 1) from a state of 0),
 * computed in the prover's WebAssembly on field29's Fr: the off-circuit commitments
 * (circuits/commitment.ts) hash with it, so that a producer, a worker, `zkinfer prove` and
 * `zkinfer verify` compute them in one place. It evaluates poseidon.circom's own rounds with its
 * own constants (circuits/poseidon-constants.ts, read from circomlib at run time): full rounds
 * with the matrix M (P before the partial rounds), partial rounds with their sparse matrices S,
 * and the last round's first column of M. Tests hold it to poseidon-lite and to the circuit's
 * Poseidon (the direct path's, held to circom's) on every width.
 *
 * The kernels (poseidon-kernels.ts) do a round's work on t elements at once; the rounds are
 * sequenced here, about 80 calls a hash. Elements are field29's (Montgomery, R = 2^261, 36 bytes); a hash of 8 inputs
 * takes about 2,000 field multiplications, all in WebAssembly, and makes no garbage but its
 * result (poseidon-lite's BigInt arithmetic, with dense matrices in every round, made thousands).
 */
import { FIELD_MODULUS, fieldPow } from '../core/field.js';
import { N_ROUNDS_F, N_ROUNDS_P, poseidonConstants } from '../circuits/poseidon-constants.js';
import { LIMBS, LIMB_BITS, ZQ_BYTES, toLimbs } from './field29.js';
import { POSEIDON_KERNELS } from './poseidon-kernels.js';
import { proverModule } from './wasm-module.js';
import { WasmArena } from './wasm-arena.js';

const R = 1n << BigInt(LIMBS * LIMB_BITS);
const R_INVERSE = fieldPow(R % FIELD_MODULUS, FIELD_MODULUS - 2n);
const toMontgomery = (value: bigint) => toLimbs((((value % FIELD_MODULUS) + FIELD_MODULUS) % FIELD_MODULUS) * R % FIELD_MODULUS);

/** One width's constants in the arena: pointers to C, M and P (transposed: row i is Mix's column i) and S. */
interface Width {
  t: number;
  rounds: number;
  C: number;
  M: number;
  P: number;
  S: number;
}

type Kernel = (...args: number[]) => number;

class PoseidonArena {
  private readonly widths = new Map<number, Width>();
  private readonly kernels: Record<keyof typeof POSEIDON_KERNELS, Kernel>;
  /** The state and the kernels' scratch, room for the widest. */
  private readonly state: number;
  private readonly scratch: number;
  private readonly result: number;

  constructor(private readonly arena: WasmArena) {
    this.kernels = Object.fromEntries(Object.entries(POSEIDON_KERNELS).map(([k, name]) => [k, arena.fn(name)])) as PoseidonArena['kernels'];
    const widest = N_ROUNDS_P.length + 1;
    this.state = arena.alloc(widest * ZQ_BYTES);
    this.scratch = arena.alloc(widest * ZQ_BYTES);
    this.result = arena.alloc(ZQ_BYTES);
  }

  hash(inputs: readonly bigint[]): bigint {
    const w = this.width(inputs.length + 1);
    const { t } = w;
    const k = this.kernels;
    this.writeElements(this.state, [0n, ...inputs]);
    const C = (index: number) => w.C + index * ZQ_BYTES;
    k.ark(t, this.state, C(0));
    for (let r = 0; r < N_ROUNDS_F / 2; r++) {
      k.sigma(t, this.state);
      k.ark(t, this.state, C((r + 1) * t));
      k.mix(t, r < N_ROUNDS_F / 2 - 1 ? w.M : w.P, this.state, this.scratch);
    }
    for (let r = 0; r < w.rounds; r++) k.partial(t, C((N_ROUNDS_F / 2 + 1) * t + r), w.S + r * (2 * t - 1) * ZQ_BYTES, this.state, this.scratch);
    for (let r = 0; r < N_ROUNDS_F / 2 - 1; r++) {
      k.sigma(t, this.state);
      k.ark(t, this.state, C((N_ROUNDS_F / 2 + 1) * t + w.rounds + r * t));
      k.mix(t, w.M, this.state, this.scratch);
    }
    k.sigma(t, this.state);
    k.dot(t, w.M, this.state, this.result);
    return this.readElement(this.result);
  }

  /** A width's constants, written into the arena when first used. */
  private width(t: number): Width {
    let w = this.widths.get(t);
    if (!w) {
      const { C, S, M, P } = poseidonConstants(t);
      const transposed = (m: bigint[][]) => m.map((_, i) => m.map((row) => row[i]!)).flat();
      const place = (values: bigint[]) => {
        const pointer = this.arena.alloc(values.length * ZQ_BYTES);
        this.writeElements(pointer, values);
        return pointer;
      };
      w = { t, rounds: N_ROUNDS_P[t - 2]!, C: place(C), M: place(transposed(M)), P: place(transposed(P)), S: place(S) };
      this.widths.set(t, w);
    }
    return w;
  }

  private writeElements(pointer: number, values: readonly bigint[]): void {
    const limbs = new Uint32Array(values.length * LIMBS);
    values.forEach((v, k) => limbs.set(toMontgomery(v), k * LIMBS));
    this.arena.write(pointer, new Uint8Array(limbs.buffer));
  }

  private readElement(pointer: number): bigint {
    const limbs = new Uint32Array(this.arena.copy(pointer, ZQ_BYTES).buffer);
    let value = 0n;
    for (let i = LIMBS - 1; i >= 0; i--) value = (value << BigInt(LIMB_BITS)) | BigInt(limbs[i]!);
    return (value * R_INVERSE) % FIELD_MODULUS;
  }
}

let instance: PoseidonArena | undefined;

/**
 * circomlib's Poseidon of 1 to 16 field elements (reduced mod r first, as circom's inputs are):
 * poseidon-lite's `poseidonN(inputs)`, bit for bit.
 */
export function poseidon(inputs: readonly bigint[]): bigint {
  instance ??= new PoseidonArena(WasmArena.create(proverModule()));
  return instance.hash(inputs);
}

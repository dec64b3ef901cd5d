/**
 * Off-chain Groth16 verification: the check e(A, B) = e(α, β) · e(L, γ) · e(C, δ), with
 * L = IC₀ + Σ sᵢ·ICᵢ over the public signals sᵢ.
 *
 * Encodings: snarkjs reduces proof coordinates modulo q and accepts projective z coordinates, so
 * one valid proof has many encodings it would accept; the Solidity verifier (EIP-197) instead
 * rejects coordinates >= q and G2 points outside the prime-order subgroup. We accept only the
 * canonical affine encoding snarkjs itself produces, with signals below r, so both agree.
 *
 * Cost: snarkjs's `groth16.verify` spent about 26 ms of CPU a proof (mlp_196_25_10, 12 public
 * signals), most of it not pairing: ffjavascript's multi-threaded multiexp for the 12-term L
 * (12–24 ms, its set-up and thread messages for 12 points) and the four pairings' tasks sent to
 * its threads. A `PreparedVerifier` is built once per key: e(α, β) is computed then (on
 * ffjavascript's single-threaded curve, which also parses points and adds them), and β, γ and δ
 * keep their Miller-loop line coefficients in a PairingArena on the prover's WebAssembly (which
 * the caller gives: prover/verify.ts under Node, the page's copy in a browser). A proof then costs
 * L (prover/public-input.ts: fixed-base tables of the ICᵢ once they are used often), B's subgroup
 * test and B's line coefficients (prover/g2-kernels.ts), one Miller loop over the three pairs with
 * their squarings shared and one final exponentiation (prover/pairing-kernels.ts), all on
 * field29's limbs: for mlp_196_25_10 about 2.5 ms of CPU a proof against 5.6 ms with
 * ffjavascript's pairing and its G2 and G1 arithmetic (December 7, old and new alternating in one
 * process; bench/RESULTS.md). Several proofs at once (`verifyBatch`, which the queue producer
 * uses through prover/verify-batches.ts) share one loop's squarings, γ's, δ's and β's lines and
 * one final exponentiation, combined with random weights.
 */
import { ZkinferError } from '../core/errors.js';
import { BASE_FIELD_MODULUS, FIELD_MODULUS, parseCanonicalDecimal } from '../core/field.js';
import { type Element, type FfCurve, singleThreadCurve } from './bn128.js';
import { scalarBytes } from './g2-subgroup.js';
import { PairingArena, type PreparedG2 } from './pairing.js';
import { PublicInputPoint } from './public-input.js';
import type { Groth16Proof } from './pool/messages.js';

/** A snarkjs Groth16 verification key (the JSON that setupGroth16 writes). */
export interface VerificationKey {
  protocol: 'groth16';
  curve: 'bn128';
  nPublic: number;
  IC: unknown[];
  [field: string]: unknown;
}

export class PreparedVerifier {
  private constructor(
    private readonly curve: FfCurve,
    readonly nPublic: number,
    /** L from the signals, on tables of IC₀ … IC_nPublic. */
    private readonly publicInput: PublicInputPoint,
    /** Its target is e(α, β); it holds β's, γ's and δ's line coefficients. */
    private readonly pairing: PairingArena,
    private readonly gammaLines: PreparedG2,
    private readonly deltaLines: PreparedG2,
    /** α, affine, and β's lines: a batch's check pairs (Σwᵢ)α with β (verifyBatch). */
    private readonly alpha: Element,
    private readonly betaLines: PreparedG2,
  ) {}

  /**
   * Check a key's shape and points (canonical, on the curve, G2 points in G2) and precompute what
   * every proof shares; `module` is the prover's WebAssembly (prover/wasm-module.ts's, or the one
   * a page was shipped), whose kernels check the pairings.
   */
  static async prepare(vk: VerificationKey, module: WebAssembly.Module): Promise<PreparedVerifier> {
    checkVerificationKey(vk);
    const { curve } = await singleThreadCurve();
    const pairing = PairingArena.create(module, { g1: curve.G1.g, g2: curve.G2.g });
    // IC points may be the point at infinity (a signal no constraint uses); α, β, γ and δ never are.
    const g1 = (field: string, value: unknown, infinityAllowed: boolean) => {
      const point = g1Point(curve, value);
      if (!point || (!infinityAllowed && curve.G1.isZero(point))) throw keyError(field, 'not a canonical affine G1 point on the curve');
      return point;
    };
    const g2 = (field: string) => {
      const point = g2Point(curve, vk[field]);
      if (!point || curve.G2.isZero(point) || !pairing.inG2(point)) throw keyError(field, 'not a canonical affine point of G2');
      return point;
    };
    const alpha = g1('vk_alpha_1', vk.vk_alpha_1, false);
    const [beta, gamma, delta] = [g2('vk_beta_2'), g2('vk_gamma_2'), g2('vk_delta_2')];
    const ic = vk.IC.map((point, i) => g1(`IC[${i}]`, point, true));
    const alphaBeta = curve.finalExponentiation(curve.millerLoop(curve.prepareG1(curve.G1.toJacobian(alpha)), curve.prepareG2(curve.G2.toJacobian(beta))));
    pairing.setTarget(alphaBeta);
    const [gammaLines, deltaLines, betaLines] = [gamma, delta, beta].map((point) => pairing.prepareG2(point));
    return new PreparedVerifier(curve, vk.nPublic, new PublicInputPoint(curve, ic, module), pairing, gammaLines!, deltaLines!, alpha, betaLines!);
  }

  /** True only for a valid proof, canonically encoded, of exactly these public signals. */
  verify(publicSignals: readonly unknown[], proof: Groth16Proof): boolean {
    const statement = this.statement(publicSignals, proof);
    return statement !== undefined && this.holds(statement);
  }

  /**
   * Each proof's verdict, as verify would give it, with one pairing check for all of them: for
   * weights wᵢ, ∏ e(wᵢAᵢ, Bᵢ) · e(−ΣwᵢLᵢ, γ) · e(−ΣwᵢCᵢ, δ) · e(−(Σwᵢ)α, β) = 1, one multi-Miller
   * loop and one final exponentiation where each proof alone needs both. Each proof's equation
   * holds exactly when its factor dᵢ = e(Aᵢ, Bᵢ) / (e(α, β) e(Lᵢ, γ) e(Cᵢ, δ)) is 1, and the check
   * is ∏ dᵢ^wᵢ = 1 in Gt, of prime order r. w₁ is 1 and the others are random 128-bit weights (drawn
   * here, after the proofs are given): if some dⱼ ≠ 1 with j ≥ 2, whatever the other proofs and
   * weights are, at most one of the 2¹²⁸ values of wⱼ passes; if d₁ is the only one ≠ 1, the product
   * is d₁ and fails. So a batch holding an invalid proof passes with probability at most 2⁻¹²⁸, as
   * with every weight random, and the first proof's three scalar multiplications are saved.
   * A batch that fails is checked proof by proof, so the verdicts name the invalid ones.
   */
  verifyBatch(items: readonly { publicSignals: readonly unknown[]; proof: Groth16Proof }[]): boolean[] {
    const statements = items.map(({ publicSignals, proof }) => this.statement(publicSignals, proof));
    const wellFormed = statements.filter((s): s is Statement => s !== undefined);
    if (wellFormed.length >= 2 && this.batchHolds(wellFormed)) return statements.map((s) => s !== undefined);
    return statements.map((s) => s !== undefined && this.holds(s));
  }

  /** A proof's statement when it is well formed and B is in G2, else undefined (the proof is invalid). */
  private statement(publicSignals: readonly unknown[], proof: Groth16Proof): Statement | undefined {
    const statement = this.parseStatement(publicSignals, proof);
    return statement && this.pairing.inG2(statement.b) ? statement : undefined;
  }

  /** e(A, B) · e(−L, γ) · e(−C, δ) = e(α, β), as one multi-Miller loop and one final exponentiation. */
  private holds({ a, b, c, signals }: Statement): boolean {
    const { G1 } = this.curve;
    return this.pairing.productEqualsTarget([
      { g1: G1.toJacobian(a), g2: b },
      { g1: G1.neg(this.publicInput.of(signals)), g2: this.gammaLines },
      { g1: G1.neg(G1.toJacobian(c)), g2: this.deltaLines },
    ]);
  }

  private batchHolds(statements: readonly Statement[]): boolean {
    const { G1 } = this.curve;
    const times = (point: Element, scalar: bigint) => (scalar === 1n ? G1.toJacobian(point) : G1.timesScalar(point, scalarBytes(scalar)));
    // The first weight is 1: see verifyBatch.
    const weights = statements.map((_, i) => (i === 0 ? 1n : randomWeight()));
    const pairs: { g1: Element; g2: Element | PreparedG2 }[] = statements.map((s, i) => ({ g1: times(s.a, weights[i]!), g2: s.b }));
    const sum = (points: Element[]) => points.reduce((total, point) => G1.add(total, point));
    const l = sum(statements.map((s, i) => times(this.publicInput.of(s.signals), weights[i]!)));
    const c = sum(statements.map((s, i) => times(s.c, weights[i]!)));
    const alpha = times(this.alpha, weights.reduce((total, w) => total + w) % FIELD_MODULUS);
    pairs.push({ g1: G1.neg(l), g2: this.gammaLines }, { g1: G1.neg(c), g2: this.deltaLines }, { g1: G1.neg(alpha), g2: this.betaLines });
    return this.pairing.productIsOne(pairs);
  }

  /**
   * A, B, C and the signals, or undefined when any is malformed: not affine with canonical
   * coordinates, off the curve, the point at infinity (an honest proof's A, B and C are blinded
   * by random r and s, so they are never it: refusing it costs nothing), or a signal not below r,
   * or the wrong count.
   */
  private parseStatement(publicSignals: readonly unknown[], proof: Groth16Proof): Statement | undefined {
    if (typeof proof !== 'object' || proof === null || proof.protocol !== 'groth16' || proof.curve !== 'bn128') return undefined;
    if (!Array.isArray(publicSignals) || publicSignals.length !== this.nPublic) return undefined;
    const signals = publicSignals.map((s) => parseCanonicalDecimal(s, FIELD_MODULUS));
    if (signals.some((s) => s === undefined)) return undefined;
    const a = g1Point(this.curve, proof.pi_a);
    const b = g2Point(this.curve, proof.pi_b);
    const c = g1Point(this.curve, proof.pi_c);
    if (!a || !b || !c || this.curve.G1.isZero(a) || this.curve.G2.isZero(b) || this.curve.G1.isZero(c)) return undefined;
    return { a, b, c, signals: signals as bigint[] };
  }
}

/** A proof's points, affine, and its public signals. */
interface Statement {
  a: Element;
  b: Element;
  c: Element;
  signals: bigint[];
}

/** A batch's weight: uniform in [1, 2¹²⁸), from the platform's cryptographic generator. */
function randomWeight(): bigint {
  for (;;) {
    const words = globalThis.crypto.getRandomValues(new Uint32Array(4));
    const weight = words.reduce((total, word) => (total << 32n) | BigInt(word), 0n);
    if (weight !== 0n) return weight;
  }
}

function checkVerificationKey(vk: VerificationKey): void {
  const ok =
    typeof vk === 'object' &&
    vk !== null &&
    vk.protocol === 'groth16' &&
    vk.curve === 'bn128' &&
    Number.isInteger(vk.nPublic) &&
    Array.isArray(vk.IC) &&
    vk.IC.length === vk.nPublic + 1;
  if (!ok) throw new ZkinferError('ARTIFACT_INVALID', 'not a Groth16 bn128 verification key (protocol, curve, nPublic or IC is wrong)');
}

const keyError = (field: string, what: string) => new ZkinferError('ARTIFACT_INVALID', `the verification key's ${field} is ${what}`, { details: { field } });

const isList = (value: unknown, length: number): value is unknown[] => Array.isArray(value) && value.length === length;
const baseField = (value: unknown) => parseCanonicalDecimal(value, BASE_FIELD_MODULUS);

/** ["x", "y", "1"] with x, y < q, on the curve: ffjavascript's affine point, else undefined. */
function g1Point(curve: FfCurve, value: unknown): Element | undefined {
  if (!isList(value, 3) || value[2] !== '1') return undefined;
  const [x, y] = [baseField(value[0]), baseField(value[1])];
  if (x === undefined || y === undefined) return undefined;
  const point = curve.G1.fromObject([x, y]);
  return curve.G1.isValid(point) ? point : undefined;
}

/** [["x0", "x1"], ["y0", "y1"], ["1", "0"]] with coordinates < q, on the twist (G2 membership is apart). */
function g2Point(curve: FfCurve, value: unknown): Element | undefined {
  if (!isList(value, 3) || !isList(value[2], 2) || value[2][0] !== '1' || value[2][1] !== '0') return undefined;
  if (!isList(value[0], 2) || !isList(value[1], 2)) return undefined;
  const coordinates = [value[0][0], value[0][1], value[1][0], value[1][1]].map(baseField);
  if (coordinates.some((v) => v === undefined)) return undefined;
  const [x0, x1, y0, y1] = coordinates as bigint[];
  const point = curve.G2.fromObject([
    [x0, x1],
    [y0, y1],
  ]);
  return curve.G2.isValid(point) ? point : undefined;
}

/**
 * Proof checks gathered into batches: checks asked for together are verified in one pairing check
 * (PreparedVerifier.verifyBatch), one final exponentiation and one Miller loop for all of them
 * (for mlp_196_25_10, 2.5 ms of CPU a proof alone, 2.3 in twos, 1.8 in fours). A producer asks
 * for a check as each completed job arrives; those one read from Redis brings share a batch.
 *
 * With a hold (`maxHoldMs`, none by default), where checks arrive often a check also waits a
 * little for company: up to twice the recent mean gap between checks, and never more than the
 * hold, so a lone check, or checks arriving seldom, wait for nothing; the next check to arrive
 * flushes the batch at once. The wait is latency traded for CPU, worth it only where the
 * producer's CPU is taken from the proofs (a producer on the provers' machine, its cores full):
 * measured, checks arriving every 60 ms formed pairs and took 0.5–2.4 ms less CPU each, and waited
 * about 65 ms longer (median).
 */
import type { Groth16Proof } from './pool/messages.js';
import type { PreparedVerifier } from './verify.js';

/** Most proofs in one pairing check: the verifier prepares each one's B in its memory (17 KB each). */
export const MAX_BATCH = 16;
/** Weight of the newest gap in the running mean of gaps between checks. */
const GAP_WEIGHT = 0.2;

/** How long a check arriving alone waits for company, given the mean gap between checks (undefined: none yet) and the longest hold. */
export function holdMs(meanGapMs: number | undefined, maxHoldMs: number): number {
  if (meanGapMs === undefined || meanGapMs >= maxHoldMs) return 0;
  return Math.min(2 * meanGapMs, maxHoldMs);
}

interface Check {
  publicSignals: readonly unknown[];
  proof: Groth16Proof;
  settle: (valid: boolean | Error) => void;
}

export class VerificationBatches {
  private pending: Check[] = [];
  private hold: ReturnType<typeof setTimeout> | undefined;
  private lastArrival: number | undefined;
  private meanGap: number | undefined;
  /** Proofs checked and pairing checks made for them, so far (more proofs than batches: batches paid). */
  readonly counts = { proofs: 0, batches: 0 };

  /** `maxHoldMs`: the longest a check may wait for another to share its pairing check (0, the default: never). */
  constructor(
    private readonly verifier: PreparedVerifier,
    private readonly maxHoldMs = 0,
  ) {}

  /** Resolves to verify's verdict on this proof, made in a batch with the checks asked for beside it. */
  verify(publicSignals: readonly unknown[], proof: Groth16Proof): Promise<boolean> {
    const now = performance.now();
    if (this.lastArrival !== undefined) {
      const gap = now - this.lastArrival;
      this.meanGap = this.meanGap === undefined ? gap : (1 - GAP_WEIGHT) * this.meanGap + GAP_WEIGHT * gap;
    }
    this.lastArrival = now;
    return new Promise((resolve, reject) => {
      this.pending.push({ publicSignals, proof, settle: (valid) => (valid instanceof Error ? reject(valid) : resolve(valid)) });
      if (this.pending.length === 1) {
        const wait = holdMs(this.meanGap, this.maxHoldMs);
        if (wait > 0) this.hold = setTimeout(() => this.flush(), wait);
        else setImmediate(() => this.flush());
      } else if (this.hold !== undefined) {
        // Company came: the batch goes once this turn's other arrivals are in.
        clearTimeout(this.hold);
        this.hold = undefined;
        setImmediate(() => this.flush());
      }
    });
  }

  private flush(): void {
    this.hold = undefined;
    while (this.pending.length > 0) {
      const batch = this.pending.splice(0, MAX_BATCH);
      this.counts.proofs += batch.length;
      this.counts.batches += 1;
      let verdicts: boolean[] | Error;
      try {
        verdicts = this.verifier.verifyBatch(batch);
      } catch (error) {
        verdicts = error instanceof Error ? error : new Error(String(error));
      }
      for (const [i, check] of batch.entries()) check.settle(verdicts instanceof Error ? verdicts : verdicts[i]!);
    }
  }
}

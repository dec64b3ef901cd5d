/**
 * The recipient of a recipient-bound circuit (--recipient public) at the witness level: a public
 * input that the constraints hold (a witness with another recipient and the rest unchanged
 * violates one), and that the audit requires to be held: the same circuit without the binding
 * constraint is reported. (Cost model and reference equality: model-circuit.test.ts's modes.)
 */
import { describe, expect, it } from 'vitest';
import { auditInputs, auditModelCircuit } from '../../circuits/audit/index.js';
import { firstViolatedConstraint } from '../../circuits/r1cs.js';
import { witnessInput } from '../../circuits/signals.js';
import type { Visibility } from '../../circuits/visibility.js';
import { ADDRESS_LIMIT } from '../../core/address.js';
import { quantizeModel } from '../../model/quantize/index.js';
import { describeFindings } from '../helpers/audit.js';
import { compileModel, compileSource } from '../helpers/circuits.js';
import { randomDenseModel, randomInputs, seededRng } from '../helpers/random.js';

const visibility: Visibility = { input: 'private', output: 'public', params: 'fixed', recipient: 'public' };
const { model } = quantizeModel(randomDenseModel(seededRng(21), [6, 4, 3]), { calibration: randomInputs(seededRng(22), 16, 6) });
const input = auditInputs(model, 1, 4).at(-1)!.values;
const recipient = ADDRESS_LIMIT - 1n;

describe('the recipient in the circuit', () => {
  it('is a public input that a constraint holds: another recipient breaks the witness', async () => {
    const circuit = await compileModel(model, visibility);
    expect(circuit.r1cs.nPubIn).toBe(1);
    expect(circuit.source).toMatch(/component main \{public \[recipient\]\} = Model\(\);/);
    const witness = await circuit.witness.calculate(witnessInput(model, circuit.plan, input, 0n, recipient));
    expect(firstViolatedConstraint(circuit.r1cs, witness)).toBe(-1);
    const wire = circuit.r1cs.nPubOut + circuit.r1cs.nPubIn; // the last public signal
    expect(witness[wire]).toBe(recipient);
    const tampered = [...witness];
    tampered[wire] = BigInt('0xde709f2102306220921060314715629080e2fb77');
    // The constraint the tampered witness breaks is one the recipient's wire is in.
    const violated = firstViolatedConstraint(circuit.r1cs, tampered);
    expect(violated).not.toBe(-1);
    expect(circuit.r1cs.constraints[violated]!.some((lc) => lc.has(wire))).toBe(true);
  });

  it('refuses to build a witness without a recipient, or with one that is no address', async () => {
    const circuit = await compileModel(model, visibility);
    expect(() => witnessInput(model, circuit.plan, input, 0n)).toThrow(/binds each proof to a recipient/);
    expect(() => witnessInput(model, circuit.plan, input, 0n, ADDRESS_LIMIT)).toThrow(/is no address/);
    const { plan } = await compileModel(model, { ...visibility, recipient: 'none' });
    expect(() => witnessInput(model, plan, input, 0n, recipient)).toThrow(/takes no recipient/);
  });

  it('the audit passes it, and reports a public recipient that no constraint holds', async () => {
    const circuit = await compileModel(model, visibility);
    const inputs = auditInputs(model, 1, 4);
    const sound = await auditModelCircuit(model, circuit.files, { plan: circuit.plan, inputs });
    expect(sound.ok, describeFindings(sound)).toBe(true);

    // The same circuit with its binding constraint taken out: a proof would hold for any recipient.
    const unbound = circuit.source.replace(/\n\s*signal recipientSquare;\n\s*recipientSquare <== recipient \* recipient;/, '');
    expect(unbound).not.toBe(circuit.source);
    const { files } = await compileSource(unbound);
    const report = await auditModelCircuit(model, files, { plan: circuit.plan, inputs });
    expect(report.ok).toBe(false);
    expect(report.findings).toEqual([expect.objectContaining({ kind: 'unconstrained', message: expect.stringMatching(/the public input recipient appears in no constraint: no constraint binds the proof to its value/) })]);
  });
});

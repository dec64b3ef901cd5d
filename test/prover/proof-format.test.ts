import { describe, expect, it } from 'vitest';
import { ZkinferError } from '../../core/errors.js';
import { parseGroth16Proof, parsePublicSignals } from '../../prover/proof-format.js';

const Q = 21888242871839275222246405745257275088696311157297823662689037894645226208583n;

/** Syntactically valid; these tests never verify it. */
const sample = () => ({
  pi_a: ['1', '2', '1'],
  pi_b: [
    ['3', '4'],
    ['5', '6'],
    ['1', '0'],
  ],
  pi_c: ['7', '8', '1'],
  protocol: 'groth16',
  curve: 'bn128',
});

function formatError(run: () => unknown): ZkinferError {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(ZkinferError);
    expect((error as ZkinferError).code).toBe('PROOF_INVALID');
    return error as ZkinferError;
  }
  throw new Error('expected a PROOF_INVALID error');
}

describe('parseGroth16Proof', () => {
  it('returns a normalized copy without unknown fields', () => {
    const input = { ...sample(), extra: 'ignored' };
    const parsed = parseGroth16Proof(input, 'proof.json');
    expect(parsed).toEqual(sample());
    expect(parsed).not.toBe(input);
    expect(parsed.pi_b[0]).not.toBe(input.pi_b[0]);
  });

  it('leaves range to the verifier: coordinates >= q are well-formed', () => {
    const proof = sample();
    proof.pi_a[0] = (Q + 5n).toString();
    expect(parseGroth16Proof(proof, 'proof.json').pi_a[0]).toBe((Q + 5n).toString());
  });

  const cases: [string, (proof: ReturnType<typeof sample>) => void, string, RegExp][] = [
    ['a number instead of a string', (p) => ((p.pi_b[1] as unknown[])[0] = 5), 'proof.pi_b[1][0]', /decimal string, found number/],
    ['a hexadecimal string', (p) => (p.pi_a[1] = '0x10'), 'proof.pi_a[1]', /decimal string/],
    ['a negative number', (p) => (p.pi_c[0] = '-1'), 'proof.pi_c[0]', /without sign/],
    ['leading zeros', (p) => (p.pi_c[2] = '01'), 'proof.pi_c[2]', /leading zeros/],
    ['an empty string', (p) => (p.pi_a[0] = ''), 'proof.pi_a[0]', /decimal string/],
    ['a huge string', (p) => (p.pi_b[2]![1] = '9'.repeat(1_000_000)), 'proof.pi_b[2][1]', /too long \(1000000 characters\)/],
    ['a short pi_a', (p) => p.pi_a.pop(), 'proof.pi_a', /3 elements, found 2/],
    ['a pi_b pair of three', (p) => p.pi_b[0]!.push('9'), 'proof.pi_b[0]', /2 elements, found 3/],
    ['a missing pi_c', (p) => delete (p as Partial<typeof p>).pi_c, 'proof.pi_c', /array of 3, found undefined/],
    ['another protocol', (p) => (p.protocol = 'plonk'), 'proof.protocol', /"groth16", found "plonk"/],
    ['another curve', (p) => (p.curve = 'bls12381'), 'proof.curve', /"bn128"/],
  ];
  for (const [what, change, field, problem] of cases) {
    it(`names the field for ${what}`, () => {
      const proof = sample();
      change(proof);
      const error = formatError(() => parseGroth16Proof(proof, 'proofs/42.json'));
      expect(error.message).toMatch(new RegExp(`^proofs/42\\.json: ${field.replace(/[[\].]/g, '\\$&')} `));
      expect(error.message).toMatch(problem);
      expect(error.details).toEqual({ where: 'proofs/42.json', field });
      expect(error.message.length).toBeLessThan(200);
    });
  }

  it('refuses what is not an object', () => {
    for (const value of [null, [], 'proof', 3]) {
      expect(formatError(() => parseGroth16Proof(value, 'p.json')).details.field).toBe('proof');
    }
  });
});

describe('parsePublicSignals', () => {
  it('copies an array of decimal strings of the expected length', () => {
    const input = ['0', '15', (2n ** 300n).toString()];
    const parsed = parsePublicSignals(input, 3, 'public.json');
    expect(parsed).toEqual(input);
    expect(parsed).not.toBe(input);
  });

  it('names the bad signal or the count', () => {
    expect(formatError(() => parsePublicSignals(['1', 2], 2, 'public.json')).message).toBe(
      'public.json: publicSignals[1] must be a decimal string, found number',
    );
    expect(formatError(() => parsePublicSignals(['1'], 2, 'public.json')).message).toBe(
      'public.json: publicSignals must have 2 elements, found 1',
    );
    expect(formatError(() => parsePublicSignals({ 0: '1' }, 1, 'public.json')).details.field).toBe('publicSignals');
  });
});

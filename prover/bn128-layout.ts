/**
 * bn128's byte layouts, in one place: ffjavascript's "LEM" form, as .zkey and .ptau files and the
 * curve's WebAssembly hold them. Field elements are 32 bytes little-endian (Montgomery form in
 * the curve's memory); an affine G1 point is x‖y (64 bytes), a Jacobian one x‖y‖z (96); G2
 * coordinates are pairs of base-field elements, so 128 and 192 bytes.
 */

/** A scalar-field (Fr) element. */
export const FR_BYTES = 32;
/** A base-field (Fq) element: one coordinate of a G1 point, half of a G2 one. */
export const FQ_BYTES = 32;

export type GroupName = 'G1' | 'G2';

export interface GroupLayout {
  /** Prefix of the group's functions in the module: g1m_addMixed, g2m_batchToAffine, … */
  prefix: 'g1m' | 'g2m';
  affine: number;
  jacobian: number;
}

export const GROUPS: Record<GroupName, GroupLayout> = {
  G1: { prefix: 'g1m', affine: 2 * FQ_BYTES, jacobian: 3 * FQ_BYTES },
  G2: { prefix: 'g2m', affine: 4 * FQ_BYTES, jacobian: 6 * FQ_BYTES },
};

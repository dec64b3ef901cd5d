/**
 * The part of ffjavascript (snarkjs's curve library, 0.3.x) that the setup uses directly: the
 * ChaCha generator snarkjs seeds from a transcript hash to derive a G2 point (keypair.js hashToG2).
 */
declare module 'ffjavascript' {
  export class ChaCha {
    constructor(seed?: number[]);
    nextU32(): number;
  }
}

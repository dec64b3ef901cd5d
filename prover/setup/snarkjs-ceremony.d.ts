/**
 * The phase-2 ceremony functions of snarkjs 0.7 (src/zkey_beacon.js, zkey_verify_fromr1cs.js,
 * zkey_verify_frominit.js), added to the declarations in prover/snarkjs.d.ts. beacon resolves to
 * false after logging an error for a malformed hash or iteration count; the verifiers resolve to
 * a boolean.
 */
import 'snarkjs';

declare module 'snarkjs' {
  export namespace zKey {
    function beacon(oldFile: string, newFile: string, name: string, beaconHashHex: string, numIterationsExp: number, logger?: Logger): Promise<Uint8Array | false>;
    function verifyFromR1cs(r1csFile: string, ptauFile: string, zkeyFile: string, logger?: Logger): Promise<boolean>;
    function verifyFromInit(initFile: string, ptauFile: string, zkeyFile: string, logger?: Logger): Promise<boolean>;
  }

  export namespace powersOfTau {
    function beacon(oldFile: string, newFile: string, name: string, beaconHashHex: string, numIterationsExp: number, logger?: Logger): Promise<unknown>;
  }
}

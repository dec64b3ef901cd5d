/**
 * The part of snarkjs 0.7 that zkinfer uses. snarkjs ships no types; these are read from its
 * sources (src/*.js). Functions that report failure through `logger.error` and a `-1` result
 * instead of throwing are typed that way on purpose.
 */
declare module 'snarkjs' {
  export interface Logger {
    debug(message: string): void;
    info(message: string): void;
    warn(message: string): void;
    error(message: string): void;
  }

  /** A file snarkjs keeps in memory instead of on disk (fastfile's `{ type: 'mem' }`). */
  export interface MemFile {
    type: 'mem';
    data?: Uint8Array;
  }

  /** Multi-scalar multiplication over affine points in ffjavascript's LEM layout; scalars are 32-byte little-endian. */
  export interface MultiExpGroup {
    multiExpAffine(points: Uint8Array, scalars: Uint8Array, logger?: Logger, name?: string): Promise<Uint8Array>;
  }

  export interface CurveGroup {
    fromObject(coordinates: unknown[]): Uint8Array;
    timesScalar(point: Uint8Array, scalar: bigint): Uint8Array;
    isZero(point: Uint8Array): boolean;
    isValid(point: Uint8Array): boolean;
  }

  /** ffjavascript's bn128 engine; multi-threaded instances are shared through globalThis.curve_bn128. */
  export interface Curve {
    name: string;
    r: bigint;
    q: bigint;
    G1: CurveGroup & MultiExpGroup;
    G2: CurveGroup & MultiExpGroup;
    terminate(): Promise<void>;
  }

  export interface SnarkjsProof {
    pi_a: string[];
    pi_b: string[][];
    pi_c: string[];
    protocol: string;
    curve: string;
  }

  export namespace curves {
    function getCurveFromName(name: string, options?: { singleThread?: boolean }): Promise<Curve>;
  }

  export namespace powersOfTau {
    function newAccumulator(curve: Curve, power: number, file: string, logger?: Logger): Promise<unknown>;
    function contribute(oldFile: string, newFile: string, name: string, entropy: string, logger?: Logger): Promise<Uint8Array>;
    function preparePhase2(oldFile: string, newFile: string, logger?: Logger): Promise<void>;
  }

  export namespace zKey {
    /** Resolves to the circuit hash, or to -1 after logging an error (wrong curve, ptau too small, unprepared). */
    function newZKey(r1csFile: string, ptauFile: string, zkeyFile: string, logger?: Logger): Promise<Uint8Array | number>;
    function contribute(oldFile: string, newFile: string, name: string, entropy: string, logger?: Logger): Promise<Uint8Array>;
    function exportVerificationKey(zkeyFile: string, logger?: Logger): Promise<Record<string, unknown>>;
  }

  export namespace wtns {
    function calculate(input: unknown, wasmFile: string, wtnsFile: string | MemFile, options?: unknown): Promise<void>;
  }

  export namespace groth16 {
    function prove(
      zkeyFile: string | MemFile,
      wtnsFile: string | MemFile,
      logger?: Logger,
    ): Promise<{ proof: SnarkjsProof; publicSignals: string[] }>;
    function fullProve(
      input: unknown,
      wasmFile: string,
      zkeyFile: string,
    ): Promise<{ proof: SnarkjsProof; publicSignals: string[] }>;
    function verify(vk: unknown, publicSignals: unknown, proof: unknown, logger?: Logger): Promise<boolean>;
  }
}

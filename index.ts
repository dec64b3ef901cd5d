/**
 * zkinfer's library API. The CLI uses only what is exported here.
 *
 * Steps on an artifacts folder (each checks its inputs are current, writes atomically, records
 * itself in manifest.json): quantizeStep → compileStep → setupStep → proveStep / verifyStep →
 * exportVerifierStep → deployStep / verifyOnChainStep; inspectStep describes a folder; runDemo
 * does it all. The building blocks underneath are exported too, for those who need one stage.
 */
export { ZkinferError, ModelError, InputError, ArtifactError, exitCodeFor, type ErrorCode } from './core/errors.js';
export type { OnProgress, ProgressEvent } from './core/progress.js';
export { packageVersion, cacheDir } from './core/paths.js';

export type { QModel, QOp, QInput } from './model/ir.js';
export { parseQModel } from './model/ir.js';
export type { FloatModel, FloatLayer } from './model/float.js';
export { runFloat } from './model/float.js';
export { loadTfjsModel, type LoadedModel } from './model/load/tfjs.js';
export { loadOnnxModel, inspectOnnxModel, type OnnxLoadOptions, type OnnxInspection, type OnnxNodeReport } from './model/load/onnx/index.js';
export { loadModel, isOnnxFile } from './model/load/index.js';
export { quantizeModel, type QuantizeOptions } from './model/quantize/index.js';
export { runReference, type ReferenceTrace } from './model/reference.js';
export { analyzeBounds } from './model/bounds.js';
export { quantizeInput, parseInputDocument } from './model/input.js';
export { loadFashionMnist, toModelInput, FASHION_MNIST_LABELS, DEFAULT_FASHION_MNIST_DIR } from './model/data/fashion-mnist.js';

export { emitCircuit } from './circuits/emit/index.js';
export { planCircuit, totalCost } from './circuits/plan.js';
export { publicSignalLayout, decodePublicSignals, type PublicSignalLayout } from './circuits/layout.js';
export { inputCommitment, paramsCommitment, outputCommitment, poseidonChain } from './circuits/commitment.js';
export { expectedPublicSignals, witnessInput } from './circuits/signals.js';
export { type Visibility, DEFAULT_VISIBILITY, parseVisibility, describeVisibility } from './circuits/visibility.js';

export { ProverPool, type ProverPoolOptions, type WorkerStats } from './prover/pool/pool.js';
export { choosePoolShape, type PoolShape } from './prover/pool/shape.js';
export { verifyGroth16 } from './prover/verify.js';
export { Groth16Prover, type Groth16Proof, type Groth16Result, type ProveOptions, type ProverOptions } from './prover/groth16.js';

export { quantizeStep, type QuantizeStepOptions, type QuantizeStepResult, type LayerReport } from './pipeline/quantize.js';
export { compileStep, type CompileOptions, type CompileStepResult } from './pipeline/compile.js';
export { readCircuit, type CompiledCircuit } from './pipeline/artifacts.js';
export { setupStep, type SetupStepResult, DEV_SETUP_WARNING } from './pipeline/setup.js';
export { type SetupStepOptions, type SetupMode, type SetupSettings, type SetupContribution } from './pipeline/setup.js';
export { ceremonyContributeStep, ceremonyBeaconStep, ceremonyVerifyStep, type CeremonyContribution, type CeremonyStepResult, type CeremonyVerifyResult } from './pipeline/ceremony.js';
export { devSetup, type DevSetupOptions, type DevSetupResult } from './prover/setup/dev-setup.js';
export { checkProductionPtau, type ProductionPtau } from './prover/setup/ptau.js';
export { proveStep, type ProveStepOptions, type ProveStepResult, type InferenceInput } from './pipeline/prove.js';
export { createProver, type Prover, type ProverProof, type ProverStats, type CreateProverOptions } from './pipeline/prover.js';
export { proveBatchStep, batchProofName, type ProveBatchOptions, type ProveBatchResult, type BatchSummary, type BatchFailure } from './pipeline/batch.js';
export { startProvingServer, startQueueServer, type HttpServerOptions, type HttpMetrics, type ProvingServer, type ProvingServerOptions, type ServerMetrics, type QueueServer, type QueueServerOptions, type QueueServerMetrics } from './pipeline/serve.js';
export { ProofQueue, openProofQueue, type ProofQueueOptions, type ProofJobStatus, type SubmittedJob, type JobState } from './pipeline/queue/producer.js';
export { startQueueWorker, type QueueWorker, type QueueWorkerOptions, type QueueWorkerEvent, type QueueWorkerStats } from './pipeline/queue/worker.js';
export { readFleetMetrics, type FleetMetrics, type ModelQueueMetrics } from './pipeline/queue/fleet.js';
export { connectRedis, proofJobId, proofJobData, queueName, type ProofJobData, type ProofJobResult } from './pipeline/queue/jobs.js';
export { verifyStep, type VerifyStepOptions, type VerifyStepResult } from './pipeline/verify.js';
export { exportVerifierStep, deployStep, verifyOnChainStep, type DeployOptions, type DeployStepResult, type VerifyOnChainOptions, type VerifyOnChainResult } from './pipeline/contracts.js';
export { codehashOf, registerModel, submitInference, verifyInference, type ModelRegistration, type SubmissionOutcome } from './verifier-contracts/registry.js';
export { inspectStep, hashedParamsCost, type InspectResult } from './pipeline/inspect.js';
export { auditStep, type AuditStepOptions, type AuditStepResult } from './pipeline/audit.js';
export { auditCircuit, auditModelCircuit, auditInputs, type AuditReport, type AuditFinding, type AuditOptions } from './circuits/audit/index.js';
export { reportStep, buildReport, type ReportData } from './pipeline/report.js';
export { loadDataset, type Dataset } from './model/data/datasets.js';
export { describeFidelity, measureFidelity, type Fidelity, type FidelityData } from './model/quantize/fidelity.js';
export { analyzeOverflow } from './circuits/overflow.js';
export { runDemo, DEFAULT_DEMO_MODEL, zooModelPath, type DemoResult } from './pipeline/demo.js';
export type { ProofBundle } from './pipeline/proof-bundle.js';
export { writeJsonAtomic } from './core/files.js';
export { measureThroughput, measureMsmFloor, type ThroughputOptions, type ThroughputResult } from './bench/throughput.js';
export { measureQueueThroughput, type QueueBenchOptions, type QueueBenchResult, type QueueBenchRun } from './bench/queue.js';

// The seams of clsrl: data items, splits, prompts, the engine/policy contract, method plugins,
// run specs and stored rows. Types only (no behaviour), so every part can be built and tested alone.
// The data flow they serve: suite -> plan (RunSpec[]) -> split -> prompts -> method.train -> engine.generate
// -> scoring -> store -> report (README.md, docs/adding-a-method.md).

// ---------------------------------------------------------------------------------------------
// Data

/** One labelled image as a CoOp/Dassl `Datum`. */
export interface Example {
  /** Path relative to the data root, forward slashes (e.g. `oxford_pets/images/abyssinian_1.jpg`). */
  image: string;
  /** Absolute path on disk. */
  absPath: string;
  /** 0-based label within the class list of the set the example belongs to. */
  label: number;
  /** Class name exactly as the dataset defines it (underscores kept). */
  classname: string;
}

/** A dataset as read from disk: the full CoOp train/val/test lists and the class list. */
export interface LoadedDataset {
  /** Registry name, e.g. `OxfordPets` or a suite-defined name. */
  name: string;
  /** Class names in label order (derived from the train split, as Dassl does). */
  classnames: string[];
  train: Example[];
  val: Example[];
  test: Example[];
  /** sha256 over the split definition (file lists, labels, names), for reproducibility records. */
  fingerprint: string;
  /** Notes on deviations from the reference loader (e.g. ImageNet listdir order sorted). */
  notes: string[];
}

export type SettingName = 'few-shot' | 'base-to-new';

/** A named evaluation set: its items and the class list a prompt may offer as candidates. */
export interface EvalSet {
  /** `test` for few-shot, `base` / `new` for base-to-new, `transfer:<Dataset>` for cross-dataset. */
  name: string;
  /** The dataset the items come from. */
  dataset: string;
  classnames: string[];
  items: Example[];
}

/** The result of applying a setting to a dataset: what a method trains on and what it is tested on. */
export interface Split {
  dataset: string;
  setting: SettingName;
  shots: number;
  seed: number;
  /** `{all: [...]}` for few-shot, `{base: [...], new: [...]}` for base-to-new. */
  classes: Record<string, string[]>;
  /** Class list the training prompts draw candidates from (all classes, or the base classes). */
  trainClassnames: string[];
  train: Example[];
  /** Few-shot val with K = min(shots, 4) (empty for ImageNet), filtered like train. */
  val: Example[];
  evals: EvalSet[];
}

// ---------------------------------------------------------------------------------------------
// Prompts

/** Which prompt template a method uses: think-then-answer (CLS-RL) or answer-only (No-Thinking). */
export type TemplateKind = 'think' | 'direct';
/** Training and evaluation templates differ slightly in the paper's code (see reference/). */
export type TemplateUse = 'train' | 'eval' | 'eval-b2n-base';

/** A classification question about one image, before the method's template is applied. */
export interface Question {
  /** Stable id: `<dataset>/<set>/<index>`. */
  id: string;
  dataset: string;
  /** Absolute image path. */
  image: string;
  /** Path relative to the data root. */
  imageRel: string;
  label: number;
  classname: string;
  /** Candidate names offered in the prompt (always contains `classname`). */
  candidates: string[];
  /** `<prefix>\n Please choose one from list [ a, b].` (the paper's `problem`). */
  problem: string;
}

/** What an engine sees: an image and the final prompt text (template applied). */
export interface PromptInput {
  id: string;
  /** Absolute path to the image file; engines decode it through harness image utilities. */
  image: string;
  text: string;
  /**
   * Text the assistant has already written after the prompt: `logprobs` scores sequences that continue it
   * (answer diagnostics score every listed name after one shared reasoning this way). Engines with
   * `scores: true` support it in `logprobs`; others may reject it.
   */
  assistantPrefix?: string;
}

// ---------------------------------------------------------------------------------------------
// Engine / policy contract (DESIGN.md "Engines and the policy contract")

/** A model an engine can load: the engine's base model or a checkpoint a method produced. */
export interface ModelRef {
  engine: string;
  /** `base` for the engine's base model, else a checkpoint id (run id). */
  id: string;
  /** Checkpoint folder (safetensors + config.json for tiny; an HF folder for real models). */
  path?: string;
}

export interface GenerateOptions {
  /** Samples per prompt. */
  n: number;
  /** 0 means greedy. */
  temperature: number;
  maxTokens: number;
  seed: number;
  /**
   * Repetition penalty as Hugging Face and vLLM define it (CTRL, Keskar et al. 2019): before sampling, the
   * logit of every token already in the prompt or the completion is divided by it when positive and
   * multiplied by it when negative. Absent or 1: off. Only engines with `repetitionPenalty: true` apply it.
   */
  repetitionPenalty?: number;
}

export interface Completion {
  /** Generated token ids, including the end token when the model stopped. */
  tokens: number[];
  /** Decoded text, without special tokens. */
  text: string;
  /**
   * log pi(y_t | ...) of each generated token under the model's own distribution (T = 1, whatever the
   * sampling temperature), i.e. what `logprobs` would recompute. GRPO uses them as the current policy's
   * log-probs, so an engine that trains must report them exactly.
   */
  logprobs: number[];
  finishReason: 'stop' | 'length';
}

/** A token sequence answering prompt `promptIndex` (a sampled completion or an SFT target). */
export interface TokenSeq {
  promptIndex: number;
  tokens: number[];
}

export interface OptimizerConfig {
  lr: number;
  weightDecay: number;
  beta1: number;
  beta2: number;
  eps: number;
  /** Global gradient-norm clip; 0 disables. */
  gradClip: number;
  /** Linear warmup steps, then the schedule. */
  warmupSteps: number;
  schedule: 'constant' | 'linear' | 'cosine';
  totalSteps: number;
}

export interface StepStats {
  /** The surrogate loss -sum(w_t log pi(y_t)) that was differentiated. */
  loss: number;
  gradNorm: number;
  lr: number;
  tokens: number;
  wallMs: number;
}

/** A model loaded in memory (opaque to methods). */
export interface LoadedModel {
  readonly ref: ModelRef;
}

/** Optimizer state owned by the engine (opaque to methods). */
export interface OptimizerHandle {
  readonly config: OptimizerConfig;
}

/**
 * In-process engines implement the whole contract; evaluation-only engines (an OpenAI-compatible
 * server) implement `generate` and throw a ClsrlError('ENGINE') from the training calls.
 */
export interface Engine {
  readonly name: string;
  /** Whether step/logprobs work, i.e. methods can train in-process. */
  readonly trains: boolean;
  /** Whether `generate` applies GenerateOptions.repetitionPenalty (engines without it must not be asked to). */
  readonly repetitionPenalty?: boolean;
  /**
   * Whether `logprobs` scores any model this engine evaluates (answer diagnostics' forced choice,
   * harness/diagnostics.ts). Absent or false: forced choice is n/a (stored as NULL).
   */
  readonly scores?: boolean;
  baseModel(): ModelRef;
  load(ref: ModelRef): Promise<LoadedModel>;
  /** A frozen copy (the GRPO reference model). */
  freeze(model: LoadedModel): Promise<LoadedModel>;
  generate(model: LoadedModel, prompts: PromptInput[], opts: GenerateOptions): Promise<Completion[][]>;
  /**
   * Optional: throws a ClsrlError when `generate` would fail on this one prompt (its image does not
   * decode, it does not fit the context). Servers call it per request, before batching, so one bad
   * request cannot fail the others.
   */
  checkPrompt?(model: LoadedModel, prompt: PromptInput, opts: GenerateOptions): Promise<void>;
  /** Per-token log-probs of each sequence under `model` (reference model, old policy). */
  logprobs(model: LoadedModel, prompts: PromptInput[], seqs: TokenSeq[]): Promise<number[][]>;
  createOptimizer(model: LoadedModel, config: OptimizerConfig): OptimizerHandle;
  /** Applies the gradient of -sum_t w_t * log pi(y_t) over all sequences, one optimizer update. */
  step(
    model: LoadedModel,
    prompts: PromptInput[],
    seqs: TokenSeq[],
    tokenWeights: number[][],
    optimizer: OptimizerHandle,
  ): Promise<StepStats>;
  /** Tokens of a target answer, ending with the end token (SFT targets). */
  encodeTarget(text: string): number[];
  save(model: LoadedModel, dir: string): Promise<ModelRef>;
  dispose(model: LoadedModel): Promise<void>;
  /** Identity of the engine's weights/config for run ids (e.g. sha of the base checkpoint). */
  fingerprint(): string;
  /**
   * Engines whose training runs outside this process (TRL on GPUs) implement this; the runner calls it
   * instead of `method.train`, then evaluates the returned model with `load` + `generate`.
   */
  trainExternally?(ctx: ExternalTrainContext): Promise<{ model: ModelRef; steps: TrainStepRecord[] }>;
  /**
   * Engines whose training runs outside this process may implement this: write a training run's folder
   * (data, config, launch script) and stop, so it can be trained elsewhere. The runner stores the run as
   * `prepared`; a later sweep's `trainExternally` finds the folder and ingests it once it has finished.
   */
  prepareRun?(ctx: ExternalTrainContext): Promise<PreparedRun>;
  /** Set when the engine was configured to only write run folders (trl `writeOnly`): sweeps prepare instead of running. */
  readonly prepareOnly?: boolean;
  /**
   * Checks, without training, what this engine's runs will need (Python stack, GPUs, servers, model):
   * `clsrl doctor`, and the sweep before it launches the first external training.
   */
  preflight?(): Promise<PreflightCheck[]>;
  /**
   * Which of the engine's options can change results (they enter run ids) and which are operational
   * (URLs, GPUs, launcher, concurrency, cache: left out of run ids). Options not listed count as `result`.
   */
  readonly optionKinds?: EngineOptionKinds;
}

/** `result`: the option can change what a run measures; `operational`: only how or where it executes. */
export type EngineOptionKind = 'result' | 'operational';
export type EngineOptionKinds = Record<string, EngineOptionKind>;

/** One line of `clsrl doctor`: what was checked, the verdict, and how to fix a problem. */
export interface PreflightCheck {
  name: string;
  /** `skipped`: not needed with these options (said in `detail`). */
  status: 'ok' | 'problem' | 'skipped';
  detail: string;
  fix?: string;
}

/** A run folder written by `Engine.prepareRun`. */
export interface PreparedRun {
  /** The folder to hand to a scheduler. */
  dir: string;
  /** The command that trains it (from any directory). */
  launch: string;
  /** Whether the folder already holds a finished training (the next sweep ingests it). */
  finished: boolean;
}

/** What an external trainer needs to reproduce a method: its declaration, config and data. */
export interface ExternalTrainContext {
  spec: RunSpec;
  method: MethodMeta;
  methodConfig: Record<string, unknown>;
  train: Question[];
  /** Applies the method's training template to a question. */
  prompt(q: Question): PromptInput;
  workDir: string;
  /** Write the run folder (data, config, launch script) but do not launch (prefer `Engine.prepareRun`). */
  dryRun: boolean;
  hooks: TrainHooks;
  /** Called once before the engine launches a training (not when it ingests a finished one): the sweep's preflight. */
  beforeLaunch?(): Promise<void>;
}

// ---------------------------------------------------------------------------------------------
// Scoring

export type RewardName = 'format' | 'accuracy' | 'equality';

export interface Score {
  rewards: Partial<Record<RewardName, number>>;
  /** Sum of the rewards. */
  reward: number;
  /** Answer extracted for evaluation (first <answer> content, or the whole stripped output). */
  extracted: string;
  /** The paper's lenient evaluation match (equal or contains, case-insensitive, `_` retried as space). */
  correct: boolean;
  /** Strict exact match (case-insensitive equality of the extracted answer and the label). */
  strictCorrect: boolean;
}

// ---------------------------------------------------------------------------------------------
// Methods

/** Per-step training record (slash-namespaced metric names, as in TRL). */
export interface TrainStepRecord {
  step: number;
  epoch: number;
  loss: number;
  /** e.g. {'reward/format': 0.5, 'reward/accuracy': 0.25} */
  rewards: Record<string, number>;
  rewardStd: number;
  completionLength: number;
  kl: number;
  lr: number;
  gradNorm: number;
  tokensGenerated: number;
  wallMs: number;
}

export interface TrainHooks {
  onStepEnd?(rec: TrainStepRecord): void;
  /** Progress within the training phase, in steps. */
  onProgress?(done: number, total: number): void;
}

export interface TrainContext<C> {
  engine: Engine;
  /** The base model, loaded. The method may train it in place. */
  model: LoadedModel;
  config: C;
  /** Training questions (candidate lists fixed and seeded). */
  train: Question[];
  /** Applies the method's training template to a question. */
  prompt(q: Question): PromptInput;
  seed: number;
  dataset: string;
  /** Folder the method may write artifacts/checkpoints to. */
  workDir: string;
  hooks: TrainHooks;
}

export interface TrainResult {
  /** The model to evaluate (the trained in-memory model, or the base for zero-shot). */
  model: LoadedModel;
  steps: number;
  tokensGenerated: number;
}

export interface MethodMeta {
  /** Registry name, kebab-case (`cls-rl`). */
  name: string;
  /** Display name in reports (`CLS-RL`). */
  title: string;
  description: string;
  /** Template used in evaluation (and training). */
  template: TemplateKind;
  /** Whether the method trains (zero-shot does not; its evaluations are shared across seeds/shots). */
  trains: boolean;
  /** Rewards reported for this method's completions. */
  rewards: RewardName[];
  /** Key of this method's rows in reference/paper-results.json, if the paper reports it. */
  paperKey?: string;
}

/** A method plugin: one file in methods/, one line in methods/registry.ts. */
export interface MethodPlugin<C extends object = Record<string, unknown>> {
  meta: MethodMeta;
  /** Defaults for a dataset (some defaults, like epochs, are per dataset in the paper). */
  defaults(dataset: string): C;
  /** Validates and fills a partial config; throws ClsrlError('BAD_CONFIG') saying what to change. */
  validate(partial: unknown, dataset: string): C;
  train(ctx: TrainContext<C>): Promise<TrainResult>;
  /**
   * Config fields added after runs were stored, each with the value that reproduces those runs: a field at
   * that value is left out of the run id (still stored in the spec), so the stored runs keep their ids.
   */
  legacyConfig?: Partial<Record<keyof C, unknown>>;
}

// ---------------------------------------------------------------------------------------------
// Runs and results

/** Prompt-construction options (documented variants of the paper's protocol). */
export interface PromptOptions {
  /**
   * `code`: int(0.4*C), all classes if below 30, cap 100 (the notebook; default).
   * `text`: 40% few-shot / 80% base-to-new, all if below 30, cap 100 (the paper's D.1 text).
   * `clamp`: clamp(int(0.4*C), 30, 100) when C >= 30, else all (fits the printed DTD prompts).
   */
  candidateRule: 'code' | 'text' | 'clamp';
  /** `test` (CoOp), `test+val` (the CLS-RL eval code keeps `test` and `valid` rows) or `val` (tune without test images). */
  evalSplit: 'test' | 'test+val' | 'val';
  /** Seed of the candidate lists for evaluation prompts, shared by all runs (paper: 100). */
  evalPromptSeed: number;
  /** Cap on evaluation examples per set (0 = all); for quick suites. */
  evalLimit: number;
}

export interface RunSpec {
  /** Hash of the resolved content below (16 hex chars). */
  id: string;
  suite: string;
  dataset: string;
  setting: SettingName;
  shots: number;
  seed: number;
  method: string;
  engine: string;
  /** Datasets the tuned model is also evaluated on (cross-dataset transfer). */
  transferTo: string[];
  /** Fully resolved config: method config, prompt options, engine options, generation. */
  config: {
    method: Record<string, unknown>;
    prompt: PromptOptions;
    engine: Record<string, unknown>;
    /** diagnostics/sampled: absent in specs planned before answer diagnostics (read as off). Not in the id. */
    eval: { maxTokens: number; diagnostics?: 'full' | 'off'; sampled?: boolean };
  };
}

/** One evaluation row, as `clsrl results --json` prints it. */
export interface EvaluationRow {
  runId: string;
  suite: string;
  dataset: string;
  setting: SettingName;
  shots: number;
  seed: number;
  method: string;
  engine: string;
  evalDataset: string;
  evalSplit: string;
  n: number;
  correct: number;
  /** Percent. */
  accuracy: number;
  /** Percent, strict exact match. */
  strictAccuracy: number;
  /** Answer diagnostics (harness/diagnostics.ts), percent; null where not measured (n/a). */
  inListRate?: number | null;
  forcedChoiceAccuracy?: number | null;
  sampledAccuracy?: number | null;
}

// ---------------------------------------------------------------------------------------------
// Suites and datasets brought as data

/** A dataset in CoOp's split-JSON layout declared by a suite (the synthetic tasks use this). */
export interface SplitJsonDatasetDef {
  name: string;
  /** Folder under the data root. */
  folder: string;
  /** Split file, relative to the folder (`split_zhou_<Name>.json` style: {train, val, test}). */
  splitFile: string;
  /** Folder the JSON image paths are relative to, relative to the dataset folder ('' = itself). */
  imagePrefix: string;
  /** Question prefix for prompts (default "What type of object is in the photo?"). */
  questionPrefix?: string;
  description?: string;
}

export interface SuiteSetting {
  setting: SettingName;
  shots: number[];
  seeds: number[];
  /** Few-shot only: also evaluate each tuned model on every other dataset of the suite. */
  transfer?: boolean;
  /**
   * Only these of the suite's datasets run this setting (default: all of them). Transfer targets stay
   * every other dataset of the suite.
   */
  datasets?: string[];
}

/** A suite: which datasets x settings x methods x seeds, and the budgets. Data, not code. */
export interface SuiteDef {
  name: string;
  description: string;
  /** Dataset names: CoOp registry names or names of `customDatasets`. */
  datasets: string[];
  customDatasets?: SplitJsonDatasetDef[];
  /** Materialises suite-owned data (the synthetic world) and returns the data root to use. */
  prepare?(ctx: { cacheDir: string; onProgress?: (done: number, total: number) => void }): Promise<{ dataRoot: string }>;
  settings: SuiteSetting[];
  methods: string[];
  /** Default engine for this suite (CLI --engine overrides). */
  engine?: string;
  engineConfig?: Record<string, unknown>;
  /**
   * Options for one engine only, merged over engineConfig when the suite runs on it (the paper suites' image
   * size for the real engines, which the tiny engine must not get).
   */
  engineConfigs?: Record<string, Record<string, unknown>>;
  /** Per-method config overrides, applied before validation (e.g. smaller epochs). */
  methodConfig?: Record<string, Record<string, unknown>>;
  prompt?: Partial<PromptOptions>;
  /**
   * `diagnostics`: `full` (default) adds forced choice where the engine scores log-probs, `off` keeps only
   * the in-list rate; `sampled`: also one seeded T = 1 sample per question (default false). See
   * harness/diagnostics.ts.
   */
  eval?: { maxTokens?: number; diagnostics?: 'full' | 'off'; sampled?: boolean };
}

// ---------------------------------------------------------------------------------------------
// Reading results (implemented by the store; consumed by reports)

/** `prepared`: the run's folder was written for an external trainer (`sweep --prepare`), nothing ran yet. */
export type RunStatus = 'pending' | 'prepared' | 'running' | 'done' | 'failed';

export interface RunRow {
  id: string;
  suite: string;
  dataset: string;
  setting: SettingName;
  shots: number;
  seed: number;
  method: string;
  engine: string;
  status: RunStatus;
  error: string | null;
  startedAt: string | null;
  finishedAt: string | null;
  trainMs: number;
  evalMs: number;
  tokensGenerated: number;
  spec: RunSpec;
  codeVersion: string;
  dataFingerprint: string;
}

export interface PredictionRow {
  runId: string;
  evalDataset: string;
  evalSplit: string;
  exampleId: string;
  label: string;
  output: string;
  extracted: string;
  correct: boolean;
  strictCorrect: boolean;
  /** Answer diagnostics of this example (harness/diagnostics.ts); null where not measured. */
  inList?: boolean | null;
  forcedChoice?: string | null;
  forcedCorrect?: boolean | null;
  sampledOutput?: string | null;
  sampledCorrect?: boolean | null;
}

export interface ResultsSource {
  runs(filter?: { suite?: string }): RunRow[];
  evaluations(filter?: { suite?: string }): EvaluationRow[];
  trainSteps(runId: string): TrainStepRecord[];
  predictions(runId: string, evalDataset?: string, evalSplit?: string): PredictionRow[];
}

// The paper's few-shot protocol (CLS-RL Table 2) with the cross-dataset "free lunch" evaluations
// (Fig. 4): every tuned model is also tested on the test prompts of the 10 other datasets. Data only.

import type { SuiteDef } from '../harness/contracts';
import { PAPER_DATASETS, PAPER_ENGINE_CONFIGS, PAPER_METHODS, PAPER_METHOD_CONFIG, PAPER_PROMPT, PAPER_SEEDS } from './paper-b2n';

export const suite: SuiteDef = {
  name: 'paper-fewshot',
  description:
    'CLS-RL few-shot: 11 CoOp datasets, 4 shots over all classes, seeds 1-3 (paper: one run, --seeds 100), ' +
    'full test sets plus transfer to every other dataset; zero-shot, SFT, CLS-RL, No-Thinking-CLS-RL',
  datasets: PAPER_DATASETS,
  settings: [{ setting: 'few-shot', shots: [4], seeds: PAPER_SEEDS, transfer: true }],
  methods: PAPER_METHODS,
  engineConfigs: PAPER_ENGINE_CONFIGS,
  methodConfig: PAPER_METHOD_CONFIG,
  prompt: PAPER_PROMPT,
  eval: { maxTokens: 1024 },
};

// The dataset layer's public surface: registry, loading, data root, CoOp facts (paper order, prefixes).
export { registerDataset, listDatasets, getDatasetEntry, resolveDatasetName, questionPrefix, type DatasetInfo } from './registry';
export { loadDataset, classListFromSplits, fingerprintSplits, type LoadOptions } from './load';
export { resolveDataRoot } from './root';
export { PAPER_ORDER, QUESTION_PREFIXES, DEFAULT_QUESTION_PREFIX, type DatasetEntry, type DatasetKind } from './coop';
export { readSplitJson, type RawItem, type RawSplits } from './splitjson';

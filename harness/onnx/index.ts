// Public face of the ONNX graph builder and autodiff: build a Graph, apply ops, call grad, encode.
export { Graph, numel, type DType, type FloatType, type Value } from './graph';
export * from './ops';
export { grad, unbroadcast } from './autodiff';
export { encodeModel } from './proto';

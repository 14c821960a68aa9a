// The browser test page loads graphs as IR text, never ONNX bytes: a stand-in for onnx-proto.
export default { onnx: {} };

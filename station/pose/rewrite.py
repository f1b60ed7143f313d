"""Small rewrites of the landmark models: two that the int8 build needs first, one for tracking.

The released model keeps its weights as float16 constants, each behind a DEQUANTIZE op (192 of
them), so ai-edge-quantizer sees no float weights to quantize. :func:`fold_dequantize` turns each
such pair into one float32 constant; the arithmetic is the same (the runtime widens the same
float16 values to float32 before the first invoke), so outputs do not change: checked by
``tests/int8/test_int8.py``. The quantizer also drives calibration through a signature runner,
and the model has no signature: :func:`add_signature` names the input and the five outputs.

:func:`without_outputs` drops outputs nobody reads, and every op that fed only them: the station's
tracking never reads the segmentation mask, whose decoder is 40 % of the model's time. It runs
when a model is loaded (``Landmarker(segmentation=False)``); the schema module ships with
ai-edge-litert and flatbuffers is one of its dependencies, so the Pi needs nothing new.
"""

from __future__ import annotations

from typing import Any

import numpy as np

SIGNATURE_KEY = "serving_default"


def _schema() -> Any:
    from ai_edge_litert import schema_py_generated

    return schema_py_generated


def read(data: bytes) -> Any:
    """The model as the flatbuffer schema's object tree (``ModelT``). Buffers stored after the
    flatbuffer (by offset, as ai-edge-quantizer writes them) are read in, so that :func:`write`
    gives a file that holds them."""
    s = _schema()
    model = s.ModelT.InitFromObj(s.Model.GetRootAsModel(data, 0))
    for buffer in model.buffers:
        # Only an offset above 1 points at data: TensorFlow's exporter writes 1 as a placeholder
        # (tensorflow/compiler/mlir/lite/offset_buffer.h, IsValidBufferOffset).
        if buffer.offset > 1:
            buffer.data = np.frombuffer(data, np.uint8, buffer.size, buffer.offset)
            buffer.offset = buffer.size = 0
    return model


def write(model: Any) -> bytes:
    """Serialise a ``ModelT``; the same tree gives the same bytes (the builder has no clock or
    randomness, and every list here keeps the model's own order)."""
    import flatbuffers

    builder = flatbuffers.Builder(1 << 20)
    builder.Finish(model.Pack(builder), file_identifier=b"TFL3")
    return bytes(builder.Output())


def _opcode_names(model: Any) -> list[str]:
    s = _schema()
    names = {v: k for k, v in vars(s.BuiltinOperator).items() if not k.startswith("_")}
    # Old files keep the code in deprecatedBuiltinCode (int8), new ones in builtinCode.
    return [names.get(max(c.builtinCode, c.deprecatedBuiltinCode), "CUSTOM") for c in model.operatorCodes]


def _constant_fp16(model: Any, graph: Any, index: int) -> np.ndarray | None:
    """The float16 values of tensor ``index`` if it is a constant float16 tensor."""
    s = _schema()
    tensor = graph.tensors[index]
    data = model.buffers[tensor.buffer].data if tensor.buffer > 0 else None
    if tensor.type != s.TensorType.FLOAT16 or data is None or len(data) == 0:
        return None
    return np.frombuffer(np.asarray(data, np.uint8).tobytes(), "<f2")


def fold_dequantize(data: bytes) -> bytes:
    """The model with every DEQUANTIZE of a float16 constant replaced by a float32 constant."""
    s = _schema()
    model = read(data)
    graph = model.subgraphs[0]
    codes = _opcode_names(model)
    kept, alias = [], {}
    for op in graph.operators:
        values = _constant_fp16(model, graph, op.inputs[0]) if codes[op.opcodeIndex] == "DEQUANTIZE" else None
        if values is None:
            kept.append(op)
            continue
        source = graph.tensors[op.inputs[0]]
        # The float16 tensor becomes the float32 constant; the DEQUANTIZE output is dropped.
        model.buffers[source.buffer].data = np.frombuffer(values.astype("<f4").tobytes(), np.uint8)
        source.type = s.TensorType.FLOAT32
        alias[op.outputs[0]] = op.inputs[0]
    for op in kept:
        op.inputs = np.array([alias.get(int(i), int(i)) for i in op.inputs], np.int32)
    graph.operators = kept
    _drop_unused_tensors(model, graph)
    return write(model)


def _drop_unused_tensors(model: Any, graph: Any) -> None:
    """Remove tensors that no op, input or output refers to, and renumber the rest."""
    used = set(map(int, graph.inputs)) | set(map(int, graph.outputs))
    for op in graph.operators:
        used |= {int(i) for i in op.inputs if i >= 0} | {int(i) for i in op.outputs}
    order = sorted(used)
    new = {old: n for n, old in enumerate(order)}
    graph.tensors = [graph.tensors[i] for i in order]

    def remap(ids: Any) -> np.ndarray:
        return np.array([new[int(i)] if i >= 0 else -1 for i in ids], np.int32)

    graph.inputs, graph.outputs = remap(graph.inputs), remap(graph.outputs)
    for signature in model.signatureDefs or []:
        for entry in (signature.inputs or []) + (signature.outputs or []):
            entry.tensorIndex = new[int(entry.tensorIndex)]
    for op in graph.operators:
        op.inputs, op.outputs = remap(op.inputs), remap(op.outputs)
        if op.intermediates is not None and len(op.intermediates):
            op.intermediates = remap(op.intermediates)
    # Buffers that lost their tensor stay (empty ones cost a few bytes); the model's buffer
    # table keeps its numbering, which other tables (metadata) refer to.
    keep = {int(t.buffer) for t in graph.tensors} | {int(m.buffer) for m in model.metadata or []}
    for buffer_id in range(1, len(model.buffers)):
        if buffer_id not in keep:
            model.buffers[buffer_id].data = None


def add_signature(data: bytes) -> bytes:
    """The model with one signature (``serving_default``) over its input and outputs, named by
    their tensor names (``input_1``, ``Identity`` .. ``Identity_4``)."""
    s = _schema()
    model = read(data)
    graph = model.subgraphs[0]

    def tensor_map(index: int) -> Any:
        entry = s.TensorMapT()
        entry.name = graph.tensors[index].name.decode()
        entry.tensorIndex = int(index)
        return entry

    signature = s.SignatureDefT()
    signature.signatureKey = SIGNATURE_KEY
    signature.subgraphIndex = 0
    signature.inputs = [tensor_map(i) for i in graph.inputs]
    signature.outputs = [tensor_map(i) for i in graph.outputs]
    model.signatureDefs = [signature]
    return write(model)


def op_summary(data: bytes) -> list[tuple[str, str]]:
    """(op name, output tensor name) for each op in order: the names a quantization recipe's
    regular expressions match."""
    model = read(data)
    graph = model.subgraphs[0]
    codes = _opcode_names(model)
    return [(codes[op.opcodeIndex], graph.tensors[op.outputs[0]].name.decode()) for op in graph.operators]


def without_outputs(data: bytes, shapes: set[tuple[int, ...]]) -> bytes:
    """The model without its outputs of these shapes and the ops that computed only them.

    The ops left are the same ops with the same weights, so the outputs kept are the same numbers
    (``tests/int8/test_int8.py`` checks it bit for bit). An op that also feeds a kept output stays.
    """
    model = read(data)
    graph = model.subgraphs[0]
    dropped = {int(i) for i in graph.outputs if tuple(int(n) for n in graph.tensors[i].shape) in shapes}
    kept = [int(i) for i in graph.outputs if int(i) not in dropped]
    producer = {int(t): op for op in graph.operators for t in op.outputs}
    needed: set[int] = set()
    todo = list(kept)
    while todo:  # walk back from the kept outputs
        op = producer.get(todo.pop())
        if op is not None and id(op) not in needed:
            needed.add(id(op))
            todo.extend(int(i) for i in op.inputs if i >= 0)
    graph.operators = [op for op in graph.operators if id(op) in needed]
    graph.outputs = np.array(kept, np.int32)
    for signature in model.signatureDefs or []:
        signature.outputs = [e for e in signature.outputs or [] if int(e.tensorIndex) not in dropped]
    _drop_unused_tensors(model, graph)
    return write(model)

"""Side-by-side latency of the FP32 and INT8 ONNX models: same input, 2 intra-op threads, runs
interleaved (A, B, A, B, ...) so machine load hits both alike; medians and their ratio."""

from __future__ import annotations

import argparse
import json
import statistics
import time
from pathlib import Path

import numpy as np
import onnxruntime as ort


def make_session(path: Path, threads: int = 2) -> ort.InferenceSession:
    """CPU session with ``threads`` intra-op threads, 1 inter-op thread, all graph optimizations."""
    so = ort.SessionOptions()
    so.intra_op_num_threads = threads
    so.inter_op_num_threads = 1
    so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    return ort.InferenceSession(str(path), so, providers=["CPUExecutionProvider"])


def input_size(sess: ort.InferenceSession) -> int:
    """The model's input size S, read from its ``images`` input [1, 3, S, S]; the model file is the one
    place S is written down (export.py), so every tool letterboxes to what the model expects."""
    shape = sess.get_inputs()[0].shape
    if len(shape) != 4 or not all(isinstance(d, int) for d in shape[2:]) or shape[2] != shape[3]:
        raise ValueError(f"model input {sess.get_inputs()[0].name} has shape {shape}, expected [1, 3, S, S] with a fixed S")
    return int(shape[2])


def compare_latency(fp32: Path, int8: Path, x: np.ndarray, runs: int = 100, warmup: int = 10,
                    threads: int = 2) -> dict[str, float | int]:
    """Median/p90 latency in ms of both models on input ``x``, interleaved run by run."""
    sessions = {"fp32": make_session(fp32, threads), "int8": make_session(int8, threads)}
    times: dict[str, list[float]] = {k: [] for k in sessions}
    for i in range(warmup + runs):
        for name, sess in sessions.items():
            t0 = time.perf_counter()
            sess.run(None, {"images": x})
            if i >= warmup:
                times[name].append((time.perf_counter() - t0) * 1000)
    out: dict[str, float | int] = {"threads": threads, "runs": runs}
    for name, ts in times.items():
        out[f"{name}MedianMs"] = round(statistics.median(ts), 2)
        out[f"{name}P90Ms"] = round(float(np.percentile(ts, 90)), 2)
    out["int8OverFp32"] = round(out["int8MedianMs"] / out["fp32MedianMs"], 3)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--fp32", type=Path, required=True)
    ap.add_argument("--int8", type=Path, required=True)
    ap.add_argument("--runs", type=int, default=100)
    args = ap.parse_args()
    size = input_size(make_session(args.fp32, 1))
    x = np.random.default_rng(0).random((1, 3, size, size), dtype=np.float32)
    print(json.dumps(compare_latency(args.fp32, args.int8, x, args.runs)))


if __name__ == "__main__":
    main()

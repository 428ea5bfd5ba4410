"""Synthetic metal-tag scratch detector: data generator, YOLOv8-style model, training, export, INT8
quantization, evaluation and reference outputs. Run end to end with scripts/make-demo-model.sh."""

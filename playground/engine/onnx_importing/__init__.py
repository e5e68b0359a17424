"""The ONNX reader behind :mod:`playground.engine.onnx_import`, split by job.

- ``values``: what flows along the ONNX graph while it is read (stored tensors, shapes, data, recurrent blocks),
  the result and the error.
- ``folding``: small operators on stored tensors worked out before shape inference.
- ``base``: the reader's state and the helpers every operator uses (errors, names, constants, attributes).
- ``patterns``: several operators torch writes for one module (GELU, Softplus with a sharpness).
- ``dense_conv``: Dense, Add, Multiply, convolutions, pooling and upsampling.
- ``norms_shapes``: normalization, activations, and operators that reshape, join or pick.
- ``recurrent``: LSTM, GRU and RNN, their gate order and the layout operators around them.
- ``reader``: the walk over the whole graph, its inputs and outputs.
- ``assembly``: the editor's graph from the layers read, a dataset that fits, and the weights checked.
"""

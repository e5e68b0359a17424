"""The Python model reader behind :mod:`playground.engine.model_import`, split by job.

- ``limits``: the budgets on size, depth, steps and layers that keep any file from hanging the importer.
- ``results``: what an import gives (networks, refusals) and its error.
- ``source``: reading the file and parsing it within the budgets, with the line where a parser gave up.
- ``values``: the values the interpreter works with (layers made in ``__init__``, tensors of forward, unknowns).
- ``syntax``: small questions about the syntax tree (names of calls, factories, main guards, parameters).
- ``vocabulary``: the torch names the importer knows: layer signatures, fixed values, functions, builtins.
- ``given``: values the person importing gives by name for what a file has only when it runs (``--set nz=100``),
  an Optuna trial answering with them, and the record of the defaults assumed and the values asked for.
- ``options``: a script's argparse options, read at their defaults or as given.
- ``scope``: the file's classes and functions, and the reader's state every later step uses.
- ``layers``: ``nn.*`` constructors kept as arguments, and their translation into catalog kinds.
- ``forward``: forward's calls traced into layers and edges: functional calls, reshapes, joins, VAE sampling.
- ``operations``: operators, comparisons, indexing, attributes, builtins and torch names on interpreted values.
- ``interpreter``: statements, expressions and calls of the file's own functions and methods.
- ``builder``: the layers and edges collected, the input shape guessed, the editor's graph built.
- ``networks``: which networks a file holds, each opened or refused on its own: the report.
- ``lab``: a lab from a file, with the task and dataset guessed from the networks.

The reader's classes build on each other in that order (``scope`` < ``layers`` < ``forward`` < ``operations`` <
``interpreter`` < ``networks``), one job per module.
"""

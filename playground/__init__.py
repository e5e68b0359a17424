"""Neural Network Playground: learn deep learning by building, training and watching real PyTorch networks."""

__version__ = "0.1.0"

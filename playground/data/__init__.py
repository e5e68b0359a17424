"""Datasets as numpy arrays: the 2-D toy sets, images, sequences, text."""

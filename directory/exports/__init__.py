"""Exports: the directory and its searches as files other systems and people can use."""

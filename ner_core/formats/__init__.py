"""Corpus file formats: one module per format, each with a reader of text (or bytes) into
sentences and a writer. :mod:`ner_core.corpus` picks the format and is the public entry point."""

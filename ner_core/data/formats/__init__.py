"""Corpus file formats: one module per format, each with a reader of lines (bytes for DocBin) into
sentences, one at a time, and a writer of text chunks. :mod:`ner_core.data.corpus` picks the format and
is the public entry point; :mod:`.source` streams a file's bytes and lines within the size cap."""

"""Corpora and tags: reading and writing every format, tag schemes, tokenisation, planted noise."""

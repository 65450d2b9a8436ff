"""Scores and error analysis of a tagger or pipeline against gold tags."""

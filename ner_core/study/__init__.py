"""The study's experiments: every model of the method trained and its tables written."""

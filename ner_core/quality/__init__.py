"""Finding wrong gold annotations: label issues, inconsistent strings, the review queue."""

"""Training the taggers, the detector and the whole divide-and-conquer method; cross-validation."""

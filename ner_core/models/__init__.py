"""The taggers and the detector: CRF, Bi-LSTM-CRF, encoder features, checkpoints, the voted pipeline."""

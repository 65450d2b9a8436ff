"""The workbench's shared state: double annotation, review of corrections, the registry, jobs, retraining."""

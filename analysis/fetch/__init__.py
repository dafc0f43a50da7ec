"""Fetch stage: sources manifest -> data/raw/<source-id>/<publisher file>."""

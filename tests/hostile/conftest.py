"""The hostile-input suite: each class of bad input against the real entry points, bounded in time."""

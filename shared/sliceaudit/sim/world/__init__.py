"""The simulated fleet: its model, the Services it builds and breaks, and the ground truth."""

"""Metric families and their text exposition: one small module per group of families."""

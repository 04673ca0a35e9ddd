"""Benchmarks: synthetic schemas and the timings compared with the alternatives."""

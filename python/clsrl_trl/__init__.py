"""clsrl's Python side for TRL runs: reward functions that ask clsrl's reward server, and the trainer entry.

Only `rewards` is importable without the GPU stack (it uses the standard library alone).
"""

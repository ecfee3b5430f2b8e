"""Stand-in for the book's common/config.py: the grader runs on the CPU, never cupy."""
__all__ = ["GPU"]
GPU = False

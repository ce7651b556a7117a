"""leanline engine: running form analysis in Pose Method terms, without any UI."""

__version__ = "0.1.0"

"""trial-audit: normalize, validate and cross-check clinical-trial registry records."""

__version__ = "0.1.0"

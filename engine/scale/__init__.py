"""Validation at scale: files on disk in parts of whole schools, and archives of many years on Dask."""

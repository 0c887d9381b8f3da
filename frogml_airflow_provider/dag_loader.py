"""Kept for loader files written by earlier ``frogml-airflow init``; the loader is ``dags.loader``."""

from frogml_airflow_provider.dags.loader import load_dags

__all__ = ["load_dags"]

"""A small web console for the local embedded platform, served inside Airflow's API server."""

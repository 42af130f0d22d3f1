"""The /_mock admin endpoints and the dashboard."""

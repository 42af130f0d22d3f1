"""Transports: the ASGI app, the respx router and the live uvicorn server."""

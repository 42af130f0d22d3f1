"""The Python face for tests: NovuMock, its assertions and the pytest plugin."""

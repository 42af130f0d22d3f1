"""The model: one environment per API key with its stores and records, the clock and fixture
documents. Knows nothing of HTTP."""

"""Delivery (DESIGN 9): what Novu's worker would have sent for each processed trigger."""

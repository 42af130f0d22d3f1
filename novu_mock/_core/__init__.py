"""The engine core: call and reply values, the request a handler sees, Novu's error bodies,
the route table and the engine itself."""

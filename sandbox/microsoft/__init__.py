"""Microsoft sandbox: identity platform + Graph Planner server (``world``, ``server``) and MS Project
plan files (``msproject_world``, ``mspdi``)."""

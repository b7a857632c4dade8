"""Sandbox finance files: the world's ERP/HR/PPM exports and the parser torture set."""

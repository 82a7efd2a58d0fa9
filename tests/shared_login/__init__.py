"""Tests of examples/shared_login: one login shared by a Flask site and a FastAPI API."""

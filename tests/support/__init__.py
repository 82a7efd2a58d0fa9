"""Helpers shared by the test suites: free ports, external binaries, servers, a browser."""

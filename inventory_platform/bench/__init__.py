"""`make bench`: measured performance of the platform, written to docs/performance.md."""

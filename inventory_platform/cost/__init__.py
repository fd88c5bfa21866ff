"""Cost model of the production (Redshift) platform: docs/cost_analysis.md."""

"""Production operations: detection queries, the disk sensor, alerting and warehouse maintenance.

Runbooks and the detection SQL live in ops_runbooks/; this package runs them.
"""

"""Disaster recovery of the local platform: backup, failover, verify, rollback, drill."""

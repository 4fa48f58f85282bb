"""Checks of manifests and hierarchies: JSON Schemas first, then the rule catalog."""

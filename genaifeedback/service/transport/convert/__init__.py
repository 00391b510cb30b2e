"""Conversion between the contract's messages and the domain's values, one module per service."""
